import type { Sql } from '../db/connect.js';
import { BlockedError } from '../errors.js';
import { columnKey, type TableRef, tableKey } from '../model/types.js';
import { type FinalizeDrop, finalizeDrops, planFinalize } from '../planner/finalize-stage.js';
import { onlineStageIds, withoutReverseSync } from '../planner/online/online-undo.js';
import { planChanges } from '../planner/plan-changes.js';
import { catalogOptionsOf, slugOf } from '../planner/plan-migration.js';
import type { Plan, Stage } from '../planner/plan-schema.js';
import { stage } from '../planner/step.js';
import { checkPrivileges } from '../preflight/privileges.js';
import { type CheckRow, compareChecks, formulaOf, runChecks } from '../verify/run-checks.js';
import { onlineAgreement, type ShadowDisagreement } from '../verify/shadow-agreement.js';
import { changesSinceApply, explainedByWrites } from '../verify/since-apply.js';
import { completedStages, findPlanRecord, loadChecks, setStatus } from './bookkeeping.js';
import { loadPlan } from './load-plan.js';
import { openRun } from './run-handle.js';
import { type RunSettings, runSettingsFor, runStage, type StageTiming } from './run-stage.js';
import { componentStageIds, type RunSession, runSession, type StageHooks, stageLabel } from './session.js';

export interface FinalizeOptions {
  plan: string | Plan;
  databaseUrl?: string;
  settings?: Partial<RunSettings>;
  /** Rows of apply's time re-pointed since (verify lists them) are the application's: go on. */
  acceptMoved?: boolean;
}

export interface FinalizeReport {
  plan: Plan;
  stages: StageTiming[];
  /** The columns finalize dropped. */
  dropped: FinalizeDrop[];
  /** Repairs: the parents' columns that held the old ids before this plan; finalize leaves them be. */
  kept: { table: TableRef; column: string }[];
}

/** The mapping columns of repaired parents: they existed before the plan, so finalize keeps them. */
function repairMappings(plan: Plan): FinalizeReport['kept'] {
  const kept = new Map<string, FinalizeReport['kept'][number]>();
  for (const ref of plan.references.filter((r) => r.mode === 'repair')) {
    const column = ref.joinColumns[ref.columns.indexOf(ref.convertColumns[0]!)]!;
    kept.set(columnKey(ref.parent, column), { table: ref.parent, column });
  }
  return [...kept.values()];
}

/**
 * `uuidmig finalize`, stage by stage: after a passing verify, drop what only the migration needed
 * (legacy columns the Drizzle schema does not declare, the integers references held, orphans' old
 * values under --orphans null). There is no rollback after this.
 */
