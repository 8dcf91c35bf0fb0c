import type { ReservedSql } from 'postgres';
import { type Sql, withDatabaseErrors } from '../db/connect.js';
import { entryRecorder } from '../drizzle/record.js';
import { checkEntryFile } from '../drizzle/reviewed-entry.js';
import { BlockedError } from '../errors.js';
import { planChanges } from '../planner/plan-changes.js';
import { catalogOptionsOf } from '../planner/plan-migration.js';
import type { Plan } from '../planner/plan-schema.js';
import { emptiesTables } from '../planner/rewrite-stage.js';
import { checkPrivileges } from '../preflight/privileges.js';
import {
  analyzeComponent,
  type CheckDifference,
  type CheckRow,
  checksFromCopies,
  compareChecks,
  formulaOf,
  runChecks,
} from '../verify/run-checks.js';
import { onlineAgreement, type ShadowDisagreement } from '../verify/shadow-agreement.js';
import { type ChangeSinceApply, changesSinceApply, explainedByWrites } from '../verify/since-apply.js';
import { assessApply } from './assess.js';
import { ensureBookkeeping, loadChecks, saveChecks, setStatus, startRun } from './bookkeeping.js';
import { loadPlan } from './load-plan.js';
import { provenGuards } from './proven-guards.js';
import { openRun } from './run-handle.js';
import {
  ConnectionLostError,
  type RunSettings,
  runSettingsFor,
  runStage,
  StageCheckError,
  type StageContext,
  type StageTiming,
} from './run-stage.js';
import { type RunSession, runSession, type StageHooks, stageLabel } from './session.js';

export interface ApplyOptions {
  plan: string | Plan;
  databaseUrl?: string;
  settings?: Partial<RunSettings>;
  /**
   * Run the plan on a copy made for it (plan's DDL check), without asking whether its catalog is
   * the one the plan was made from: a server of another version may print a definition differently.
   * Every statement is sent, the guards the stage's checks prove too: the check is there to run them.
   */
  onCopy?: boolean;
  /** Online: stop after the build stages, before any swap (`apply --until build`); a later apply swaps. */
  until?: 'build';
}

export interface ApplyReport {
  plan: Plan;
  resumed: boolean;
  stages: StageTiming[];
  before: CheckRow[];
  after: CheckRow[];
  differences: CheckDifference[];
  /** Rows written by others since each stage committed, told apart (empty when nothing differs). */
  sinceApply: ChangeSinceApply[];
  /** Online: rows whose uuids disagree with their integers, per column, at one snapshot after the stages. */
  agreement: ShadowDisagreement[];
  /** Online, `--until build`: stopped before the swap, as asked. */
  stoppedBeforeSwap: boolean;
  /** Nothing differs, or only by rows written around the rows the stages proved. */
  ok: boolean;
  /**
   * Where verify-after's checks come from: `in-lock`, each component's checks taken inside its stage
   * just before commit, under the lock (nothing could write in between, so they are the committed
   * state, and no table is read a third time); `read`, read from the tables after the stages (a resumed
   * run, or the online strategy's snapshot proof).
   */
  afterFrom: 'in-lock' | 'read';
}

/**
 * `uuidmig apply`, stage by stage: each pending stage (the swapping ones take their component's
 * verify-before after their lock and compare before commit), then verify-after.
 */
