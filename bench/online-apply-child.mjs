// One online apply in its own process, so its peak memory (maxRSS) is uuidmig's alone, not the
// benchmark's: node bench/online-apply-child.mjs <database-url> <plan-file> [<batch-pause-ms>].
// Prints each phase's span and timing (and each statement's, to tell where a stall fell), the checks
// after, and maxRssKb.
import { openApply } from '../dist/executor/apply.js';

const [url, planFile, pause] = process.argv.slice(2);
const s = (ms) => (ms / 1000).toFixed(2);
const settings = pause ? { batchPauseMs: pause === 'auto' ? 'auto' : Number(pause) } : {};
const session = await openApply({ plan: planFile, databaseUrl: url, settings });
const phases = [];
const t0 = Date.now();
await session.before?.run();
phases.push({ kind: 'verify', name: 'before', start: t0, end: Date.now(), timing: { transactionMs: 0, steps: [] } });
for (const stage of session.stages) {
  const start = Date.now();
  const timing = await session.runStage(stage, {});
  const rowsMoved = timing.steps.reduce((n, x) => n + (x.rows ?? 0), 0);
  // The stage's transaction first waits for its locks, then holds them to its commit.
  const locks = new Set(stage.steps.filter((x) => x.kind === 'lock').map((x) => x.id));
  const lockWaitMs = timing.steps.filter((x) => locks.has(x.stepId)).reduce((n, x) => n + x.ms, 0);
  // Where a held stage's time goes: its slowest statements, and what no statement accounts for (the
  // round trips of the journal and the commit).
  const sqlOf = new Map(stage.steps.map((x) => [x.id, x.sql.replace(/\s+/g, ' ').slice(0, 90)]));
  const slowest = [...timing.steps]
    .sort((a, b) => b.ms - a.ms)
    .slice(0, 5)
    .map((x) => ({ ms: x.ms, sql: sqlOf.get(x.stepId) }));
  const stepsMs = timing.steps.reduce((n, x) => n + x.ms, 0);
  const held = {
    statements: timing.steps.length,
    stepsMs,
    // The locks go inside COMMIT, before the files of dropped indexes are unlinked.
    commitMs: timing.commitMs,
    otherMs: timing.transactionMs - stepsMs - timing.commitMs,
    slowest,
  };
  // Each statement's span, to tell which one a stall fell in (batches of a batched step too).
  const spans = timing.steps.map((x) => ({
    start: start + x.offsetMs,
    end: start + x.offsetMs + x.ms,
    sql: sqlOf.get(x.stepId),
  }));
  const { steps: _, ...kept } = timing;
  phases.push({
    kind: stage.kind,
    name: stage.name,
    start,
    end: Date.now(),
    timing: kept,
    rows: rowsMoved,
    lockWaitMs,
    held,
    spans,
  });
  process.stderr.write(`    ${stage.name}: ${s(Date.now() - start)} s\n`);
}
const a0 = Date.now();
const report = await session.after.run();
phases.push({ kind: 'verify', name: 'after', start: a0, end: Date.now(), timing: { transactionMs: 0, steps: [] } });
await session.close();
process.stdout.write(
  JSON.stringify({
    t0,
    applyMs: Date.now() - t0,
    phases,
    after: report.after,
    agreement: report.agreement,
    maxRssKb: process.resourceUsage().maxRSS,
  }),
);
