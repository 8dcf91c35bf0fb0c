import type { StatementState } from '../executor/statement-watch.js';
import type { Step } from '../planner/plan-schema.js';
import { formatSeconds } from './batch-progress.js';

/**
 * A statement running past its first second, as a note at most every `everyMs` (every second at a
 * terminal, where a note replaces the last; every few seconds in a log): what runs, for how long, and
 * how far it is where PostgreSQL can tell (an index build's phase, blocks or tuples, with the time the
 * phase should still take); else the rows it moves, from the plan's estimate.
 */
export function statementProgress(note: (line: string) => void, everyMs: number, now = () => Date.now()) {
  let shown = { id: '', at: 0 };
  // The phase's first reading, from which its rate (and the time it should still take) follows.
  let first: { id: string; phase: string | null; done: number; at: number } | null = null;
  return (step: Step, state: StatementState): void => {
    const t = now();
    if (first?.id !== step.id || first.phase !== state.phase) {
      first = { id: step.id, phase: state.phase, done: state.done ?? 0, at: t };
    }
    if (shown.id === step.id && t - shown.at < everyMs) return;
    shown = { id: step.id, at: t };
    const rate = state.done !== null && t > first.at ? (state.done - first.done) / (t - first.at) : 0;
    const left =
      rate > 0 && state.total
        ? ` (this phase about ${formatSeconds((state.total - state.done!) / rate / 1000)} left)`
        : '';
    note(
      `${step.id} ${step.description}: running ${formatSeconds(state.elapsedMs / 1000)}${howFar(step, state)}${left}`,
    );
  };
}

function howFar(step: Step, state: StatementState): string {
  if (state.phase === null) return step.estimatedRows ? ` (about ${step.estimatedRows} rows)` : '';
  if (state.done === null || !state.total) return `, ${state.phase}`;
  const share = Math.min(100, Math.floor((100 * state.done) / state.total));
  return `, ${state.phase}: ${share}% of ${state.total} ${state.unit}`;
}