export async function openApply(options: ApplyOptions): Promise<RunSession<ApplyReport>> {
  const plan = loadPlan(options.plan);
  if (typeof options.plan === 'string') checkEntryFile(plan, options.plan);
  const settings = runSettingsFor(plan, options.settings);
  const handle = await openRun(options.databaseUrl);
  const { conn } = handle;
  let assessment: Awaited<ReturnType<typeof assessApply>>;
  try {
    assessment = await withDatabaseErrors(handle.url, async () => {
      const assessed = await assessApply(handle.sql, plan, options.onCopy);
      await checkPrivileges(handle.sql, plan, 'apply');
      return assessed;
    });
  } catch (error) {
    await handle.close();
    throw error;
  }
  const { mode, record, completed, catalogHash } = assessment;
  const online = plan.options.strategy === 'online';
  // --until build: every component's expand, backfill and build; the swaps (and what follows them) later.
  const afterBuild = (s: Plan['stages'][number]) => s.kind === 'swap' || s.kind === 'validate';
  const pending = plan.stages.filter((s) => !completed.has(s.id) && !(options.until === 'build' && afterBuild(s)));
  const stoppedBeforeSwap = pending.length < plan.stages.filter((s) => !completed.has(s.id)).length;
  let run = record?.run ?? 0;
  const timings: StageTiming[] = [];
  const guard = <T>(work: () => Promise<T>) => handle.guard(work);
  // The team folder's drizzle entry is recorded as applied with the plan's last stage.
  const recorder = entryRecorder(options.onCopy ? undefined : plan.drizzle, plan.stages);
  // Each component's checks at its commit, as its stage's lock proved them (offline strategies).
  const inLock = new Map<string, CheckRow[]>();
  return {
    plan,
    action: 'apply',
    resumed: mode === 'resume',
    stages: pending,
    label: (stage) => stageLabel(stage, plan.stages),
    before: {
      title: mode === 'resume' ? 'resume: the stages not committed yet' : 'record the run in uuidmig.plans',
      run: () =>
        guard(async () => {
          if (mode === 'resume') return setStatus(conn, plan.id, 'applying');
          await ensureBookkeeping(conn);
          run = await startRun(conn, plan, catalogHash, record);
        }),
    },
    runStage: (stage, hooks = {}) =>
      guard(async () => {
        try {
          if (online && stage.kind === 'swap') await agreeBeforeSwap(handle.sql, plan, stage.component);
          const proven = !online && (stage.kind === 'swap' || stage.kind === 'rewrite');
          const checks = proven ? baselineChecks(plan, stage, inLock, !options.onCopy) : {};
          const timing = await runStage(conn, stage, {
            planId: plan.id,
            run,
            action: 'apply',
            settings,
            catalog: catalogOptionsOf(plan),
            watch: handle.watch,
            ...checks,
            ...recorder.inStage(stage, checks.beforeCommit),
            ...hooks,
          });
          timings.push(timing);
          return timing;
        } catch (error) {
          if (!(error instanceof ConnectionLostError)) await setStatus(conn, plan.id, 'failed').catch(() => {});
          throw error;
        }
      }),
    after: {
      title: 'verify-after: the same checks, compared with verify-before',
      run: () =>
        guard(async () => {
          if (!stoppedBeforeSwap) await recorder.afterStages(conn);
          if (online) return onlineAfter(conn, handle.sql, plan, timings, mode === 'resume', stoppedBeforeSwap);
          await setStatus(conn, plan.id, 'applied');
          const before = await loadChecks(conn, plan.id, 'before');
          const components = planChanges(plan).map((c) => c.component.id);
          const fromLock = mode !== 'resume' && components.every((c) => inLock.has(c));
          const after = fromLock
            ? components.flatMap((c) => inLock.get(c)!)
            : await runChecks(conn, plan, undefined, formulaOf(before));
          await saveChecks(conn, plan.id, 'after', after);
          const differences = compareChecks(before, after);
          const differs = differences.some((d) => d.differs.length);
          const sinceApply = differs ? await changesSinceApply(conn, plan, before, after) : [];
          // Each stage committed only once its own proof held, so rows of apply's time moved since (a
          // resumed run reads the tables after the application wrote between its runs) are its writes.
          const ok = !differs || explainedByWrites(differences, sinceApply, true);
          const resumed = mode === 'resume';
          const afterFrom: ApplyReport['afterFrom'] = fromLock ? 'in-lock' : 'read';
          const rest = { agreement: [], stoppedBeforeSwap: false, afterFrom };
          return { plan, resumed, stages: timings, before, after, differences, sinceApply, ...rest, ok };
        }),
    },
    close: () => handle.close(),
  };
}

/**
 * verify-before of the component a stage swaps, taken inside that stage's transaction right after its
 * lock: from there until commit nothing else can write its tables, so the rows compared before commit
 * are exactly the rows the baseline saw. Writers that came meanwhile wait on the lock and go on after
 * commit. The baseline commits (in uuidmig.checks) with the stage, or vanishes with it. `skipProven`:
 * the guards the baseline proved are not sent (provenGuards); plan's DDL check sends them all.
 */
