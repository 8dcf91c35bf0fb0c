import { withDatabaseErrors } from '../db/connect.js';
import { planChanges } from '../planner/plan-changes.js';
import type { Plan } from '../planner/plan-schema.js';
import { readPlanFile } from '../render/plan-file.js';
import { type CheckDifference, type CheckRow, compareChecks, componentState, runChecks } from '../verify/run-checks.js';
import { assessApply } from './assess.js';
import { ensureBookkeeping, loadChecks, saveChecks, setStatus, startRun } from './bookkeeping.js';
import { openRun } from './run-handle.js';
import { DEFAULT_RUN_SETTINGS, type RunSettings, runStage, StageCheckError, type StageTiming } from './run-stage.js';
import { type RunSession, runSession, type StageHooks, stageLabel } from './session.js';

export interface ApplyOptions {
  plan: string | Plan;
  databaseUrl?: string;
  settings?: Partial<RunSettings>;
  /**
   * Run the plan on a copy made for it (plan's DDL check), without asking whether its catalog is
   * the one the plan was made from: a server of another version may print a definition differently.
   */
  onCopy?: boolean;
}

export interface ApplyReport {
  plan: Plan;
  resumed: boolean;
  stages: StageTiming[];
  before: CheckRow[];
  after: CheckRow[];
  differences: CheckDifference[];
}

/** `uuidmig apply`, stage by stage: verify-before, each pending stage, then verify-after. */
export async function openApply(options: ApplyOptions): Promise<RunSession<ApplyReport>> {
  const plan = typeof options.plan === 'string' ? readPlanFile(options.plan) : options.plan;
  const settings = { ...DEFAULT_RUN_SETTINGS, ...options.settings };
  const handle = await openRun(options.databaseUrl);
  const { conn } = handle;
  let assessment: Awaited<ReturnType<typeof assessApply>>;
  try {
    assessment = await withDatabaseErrors(handle.url, () => assessApply(handle.sql, plan, options.onCopy));
  } catch (error) {
    await handle.close();
    throw error;
  }
  const { mode, record, completed, catalogHash } = assessment;
  let run = record?.run ?? 0;
  let before: CheckRow[] = [];
  const timings: StageTiming[] = [];
  const changesByComponent = new Map(planChanges(plan).map((c) => [c.component.id, c]));
  const guard = <T>(work: () => Promise<T>) => withDatabaseErrors(handle.url, work);
  return {
    plan,
    action: 'apply',
    resumed: mode === 'resume',
    stages: plan.stages.filter((s) => !completed.has(s.id)),
    label: (stage) => stageLabel(stage, plan.stages),
    before: {
      title:
        mode === 'resume'
          ? 'resume: verify-before again for the components not swapped yet'
          : 'verify-before: row counts, orphans and fingerprints',
      run: () =>
        guard(async () => {
          if (mode === 'resume') {
            // Components that have not swapped yet still hold their original data: their baseline is taken
            // again (the user may have fixed rows that stopped the last run). Swapped ones keep theirs.
            before = await loadChecks(conn, plan.id, 'before');
            for (const changes of changesByComponent.values()) {
              if ((await componentState(conn, changes)) === 'uuid') continue;
              const fresh = await runChecks(conn, plan, changes.component.id);
              const names = new Set(fresh.map((c) => `${c.kind}:${c.name}`));
              before = [...before.filter((c) => !names.has(`${c.kind}:${c.name}`)), ...fresh];
            }
            await saveChecks(conn, plan.id, 'before', before);
            await setStatus(conn, plan.id, 'applying');
            return;
          }
          await ensureBookkeeping(conn);
          run = await startRun(conn, plan, catalogHash, record);
          before = await runChecks(conn, plan);
          await saveChecks(conn, plan.id, 'before', before);
        }),
    },
    runStage: (stage, hooks = {}) =>
      guard(async () => {
        // The swap commits only if its component's checks still match verify-before.
        const beforeCommit =
          stage.kind === 'swap' || stage.kind === 'rewrite'
            ? async (tx: Pick<typeof conn, 'unsafe'>) => {
                const now = await runChecks(tx, plan, stage.component);
                if (now.length === 0) throw new StageCheckError(`no checks found for component ${stage.component}`);
                const names = new Set(now.map((c) => `${c.kind}:${c.name}`));
                const differences = compareChecks(
                  before.filter((c) => names.has(`${c.kind}:${c.name}`)),
                  now,
                ).filter((d) => d.differs.length);
                if (differences.length) {
                  throw new StageCheckError(
                    `verification inside the swap found ` +
                      `${differences.map((d) => `${d.name} (${d.differs.join(', ')})`).join('; ')}`,
                  );
                }
              }
            : undefined;
        try {
          const timing = await runStage(conn, stage, {
            planId: plan.id,
            run,
            action: 'apply',
            settings,
            beforeCommit,
            ...hooks,
          });
          timings.push(timing);
          return timing;
        } catch (error) {
          await setStatus(conn, plan.id, 'failed').catch(() => {});
          throw error;
        }
      }),
    after: {
      title: 'verify-after: the same checks, compared with verify-before',
      run: () =>
        guard(async () => {
          await setStatus(conn, plan.id, 'applied');
          const after = await runChecks(conn, plan);
          await saveChecks(conn, plan.id, 'after', after);
          return {
            plan,
            resumed: mode === 'resume',
            stages: timings,
            before,
            after,
            differences: compareChecks(before, after),
          };
        }),
    },
    close: () => handle.close(),
  };
}

/** `uuidmig apply` as a library call: verify-before, every pending stage, verify-after. */
export async function apply(options: ApplyOptions, hooks: StageHooks = {}): Promise<ApplyReport> {
  return runSession(await openApply(options), hooks);
}
