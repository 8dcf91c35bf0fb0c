import type { Sql } from '../db/connect.js';
import { forgetEntry } from '../drizzle/record.js';
import { BlockedError } from '../errors.js';
import { tableKey } from '../model/types.js';
import { planOnlineValidate } from '../planner/online/online-attach.js';
import { planReverseBuild, planReverseSwap } from '../planner/online/online-reverse.js';
import { onlineStageIds, planOnlineCleanup } from '../planner/online/online-undo.js';
import { loadSqlParser } from '../planner/online/rewrite-sql.js';
import { planChanges } from '../planner/plan-changes.js';
import { catalogOptionsOf, slugOf } from '../planner/plan-migration.js';
import type { Plan, Stage } from '../planner/plan-schema.js';
import { validateAgain, validatesAfter } from '../planner/rewrite-bound.js';
import { planCleanup, planRollback, planRollbackValidate } from '../planner/rollback-stage.js';
import { stage } from '../planner/step.js';
import { checkPrivileges } from '../preflight/privileges.js';
import {
  analyzeComponent,
  type CheckRow,
  compareChecks,
  componentState,
  formulaOf,
  runChecks,
} from '../verify/run-checks.js';
import { onlineAgreement } from '../verify/shadow-agreement.js';
import { type ChangeSinceApply, changesSinceApply } from '../verify/since-apply.js';
import type { VerifyReport } from '../verify/verify.js';
import { findPlanRecord, loadChecks, saveChecks, setStatus } from './bookkeeping.js';
import { loadPlan } from './load-plan.js';
import { openRun } from './run-handle.js';
import { type RunSettings, runSettingsFor, runStage, StageCheckError, type StageTiming } from './run-stage.js';
import { componentStageIds, type RunSession, runSession, type StageHooks, stageLabel } from './session.js';

export interface RollbackOptions {
  plan: string | Plan;
  databaseUrl?: string;
  settings?: Partial<RunSettings>;
}

export interface RollbackReport extends VerifyReport {
  stages: StageTiming[];
  /** What the application changed between apply and rollback: reported, never a failure. */
  sinceApply: ChangeSinceApply[];
}

/**
 * `uuidmig rollback`, stage by stage: return every component to its integer keys, row for row, while
 * the legacy columns exist (a component that never swapped has its added columns dropped). Each stage
 * proves itself inside its transaction: the checks taken on the uuid state right after its lock
 * (rows, orphans, fingerprints through the legacy integers) must equal the same checks on the integer
 * state before commit, so every row got exactly the integer its uuid pointed to, rows written after
 * apply included. What the application changed since apply is then reported beside it, not as a
 * failure. Refused after finalize. Run again after a failure, it undoes what is left.
 */