function baselineChecks(
  plan: Plan,
  stage: Plan['stages'][number],
  inLock: Map<string, CheckRow[]>,
  skipProven: boolean,
): Pick<StageContext, 'afterLock' | 'afterLockBefore' | 'beforeCommit' | 'proven'> {
  const component = stage.component;
  const changes = planChanges(plan).find((c) => c.component.id === component);
  // Under FORCE ROW LEVEL SECURITY the stage copies every row (it lifts FORCE for its load) while the
  // checks at commit see what the policies show the owner: both checks then read the tables, as before
  // (and the guards, which see every row, run).
  const forced = changes?.tables.some((t) => t.rowSecurity?.forced);
  const rewrite = stage.kind === 'rewrite' && !forced;
  let baseline: CheckRow[] = [];
  return {
    // The baseline counts every reference's orphans as a keyed rewrite's guards would, under the same lock.
    ...(rewrite && skipProven ? { proven: provenGuards(stage, changes, () => baseline) } : {}),
    // A rewrite stage reads every row into its copies first: verify-before reads the copies, just
    // before the tables are emptied, rather than the tables a second time.
    ...(rewrite ? { afterLockBefore: emptiesTables } : {}),
    afterLock: async (tx) => {
      baseline = []; // an earlier attempt's, rolled back, proves nothing of this one
      baseline = rewrite ? await checksFromCopies(tx, plan, component, stage.id) : await runChecks(tx, plan, component);
      if (!baseline.length) throw new StageCheckError(`no checks found for component ${component}`);
      await saveChecks(tx, plan.id, 'before', baseline, true);
    },
    beforeCommit: async (tx) => {
      await analyzeComponent(tx, plan, component);
      const now = await runChecks(tx, plan, component);
      const differences = compareChecks(baseline, now).filter((d) => d.differs.length);
      if (differences.length) {
        throw new StageCheckError(
          'verification inside the stage (against the baseline taken after its lock, with no other writer since) ' +
            `found ${differences.map((d) => `${d.name} (${d.differs.join(', ')})`).join('; ')}`,
        );
      }
      inLock.set(component, now); // a stage that fails after this ends the run before verify-after
    },
  };
}

/**
 * Before an online swap, the proof that it may go: every shadow agrees with its integers at one
 * snapshot (writers are not blocked). The swap then only renames what was proven.
 */
async function agreeBeforeSwap(sql: Sql, plan: Plan, component: string): Promise<void> {
  const wrong = (await onlineAgreement(sql, plan, component)).filter((d) => d.rows > 0);
  if (wrong.length) {
    throw new BlockedError(
      `Before the swap, ${wrong.map((d) => `${d.rows} row(s) of ${d.column}`).join(', ')} hold a uuid that ` +
        'disagrees with their integer, so nothing was swapped. Writes the sync trigger did not see do this (one ' +
        'under session_replication_role = replica, or a trigger of your own that changes the column after it; ' +
        "see the plan's warnings): stop them, then run uuidmig apply again, or uuidmig rollback.",
    );
  }
}

/** After an online apply: row counts and orphans as committed, and the agreement proof at one snapshot. */
async function onlineAfter(
  conn: ReservedSql,
  sql: Sql,
  plan: Plan,
  stages: StageTiming[],
  resumed: boolean,
  stoppedBeforeSwap: boolean,
): Promise<ApplyReport> {
  if (!stoppedBeforeSwap) await setStatus(conn, plan.id, 'applied');
  const after = await runChecks(conn, plan);
  await saveChecks(conn, plan.id, 'after', after);
  const agreement = await onlineAgreement(sql, plan);
  const ok = agreement.every((d) => d.rows === 0);
  const none = { before: [], differences: [], sinceApply: [] };
  return { plan, resumed, stages, after, ...none, agreement, stoppedBeforeSwap, ok, afterFrom: 'read' };
}

/** `uuidmig apply` as a library call: verify-before, every pending stage, verify-after. */
export async function apply(options: ApplyOptions, hooks: StageHooks = {}): Promise<ApplyReport> {
  return runSession(await openApply(options), hooks);
}
