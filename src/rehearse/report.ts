import type { StageTiming } from '../executor/run-stage.js';
import type { Plan } from '../planner/plan-schema.js';
import type { LockHold, RehearsalReport, ReportStage, ReportStep } from './report-schema.js';

export type { LockHold, RehearsalReport, ReportStage, ReportStep } from './report-schema.js';

/**
 * Turn the stage timings of a run into the report's figures: each statement's start on one clock,
 * the longest time each table was held under ACCESS EXCLUSIVE (from the first statement that takes it
 * until its transaction commits), and rows per second of each fill. A fill whose statement counts no
 * rows (the rewrite's ALTER TABLE) takes its table's rows from `tableRows` (the checks' row counts).
 */
export function measure(
  plan: Plan,
  timings: { stage: StageTiming; startMs: number }[],
  tableRows: Map<string, number> = new Map(),
): { stages: ReportStage[]; holds: LockHold[]; locks: LockHold[]; fills: ReportStep[] } {
  const stages: ReportStage[] = [];
  const holds: LockHold[] = [];
  const longest = new Map<string, LockHold>();
  for (const { stage: timing, startMs } of timings) {
    const stage = plan.stages.find((s) => s.id === timing.stageId)!;
    // The committed attempt began transactionMs before the stage ended. A stage outside a transaction
    // (the online backfill and build) has none: each statement commits on its own, holding its lock
    // for its own time.
    const outside = !stage.transactional;
    const txStart = outside ? startMs : startMs + timing.ms - timing.transactionMs;
    const steps = timing.steps.map((t): ReportStep => {
      const step = stage.steps.find((s) => s.id === t.stepId)!;
      const rows = t.rows ?? (step.kind === 'fill' && step.table ? (tableRows.get(step.table) ?? null) : null);
      return {
        id: step.id,
        description: step.description,
        lock: step.lock,
        table: step.table,
        startMs: txStart + t.offsetMs,
        ms: t.ms,
        rows,
        rowsPerSecond: rows === null ? null : Math.round((rows / Math.max(t.ms, 1)) * 1000),
      };
    });
    const held = new Map<string, { from: number; ms: number }>();
    const txEnd = txStart + timing.transactionMs;
    for (const s of steps) {
      if (s.lock !== 'ACCESS EXCLUSIVE' || !s.table) continue;
      if (outside) held.set(`${s.table}\0${s.id}`, { from: s.startMs, ms: s.ms });
      else if (!held.has(s.table)) held.set(s.table, { from: s.startMs, ms: txEnd - s.startMs });
    }
    for (const [key, { from, ms }] of held) {
      const table = key.split('\0')[0]!;
      const hold = { table, stage: `${stage.id} ${stage.name}`, startMs: from, ms };
      holds.push(hold);
      if (!longest.has(table) || longest.get(table)!.ms < hold.ms) longest.set(table, hold);
    }
    stages.push({
      id: stage.id,
      name: stage.name,
      startMs,
      ms: timing.ms,
      transactionMs: timing.transactionMs,
      lockRetries: timing.lockRetries,
      steps,
    });
  }
  const fills = stages.flatMap((s) => s.steps).filter((s) => s.rows !== null);
  return { stages, holds, locks: [...longest.values()].sort((a, b) => b.ms - a.ms), fills };
}

export const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

export const bytes = (n: number): string => {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  for (; v >= 1024 && i < units.length - 1; i++) v /= 1024;
  return `${v.toFixed(i ? 1 : 0)} ${units[i]}`;
};

/** The three lines a team reads first. */
export function headlineText(r: RehearsalReport): string[] {
  const lock = r.headline.longestLock;
  return [
    `Total: ${seconds(r.headline.totalMs)} (apply ${seconds(r.timings.applyMs)}, verify ` +
      `${seconds(r.timings.verifyBeforeMs + r.timings.verifyAfterMs)}, copy ` +
      `${seconds(r.copy.dumpMs + r.copy.restoreMs)}).`,
    lock
      ? `Longest lock: ${lock.table} held ACCESS EXCLUSIVE for ${seconds(lock.ms)} (stage ${lock.stage}).`
      : 'Longest lock: none taken.',
    r.verification.ok
      ? 'Verification: passed; every row kept its parent.'
      : `Verification: FAILED for ${r.verification.differences
          .filter((d) => d.differs.length)
          .map((d) => d.name)
          .join(', ')}.`,
    ...(r.warnings.length
      ? [
          `Plan warnings: ${r.warnings.length}, which this rehearsal does not settle (a trigger, view or reference ` +
            'it could not prove safe): read them before apply.',
        ]
      : []),
    r.estimate
      ? `Estimate for the source's full size (${r.estimate.ratio.toFixed(1)}x the data on staging): apply about ` +
        `${seconds(r.estimate.applyMs)}.`
      : 'Staging holds a full copy of the source: the times above are the estimate.',
  ];
}
