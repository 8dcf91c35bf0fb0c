import { withDatabaseErrors } from '../db/connect.js';
import { BlockedError } from '../errors.js';
import { planChanges } from '../planner/plan-changes.js';
import { slugOf } from '../planner/plan-migration.js';
import type { Plan, Stage } from '../planner/plan-schema.js';
import { planCleanup, planRollback } from '../planner/rollback-stage.js';
import { stage } from '../planner/step.js';
import { readPlanFile } from '../render/plan-file.js';
import { compareChecks, componentState, runChecks } from '../verify/run-checks.js';
import type { VerifyReport } from '../verify/verify.js';
import { findPlanRecord, loadChecks, saveChecks, setStatus } from './bookkeeping.js';
import { openRun } from './run-handle.js';
import { DEFAULT_RUN_SETTINGS, type RunSettings, runStage, type StageTiming } from './run-stage.js';
import { componentStageIds, type RunSession, runSession, type StageHooks, stageLabel } from './session.js';

export interface RollbackOptions {
  plan: string | Plan;
  databaseUrl?: string;
  settings?: Partial<RunSettings>;
}

export interface RollbackReport extends VerifyReport {
  stages: StageTiming[];
}

/**
 * `uuidmig rollback`, stage by stage: return every component to its integer keys, row for row, while
 * the legacy columns exist (a component that never swapped has its added columns dropped); then
 * compare the checks with verify-before. Refused after finalize. Run again after a failure, it undoes
 * what is left: each component's state is read from the database.
 */
export async function openRollback(options: RollbackOptions): Promise<RunSession<RollbackReport>> {
  const plan = typeof options.plan === 'string' ? readPlanFile(options.plan) : options.plan;
  const settings = { ...DEFAULT_RUN_SETTINGS, ...options.settings };
  const handle = await openRun(options.databaseUrl);
  const { conn } = handle;
  const guard = <T>(work: () => Promise<T>) => withDatabaseErrors(handle.url, work);
  try {
    const record = await guard(() => findPlanRecord(conn, plan.id));
    if (!record) {
      throw new BlockedError(`Plan ${plan.id} was never applied to this database; there is nothing to roll back.`);
    }
    if (record.status === 'finalized') {
      throw new BlockedError(
        `Plan ${plan.id} was finalized: the legacy columns that map the uuids back to integers are gone, so it ` +
          'cannot be rolled back; restore a backup taken before apply instead.',
      );
    }
    if (record.status === 'rolled_back') {
      throw new BlockedError(`Plan ${plan.id} is already rolled back; there is nothing to undo.`);
    }
    const ids = componentStageIds(plan);
    const stages: Stage[] = [];
    for (const changes of [...planChanges(plan)].reverse()) {
      const swapped = (await guard(() => componentState(conn, changes))) === 'uuid';
      const drafts = swapped ? planRollback(changes, plan.options.fireTriggers) : planCleanup(changes);
      const kind = swapped ? 'rollback' : 'cleanup';
      const id = ids.get(changes.component.id)!;
      stages.push(stage(id, kind, slugOf(changes.component.hub.name), changes.component.id, drafts));
    }
    const timings: StageTiming[] = [];
    return {
      plan,
      action: 'rollback',
      resumed: record.status === 'rolling_back',
      before: null,
      stages,
      label: (s) => stageLabel(s, stages),
      runStage: (s, hooks = {}) =>
        guard(async () => {
          await setStatus(conn, plan.id, 'rolling_back');
          const context = { planId: plan.id, run: record.run, action: 'rollback' as const, settings, ...hooks };
          const timing = await runStage(conn, s, context);
          timings.push(timing);
          return timing;
        }),
      after: {
        title: 'verify: the checks again, compared with verify-before',
        run: () =>
          guard(async () => {
            await setStatus(conn, plan.id, 'rolled_back');
            const now = await runChecks(conn, plan);
            await saveChecks(conn, plan.id, 'after-rollback', now);
            const differences = compareChecks(await loadChecks(conn, plan.id, 'before'), now);
            const ok = differences.every((d) => d.differs.length === 0);
            return { plan, status: 'rolled_back', scope: 'row-by-row', stages: timings, differences, ok };
          }),
      },
      close: () => handle.close(),
    };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** `uuidmig rollback` as a library call. */
export async function rollback(options: RollbackOptions, hooks: StageHooks = {}): Promise<RollbackReport> {
  return runSession(await openRollback(options), hooks);
}
