import type { Plan } from '../planner/plan-schema.js';
import { emptiesTables, isKeyedRewrite } from '../planner/rewrite-stage.js';

/** `apply --dry-run`: every statement, grouped by stage, with its lock level, table and estimated rows. */
export function renderDryRun(plan: Plan, verdict: string): string {
  const count = plan.stages.reduce((n, s) => n + s.steps.length, 0);
  const out = [
    `Dry run of plan ${plan.id}: ${plan.stages.length} stage(s), ${count} statement(s). Nothing was changed.`,
    verdict,
    applicationNote(plan),
    ...(plan.drizzle
      ? [
          `With its last stage, apply records ${plan.drizzle.tag} in drizzle's migrations table ` +
            `${plan.drizzle.migrationsSchema}.${plan.drizzle.migrationsTable}, so drizzle-kit migrate skips it.`,
        ]
      : []),
    '',
  ];
  for (const stage of plan.stages) {
    out.push(
      `Stage ${stage.id} ${stage.name} (${stage.transactional ? 'one transaction' : 'no transaction'}, component ` +
        `${stage.component})`,
    );
    const checkAt = baselineAt(plan, stage);
    const keyed = isKeyedRewrite(stage);
    for (const [index, step] of stage.steps.entries()) {
      const where = step.table
        ? `${step.table}${step.estimatedRows === null ? '' : ` ~${step.estimatedRows} rows`}`
        : '-';
      if (index === checkAt) out.push(`  ${BASELINE}`);
      out.push(`  ${step.id}  ${step.lock.padEnd(19)}  ${where}`);
      if (keyed && step.kind === 'guard') out.push(`      ${PROVEN}`);
      out.push(...step.sql.split('\n').map((line) => `      ${line}`));
    }
    out.push('');
  }
  return out.join('\n');
}

const BASELINE =
  "(here apply reads verify-before inside the transaction: every table's rows, each reference's orphans and " +
  'fingerprint; the same checks before COMMIT must agree, or the stage rolls back)';
const PROVEN =
  '-- apply does not send this guard when verify-before counted no orphan of its references (the same ' +
  'condition, on the same rows under the same lock; not under FORCE ROW LEVEL SECURITY); it says so ' +
  '("proven by the check after the lock")';

/**
 * Where apply takes an offline stage's verify-before: before the step that empties a copy rewrite's
 * tables (its copies hold every row), else after its last lock step; -1 for a stage without one.
 */
function baselineAt(plan: Plan, stage: Plan['stages'][number]): number {
  if (plan.options.strategy === 'online' || (stage.kind !== 'rewrite' && stage.kind !== 'swap')) return -1;
  const empties = stage.steps.findIndex(emptiesTables);
  const locked = stage.steps.findLastIndex((s) => s.kind === 'lock');
  return empties > locked ? empties : locked + 1;
}

const REWRITE_LOCKS =
  'each rewrite stage locks its component ACCESS EXCLUSIVE for as long as it rewrites it (the validate stage ' +
  'after it locks no reader or writer)';

const UPDATE_LOCKS =
  'the expand stage locks the tables ACCESS EXCLUSIVE while it adds the uuid columns and gives every key its ' +
  'uuid; the backfill updates every reference in one transaction, so writers to those rows wait for it; each ' +
  'swap locks its component ACCESS EXCLUSIVE while it brings the backfill up to date and rebuilds its keys, ' +
  'indexes and foreign keys';

/**
 * What the strategy needs from the application, said before anything runs: both offline strategies are
 * offline at the swap (writers wait on its lock, then meet uuid columns). Said of the stages the plan
 * has, per component: under `rewrite`, a component with inheritance children is updated in place
 * (expand, backfill, swap; planner/inheritance-strategy.ts), and its locks are not a rewrite's.
 */
export function applicationNote(plan: Plan): string {
  if (plan.options.strategy === 'online') {
    return (
      'Online: the application keeps writing throughout. Expand and each swap hold ACCESS EXCLUSIVE for a ' +
      'catalog change only (lock_timeout 150ms, retried); the backfill writes in short batches and the build ' +
      'works CONCURRENTLY. Until a component swaps the application writes integers, unchanged; from its ' +
      'swap it must write uuids: deploy its uuid version then (apply --until build stops just before), and ' +
      'reconnect or drop prepared statements from before the swap.'
    );
  }
  const having = (kind: string) =>
    plan.components.filter((c) => plan.stages.some((s) => s.component === c.id && s.kind === kind)).map((c) => c.id);
  const rewritten = having('rewrite');
  const updated = having('swap');
  // Components are named when the plan mixes the two, or updates some it was asked to rewrite.
  const asked = plan.options.strategy === 'rewrite';
  const of = (ids: string[], why = '') =>
    (rewritten.length && updated.length) || why
      ? `${ids.length === 1 ? 'Component' : 'Components'} ${ids.join(', ')}${why}: `
      : '';
  const parts = [
    ...(rewritten.length ? [`${of(rewritten)}${REWRITE_LOCKS}`] : []),
    ...(updated.length
      ? [`${of(updated, asked ? ' (inheritance children: expand, backfill and swap)' : '')}${UPDATE_LOCKS}`]
      : []),
  ];
  if (!parts.length) parts.push(asked ? REWRITE_LOCKS : UPDATE_LOCKS); // a plan with nothing to do
  const sentences = parts.map((p) => p.charAt(0).toUpperCase() + p.slice(1));
  return (
    `${sentences.join('. ')}. Writers wait on each lock, then go on once it commits, and from then on the keys and ` +
    'references are uuid. Stop the application writing, or deploy its uuid version at the swap: integer ids ' +
    "sent after it fail with 'invalid input syntax for type uuid' (none is accepted silently)."
  );
}