export async function openFinalize(options: FinalizeOptions): Promise<RunSession<FinalizeReport>> {
  const plan = loadPlan(options.plan);
  const settings = runSettingsFor(plan, options.settings);
  const handle = await openRun(options.databaseUrl);
  const { conn } = handle;
  const guard = <T>(work: () => Promise<T>) => handle.guard(work);
  try {
    const record = await guard(() => findPlanRecord(conn, plan.id));
    const refusal: Record<string, string> = {
      none: `Plan ${plan.id} was never applied to this database; there is nothing to finalize.`,
      applying: `Plan ${plan.id} is not fully applied; run uuidmig apply to finish it first.`,
      failed: `Plan ${plan.id} is not fully applied; run uuidmig apply to finish it first.`,
      rolling_back: `A rollback of plan ${plan.id} did not finish; run uuidmig rollback again.`,
      rolled_back: `Plan ${plan.id} was rolled back; there is nothing to finalize.`,
      finalized: `Plan ${plan.id} is already finalized.`,
    };
    const status = record?.status ?? 'none';
    if (status !== 'applied') throw new BlockedError(refusal[status]!);
    await guard(() => checkPrivileges(conn, plan, 'finalize'));
    const declared = new Set(plan.conversions.filter((c) => c.legacyDeclared).map((c) => columnKey(c.table, c.column)));
    const ids = componentStageIds(plan);
    const dropped: FinalizeDrop[] = [];
    const componentOf = new Map(plan.components.flatMap((c) => c.tables.map((t) => [tableKey(t), c.id] as const)));
    const stages: Stage[] = planChanges(plan)
      .map((changes) => {
        const drops = finalizeDrops(changes, plan.options.orphans, (t, column) => declared.has(columnKey(t, column)));
        dropped.push(...drops);
        const slug = slugOf(changes.component.hub.name);
        const drafts = planFinalize(drops, changes);
        const online = plan.options.strategy === 'online';
        const swapId = onlineStageIds(plan, changes.component.id).swap;
        return stage(
          ids.get(changes.component.id)!,
          'finalize',
          slug,
          changes.component.id,
          online ? withoutReverseSync(drafts, changes, swapId) : drafts,
        );
      })
      .filter((s) => s.steps.length > 0);
    // A finalize that failed partway committed some components' stages: they are done (and their legacy
    // columns gone, so they cannot be verified row by row any more); the others go on.
    const done = new Set(
      (await guard(() => completedStages(conn, plan.id, record!.run, 'finalize'))).map((s) => s.stageId),
    );
    const pending = stages.filter((s) => !done.has(s.id));
    const pendingComponents = new Set(pending.map((s) => s.component));
    const timings: StageTiming[] = [];
    return {
      plan,
      action: 'finalize',
      resumed: done.size > 0,
      before: {
        title: 'verify: the checks again, compared with verify-before',
        run: () =>
          guard(async () => {
            if (plan.options.strategy === 'online') return agreeBeforeFinalize(handle.sql, plan, pendingComponents);
            const recorded = await loadChecks(conn, plan.id, 'before');
            const now: CheckRow[] = [];
            for (const id of pendingComponents) now.push(...(await runChecks(conn, plan, id, formulaOf(recorded))));
            const names = new Set(now.map((c) => `${c.kind}:${c.name}`));
            const before = recorded.filter((c) => names.has(`${c.kind}:${c.name}`));
            const all = compareChecks(before, now);
            const differences = all.filter((d) => d.differs.length);
            if (!differences.length) return;
            // Rows the application wrote around the rows of apply's time change nothing finalize drops.
            const since = await changesSinceApply(conn, plan, before, now);
            if (explainedByWrites(all, since, options.acceptMoved)) return;
            const listed = differences.map((d) => `${d.name}: ${d.differs.join(', ')}`).join('; ');
            const moved = since.some((c) => c.change === 'repointed')
              ? ' If they are rows the application re-pointed since apply (verify counts them), ' +
                'uuidmig finalize --accept-moved goes on.'
              : '';
            throw new BlockedError(
              `Verify finds differences (${listed}), so finalize keeps the legacy columns that could explain ` +
                `them; run uuidmig verify for the details.${moved}`,
            );
          }),
      },
      stages: pending,
      label: (s) => stageLabel(s, stages),
      runStage: (s, hooks = {}) =>
        guard(async () => {
          const action = 'finalize' as const;
          const context = { planId: plan.id, run: record!.run, action, settings, watch: handle.watch, ...hooks };
          const timing = await runStage(conn, s, { ...context, catalog: catalogOptionsOf(plan) });
          timings.push(timing);
          return timing;
        }),
      after: {
        title: 'mark the plan finalized',
        run: () =>
          guard(async () => {
            await setStatus(conn, plan.id, 'finalized');
            const droppedNow = dropped.filter((d) =>
              pending.some((s) => s.component === componentOf.get(tableKey(d.table))),
            );
            return { plan, stages: timings, dropped: droppedNow, kept: repairMappings(plan) };
          }),
      },
      close: () => handle.close(),
    };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/** An online plan finalizes once every uuid agrees with the integer it replaced, at one snapshot. */
async function agreeBeforeFinalize(sql: Sql, plan: Plan, components: Set<string>): Promise<void> {
  const wrong: ShadowDisagreement[] = [];
  for (const id of components) wrong.push(...(await onlineAgreement(sql, plan, id)).filter((d) => d.rows > 0));
  if (!wrong.length) return;
  const listed = wrong.map((d) => `${d.column}: ${d.rows} row(s)`).join('; ');
  throw new BlockedError(
    `Verify finds uuids that disagree with their integers (${listed}), ` +
      'so finalize keeps the legacy columns that could explain them; run uuidmig verify for the details.',
  );
}

/** `uuidmig finalize` as a library call. */
export async function finalize(options: FinalizeOptions, hooks: StageHooks = {}): Promise<FinalizeReport> {
  return runSession(await openFinalize(options), hooks);
}
