import type { Step } from '../planner/plan-schema.js';

const EVERY_MS = 2000;

/**
 * Progress of a batched step (the online backfill), one line every two seconds at most: the rows so
 * far, the rate, and how long the rest should take from the table's row estimate.
 */
export function batchProgress(note: (line: string) => void, now = () => Date.now()) {
  let current: { id: string; started: number; shown: number } | null = null;
  return (step: Step, rows: number): void => {
    const t = now();
    if (current?.id !== step.id) current = { id: step.id, started: t, shown: t };
    if (t - current.shown < EVERY_MS) return;
    current.shown = t;
    const seconds = (t - current.started) / 1000;
    const rate = seconds > 0 ? Math.round(rows / seconds) : 0;
    const left = step.estimatedRows && rate ? Math.max(0, step.estimatedRows - rows) / rate : null;
    const eta = left === null ? '' : `, about ${formatSeconds(left)} left`;
    note(`${step.id} ${step.table ?? ''}: ${rows} rows so far (${rate} rows/s${eta})`);
  };
}

export function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${Math.ceil(seconds)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}