export async function openRollback(options: RollbackOptions): Promise<RunSession<RollbackReport>> {
  const plan = loadPlan(options.plan);
  const settings = runSettingsFor(plan, options.settings);
  const handle = await openRun(options.databaseUrl);
  const { conn } = handle;
  const guard = <T>(work: () => Promise<T>) => handle.guard(work);
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
    await guard(() => checkPrivileges(conn, plan, 'roll back'));
    // Online, the stages below rewrite index definitions through the SQL parser: wait until it has loaded.
    if (plan.options.strategy === 'online') await loadSqlParser();
    const ids = componentStageIds(plan);
    const stages: Stage[] = [];
    const partitioned = new Set(plan.catalog.tables.filter((t) => t.kind === 'partitioned').map(tableKey));
    // The foreign keys a rollback stage adds NOT VALID, as a rewrite does: validated after its commit.
    const notValid = validatesAfter(partitioned);
    for (const changes of [...planChanges(plan)].reverse()) {
      const swapped = (await guard(() => componentState(conn, changes))) === 'uuid';
      const online = plan.options.strategy === 'online' ? onlineStageIds(plan, changes.component.id) : null;
      const kind = swapped ? 'rollback' : 'cleanup';
      const id = ids.get(changes.component.id)!;
      const slug = slugOf(changes.component.hub.name);
      if (online && swapped) {
        // The mirror of build and swap: built while the application writes, then one short swap back.
        stages.push(stage(`${id}.1`, kind, slug, changes.component.id, planReverseBuild(changes), false));
        stages.push(stage(`${id}.2`, kind, slug, changes.component.id, planReverseSwap(changes, online.swap)));
        // Foreign keys into a partitioned table come back NOT VALID at the swap back: validated after it.
        const validate = planOnlineValidate(changes, false);
        if (validate.length) stages.push(stage(`${id}.3`, kind, slug, changes.component.id, validate, false));
        continue;
      }
      if (online) {
        stages.push(stage(id, kind, slug, changes.component.id, planOnlineCleanup(changes, online.expand)));
        continue;
      }
      const rewritten = plan.stages.some((s) => s.component === changes.component.id && s.kind === 'rewrite');
      const drafts = swapped
        ? planRollback(changes, plan.options.fireTriggers, rewritten, notValid)
        : planCleanup(changes);
      stages.push(stage(id, kind, slug, changes.component.id, drafts));
      // After its commit, while writes go on (also after a rollback that stopped before them: a component
      // rolled back already is cleaned up, and its keys still NOT VALID are validated here).
      // Each key once: apply's validate stage may name a key this rollback also adds NOT VALID.
      const validations = [...planRollbackValidate(changes, notValid), ...validateAgain(plan, changes.component.id)];
      const validate = [...new Map(validations.map((v) => [v.sql, v])).values()];
      if (validate.length) stages.push(stage(`${id}.1`, kind, slug, changes.component.id, validate, false));
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
          const online = plan.options.strategy === 'online';
          if (online && s.kind === 'rollback' && s.transactional)
            await agreeBeforeSwapBack(handle.sql, plan, s.component);
          const proof =
            s.kind === 'rollback' && s.transactional && !online ? provenRollback(plan, s.component, hooks) : {};
          const context = {
            planId: plan.id,
            run: record.run,
            action: 'rollback' as const,
            settings,
            catalog: catalogOptionsOf(plan),
            watch: handle.watch,
            ...hooks,
            ...proof,
          };
          const timing = await runStage(conn, s, context);
          timings.push(timing);
          return timing;
        }),
      after: {
        title: 'verify: the checks again, compared with verify-before',
        run: () =>
          guard(async () => {
            await setStatus(conn, plan.id, 'rolled_back');
            // The team folder's entry is no longer applied here: drizzle's migrations table forgets it.
            if (plan.drizzle) await forgetEntry(conn, plan.drizzle);
            const baseline = await loadChecks(conn, plan.id, plan.options.strategy === 'online' ? 'after' : 'before');
            const now = await runChecks(conn, plan, undefined, formulaOf(baseline));
            await saveChecks(conn, plan.id, 'after-rollback', now);
            const sinceApply = await changesSinceApply(conn, plan, baseline, now);
            // Each stage committed only once its own proof held.
            return {
              plan,
              status: 'rolled_back',
              scope: 'row-by-row',
              stages: timings,
              differences: [],
              ok: true,
              uncompared: 0,
              sinceApply,
            };
          }),
      },
      close: () => handle.close(),
    };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/**
 * Before an online component swaps back, the proof that it may: at one snapshot, every uuid leads to
 * the parent whose legacy integer the row kept. The swap back then only renames what was proven.
 */
async function agreeBeforeSwapBack(sql: Sql, plan: Plan, component: string): Promise<void> {
  const wrong = (await onlineAgreement(sql, plan, component)).filter((d) => d.rows > 0);
  if (wrong.length) {
    throw new BlockedError(
      `Before the swap back, ${wrong.map((d) => `${d.rows} row(s) of ${d.column}`).join(', ')} hold an integer ` +
        'that disagrees with their uuid, so nothing was swapped back. Writes the sync trigger did not see do this ' +
        '(one under session_replication_role = replica, or a trigger of your own that changes the column after ' +
        'it): stop them, then run uuidmig rollback again.',
    );
  }
}

/** `uuidmig rollback` as a library call. */
export async function rollback(options: RollbackOptions, hooks: StageHooks = {}): Promise<RollbackReport> {
  return runSession(await openRollback(options), hooks);
}

/**
 * The proof a rollback stage carries: the checks on the uuid state right after its lock, the same
 * checks on the integer state before commit; any difference keeps the stage from committing.
 */
function provenRollback(plan: Plan, component: string, hooks: StageHooks) {
  let atLock: CheckRow[] = [];
  return {
    afterLock: async (tx: Pick<Sql, 'unsafe'>) => {
      await analyzeComponent(tx, plan, component);
      atLock = await runChecks(tx, plan, component);
    },
    beforeCommit: async (tx: Pick<Sql, 'unsafe'>) => {
      await analyzeComponent(tx, plan, component);
      const back = await runChecks(tx, plan, component);
      const wrong = compareChecks(atLock, back).filter((d) => d.differs.length);
      if (wrong.length) {
        const listed = wrong.map((d) => `${d.name} (${d.differs.join(', ')})`).join('; ');
        throw new StageCheckError(`the integers put back would not match the uuids they replace: ${listed}`);
      }
      for (const c of back.filter((x) => x.kind === 'reference')) {
        hooks.onNote?.(`${c.name}: ${c.rows} rows hold the integer of the parent their uuid pointed to`);
      }
    },
  };
}
