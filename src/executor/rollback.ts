import { BlockedError } from '../errors.js';
import { planChanges } from '../planner/plan-changes.js';
import { slugOf } from '../planner/plan-migration.js';
import type { Plan, Stage } from '../planner/plan-schema.js';
import { planCleanup, planRollback } from '../planner/rollback-stage.js';
import { stage } from '../planner/step.js';
import { readPlanFile } from '../render/plan-file.js';
import { compareChecks, componentState, runChecks } from '../verify/run-checks.js';
import type { VerifyReport } from '../verify/verify.js';
import type { StageHooks } from './apply.js';
import { findPlanRecord, loadChecks, saveChecks, setStatus } from './bookkeeping.js';
import { withRun } from './run-handle.js';
import { DEFAULT_RUN_SETTINGS, type RunSettings, runStage, type StageTiming } from './run-stage.js';

export interface RollbackOptions {
  plan: string | Plan;
  databaseUrl?: string;
  settings?: Partial<RunSettings>;
}

export interface RollbackReport extends VerifyReport {
  stages: StageTiming[];
}

/**
 * `uuidmig rollback`: return every component to its integer keys, row for row, while the legacy
 * columns exist; then compare the checks with verify-before. Refused after finalize.
 */
export async function rollback(options: RollbackOptions, hooks: StageHooks = {}): Promise<RollbackReport> {
  const plan = typeof options.plan === 'string' ? readPlanFile(options.plan) : options.plan;
  const settings = { ...DEFAULT_RUN_SETTINGS, ...options.settings };
  return withRun(options.databaseUrl, async ({ conn }) => {
    const record = await findPlanRecord(conn, plan.id);
    if (!record)
      throw new BlockedError(`Plan ${plan.id} was never applied to this database; there is nothing to roll back.`);
    if (record.status === 'finalized') {
      throw new BlockedError(
        `Plan ${plan.id} was finalized: the legacy columns that map the uuids back to integers are gone, so it ` +
          `cannot be rolled back; restore a backup taken before apply instead.`,
      );
    }
    if (record.status === 'rolled_back')
      throw new BlockedError(`Plan ${plan.id} is already rolled back; there is nothing to undo.`);
    const stages: Stage[] = [];
    for (const changes of [...planChanges(plan)].reverse()) {
      const swapped = (await componentState(conn, changes)) === 'uuid';
      const drafts = swapped ? planRollback(changes, plan.options.fireTriggers) : planCleanup(changes);
      stages.push(
        stage(
          String(stages.length).padStart(4, '0'),
          swapped ? 'rollback' : 'cleanup',
          slugOf(changes.component.hub.name),
          changes.component.id,
          drafts,
        ),
      );
    }
    await setStatus(conn, plan.id, 'rolling_back');
    const timings: StageTiming[] = [];
    for (const s of stages)
      timings.push(
        await runStage(conn, s, { planId: plan.id, run: record.run, action: 'rollback', settings, ...hooks }),
      );
    await setStatus(conn, plan.id, 'rolled_back');
    const now = await runChecks(conn, plan);
    await saveChecks(conn, plan.id, 'after-rollback', now);
    const differences = compareChecks(await loadChecks(conn, plan.id, 'before'), now);
    return {
      plan,
      status: 'rolled_back',
      stages: timings,
      differences,
      ok: differences.every((d) => d.differs.length === 0),
    };
  });
}
