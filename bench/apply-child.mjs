// One uuidmig run in its own process, so its peak memory (maxRSS) is uuidmig's alone:
// node bench/apply-child.mjs <database-url> <schema.ts> <strategy> <out-dir>
import { plan } from '../dist/api/plan.js';
import { openApply } from '../dist/executor/apply.js';

const [url, schema, strategy, out] = process.argv.slice(2);
const t0 = Date.now();
const made = await plan({ schema, databaseUrl: url, strategy, out });
if (made.blockers.length) throw new Error(made.blockers.map((b) => b.message).join(' '));
const planMs = Date.now() - t0;
const session = await openApply({ plan: made.planFile, databaseUrl: url });
const t1 = Date.now();
await session.before?.run();
// apply's wall time, every check included: from here to the end of verify-after.
const verifyBeforeMs = Date.now() - t1;
const stages = [];
for (const stage of session.stages) {
  const timing = await session.runStage(stage);
  stages.push({ name: stage.name, ms: timing.ms, checkMs: timing.checkMs, transactionMs: timing.transactionMs });
}
const t2 = Date.now();
const report = await session.after.run();
const verifyAfterMs = Date.now() - t2;
await session.close();
const ok = report.differences.every((d) => d.differs.length === 0);
const applyMs = Date.now() - t1;
const afterFrom = report.afterFrom;
process.stdout.write(
  JSON.stringify({
    planMs,
    applyMs,
    verifyBeforeMs,
    stages,
    verifyAfterMs,
    afterFrom,
    ok,
    maxRssKb: process.resourceUsage().maxRSS,
  }),
);
