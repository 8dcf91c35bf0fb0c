import { BlockedError } from '../errors.js';
import { type FinalizeDrop, finalizeDrops, planFinalize } from '../planner/finalize-stage.js';
import { planChanges } from '../planner/plan-changes.js';
import { slugOf } from '../planner/plan-migration.js';
import type { Plan, Stage } from '../planner/plan-schema.js';
import { stage } from '../planner/step.js';
import { readPlanFile } from '../render/plan-file.js';
import { compareChecks, runChecks } from '../verify/run-checks.js';
import type { StageHooks } from './apply.js';
import { findPlanRecord, loadChecks, setStatus } from './bookkeeping.js';
import { withRun } from './run-handle.js';
import { DEFAULT_RUN_SETTINGS, type RunSettings, runStage, type StageTiming } from './run-stage.js';

export interface FinalizeOptions {
  plan: string | Plan;
  databaseUrl?: string;
  settings?: Partial<RunSettings>;
}

export interface FinalizeReport {
  plan: Plan;
  stages: StageTiming[];
  /** The columns finalize dropped. */
  dropped: FinalizeDrop[];
}

/**
 * `uuidmig finalize`: after a passing verify, drop what only the migration needed (legacy columns
 * the Drizzle schema does not declare, the integers references held, orphans' old values under
 * --orphans null). There is no rollback after this.
 */
export async function finalize(options: FinalizeOptions, hooks: StageHooks = {}): Promise<FinalizeReport> {
  const plan = typeof options.plan === 'string' ? readPlanFile(options.plan) : options.plan;
  const settings = { ...DEFAULT_RUN_SETTINGS, ...options.settings };
  return withRun(options.databaseUrl, async ({ conn }) => {
    const record = await findPlanRecord(conn, plan.id);
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
    const differences = compareChecks(await loadChecks(conn, plan.id, 'before'), await runChecks(conn, plan)).filter(
      (d) => d.differs.length,
    );
    if (differences.length) {
      throw new BlockedError(
        `Verify finds differences (${differences.map((d) => `${d.name}: ${d.differs.join(', ')}`).join('; ')}), ` +
          `so finalize keeps the legacy columns that could explain them; run uuidmig verify for the details.`,
      );
    }
    const declared = new Set(
      plan.conversions.filter((c) => c.legacyDeclared).map((c) => `${c.table.schema}.${c.table.name}.${c.column}`),
    );
    const dropped: FinalizeDrop[] = [];
    const stages: Stage[] = planChanges(plan)
      .map((changes, i) => {
        const drops = finalizeDrops(changes, plan.options.orphans, (table, column) =>
          declared.has(`${table}.${column}`),
        );
        dropped.push(...drops);
        return stage(
          String(i).padStart(4, '0'),
          'finalize',
          slugOf(changes.component.hub.name),
          changes.component.id,
          planFinalize(drops),
        );
      })
      .filter((s) => s.steps.length > 0);
    const timings: StageTiming[] = [];
    for (const s of stages)
      timings.push(
        await runStage(conn, s, { planId: plan.id, run: record!.run, action: 'finalize', settings, ...hooks }),
      );
    await setStatus(conn, plan.id, 'finalized');
    return { plan, stages: timings, dropped };
  });
}
