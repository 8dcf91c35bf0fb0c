import postgres, { type ReservedSql } from 'postgres';
import { type ReadCatalogOptions, readCatalogInTransaction } from '../catalog/read-catalog.js';
import { isConnectionLost, type Sql } from '../db/connect.js';
import { quoteLiteral } from '../db/quote.js';
import { catalogHash } from '../planner/plan-migration.js';
import type { Plan, Stage, Step } from '../planner/plan-schema.js';
import { cancelAutovacuum } from './autovacuum.js';
import { type Action, type JournalEntry, journal, journalMany } from './bookkeeping.js';
import { catalogHashNow, runOutsideTransaction } from './run-outside.js';
import {
  ConnectionLostError,
  escalated,
  isLockTimeout,
  LockBudgetSpent,
  lockWaitSql,
  recordFailure,
  retryReason,
  retryWait,
} from './stage-failure.js';
import { type StatementHook, unwatched, type Watch } from './statement-watch.js';
import type { StageTiming, StepTiming } from './timing-schema.js';

export interface RunSettings {
  /** PostgreSQL interval text, e.g. '5s'. */
  lockTimeout: string;
  statementTimeout: string;
  /** How many times a stage that hit lock_timeout is tried again, with doubling waits. */
  lockRetries: number;
  retryDelayMs: number;
  /**
   * Journal the catalog's hash after each stage, so an interrupted run resumes only on the database it
   * left (default). A throwaway copy that never resumes (plan's DDL check) does without: it re-reads the
   * whole catalog once per stage.
   */
  hashCatalog: boolean | 'after-commit';
  /**
   * Send each stage's statements in one round trip instead of one by one (a throwaway copy, where no
   * statement's time matters): a failure runs the stage again statement by statement to name it.
   */
  batch: boolean;
  /**
   * Send the statements after a stage's lock in one round trip (online): the tables are held for the
   * server's work, not for a round trip per statement on a busy machine. A failure runs the stage
   * again statement by statement to name it.
   */
  batchHeld?: boolean;
  /**
   * Pause between two batches of a batched step (the online backfill), to spare the application: in
   * ms, or 'auto' (online's default), twice as long as the batch took (batchPause).
   */
  batchPauseMs: number | 'auto';
  /** From this try on, a lock is waited for past deadlock_timeout (lockWaitSql); undefined: never. */
  escalateAfter?: number | undefined;
}

export const DEFAULT_RUN_SETTINGS: RunSettings = {
  lockTimeout: '5s',
  statementTimeout: '1h',
  lockRetries: 4,
  retryDelayMs: 1000,
  hashCatalog: true,
  batch: false,
  batchPauseMs: 0,
  escalateAfter: 2,
};

/**
 * An online plan's stages take ACCESS EXCLUSIVE only for a moment, while the application writes: they
 * give up a lock wait quickly (a waiting ACCESS EXCLUSIVE request queues every writer behind it) and
 * try again many times, as GitLab's with_lock_retries does.
 */
export const ONLINE_RUN_SETTINGS: Partial<RunSettings> = {
  lockTimeout: '150ms',
  lockRetries: 20,
  retryDelayMs: 100,
  hashCatalog: 'after-commit',
  escalateAfter: 10,
  batchHeld: true,
  batchPauseMs: 'auto',
};

/** The settings a plan runs with: the defaults for its strategy, then what the user gave. */
export function runSettingsFor(plan: Plan, given: Partial<RunSettings> = {}): RunSettings {
  const online = plan.options.strategy === 'online' ? ONLINE_RUN_SETTINGS : {};
  return { ...DEFAULT_RUN_SETTINGS, ...online, ...given };
}

export {
  ConnectionLostError,
  StageCheckError,
  StepFailedError,
  type StepFailure,
} from './stage-failure.js';
export type { StageTiming, StepTiming } from './timing-schema.js';

export interface StageContext {
  planId: string;
  run: number;
  action: Action;
  settings: RunSettings;
  /** How the catalog is read for the journal's hash: as apply compares it (catalogOptionsOf the plan). */
  catalog?: ReadCatalogOptions;
  onStep?: (step: Step, timing: StepTiming) => void;
  onRetry?: (attempt: number, waitMs: number, error: string) => void;
  /** A batch of a batched step committed: the step's rows so far, and the bound reached. */
  onBatch?: (step: Step, rows: number, bound: string) => void;
  /**
   * Runs inside the stage's transaction right after its lock step (or before its first statement when
   * it has none): the tables are its own from here, so what it reads cannot change before commit.
   */
  afterLock?: (tx: Queryable) => Promise<void>;
  /**
   * Run afterLock just before the first step this picks instead (after the lock all the same): a
   * rewrite stage's verify-before reads the copies it made, just before it empties its tables.
   */
  afterLockBefore?: (step: Step) => boolean;
  /**
   * A step after afterLock that its checks proved already, under the same lock (provenGuards): journaled as
   * done, with a note, and not sent.
   */
  proven?: (step: Step) => boolean;
  onNote?: (line: string) => void;
  /** Runs inside the stage's transaction after its last statement; throwing rolls the stage back. */
  beforeCommit?: (tx: Queryable) => Promise<void>;
  /** Watches a statement from another connection while it runs (statementWatch), for onStatement. */
  watch?: Watch;
  onStatement?: StatementHook;
}

type Queryable = Pick<ReservedSql, 'unsafe'>;

/**
 * BEGIN/COMMIT by hand: a reserved connection (which holds the run's advisory lock) has no begin().
 * No ROLLBACK on a connection the server ended: it rolled back already, and postgres.js would throw
 * from a timer writing to the closed socket.
 */
async function inTransaction(
  conn: ReservedSql,
  stage: Stage,
  action: Action,
  work: (tx: Queryable) => Promise<void>,
): Promise<number> {
  let committing = false;
  try {
    await conn.unsafe('BEGIN');
    await work(conn);
    committing = true;
    const c0 = Date.now();
    await conn.unsafe('COMMIT');
    return Date.now() - c0;
  } catch (error) {
    if (isConnectionLost(error)) throw new ConnectionLostError(stage, action, committing, { cause: error });
    await conn.unsafe('ROLLBACK').catch(() => {});
    throw error;
  }
}

/**
 * The stage's LOCK TABLE may wait at most 80% of deadlock_timeout in all (and no longer than
 * lock_timeout for any one table), then the stage backs off and tries again. While it waits for one table and holds
 * another, an application transaction that holds the first and needs the second (a child insert's
 * foreign-key check, a cascading delete) waits behind it; whichever of the two waits deadlock_timeout
 * first is the one PostgreSQL cancels. Giving up before that makes uuidmig the one that yields, never
 * the application's transaction.
 */
async function lockWithinBudget(tx: Pick<Sql, 'unsafe'>, step: Step, ctx: StageContext) {
  const [budget] = await tx.unsafe<{ ms: number }[]>(
    `SELECT b.ms, set_config('statement_timeout', b.ms::text, true) FROM (SELECT (extract(epoch FROM
       current_setting('deadlock_timeout')::interval) * 800)::int AS ms) AS b`,
  );
  let result: Awaited<ReturnType<typeof tx.unsafe>>;
  try {
    result = await tx.unsafe(step.sql);
  } catch (error) {
    if ((error as { code?: string }).code === '57014') {
      throw new LockBudgetSpent(
        `gave up waiting for the tables' locks after ${budget!.ms} ms (kept below deadlock_timeout, so the ` +
          "application's transactions go first)",
      );
    }
    // Nothing more is sent on a failed (or lost) session: the transaction is rolled back with its settings.
    throw error;
  }
  await tx.unsafe(`SET LOCAL statement_timeout = ${quoteLiteral(ctx.settings.statementTimeout)}`);
  return result;
}

/**
 * An online stage holds its locks for a moment only, so the catalog is read for the journal's hash
 * after it commits, not while writers wait. A crash between the two leaves the hash missing: a
 * resumed run then compares with an earlier stage's hash and refuses, saying so; nothing is lost.
 */
async function hashAfterCommit(conn: ReservedSql, stage: Stage, ctx: StageContext): Promise<void> {
  const hash = await catalogHashNow(conn, ctx.catalog);
  await conn.unsafe(
    `UPDATE uuidmig.journal SET catalog_hash = $1 WHERE plan_id = $2 AND run = $3 AND action = $4
       AND stage_id = $5 AND step_id IS NULL AND status = 'done'`,
    [hash, ctx.planId, ctx.run, ctx.action, stage.id],
  );
}

/** The journal row of a stage (stepId null) or of one of its steps, done. */
const entryOf = (ctx: StageContext, stage: Stage, stepId: string | null) => ({
  planId: ctx.planId,
  run: ctx.run,
  action: ctx.action,
  stageId: stage.id,
  stepId,
  status: 'done' as const,
});

/**
 * Run one stage on the run's connection: in one transaction with lock_timeout and statement_timeout
 * set, journaling each statement and the stage's completion (with the catalog hash after it) in that
 * same transaction, so the journal says exactly what committed. A lock timeout retries the whole
 * stage with backoff; any other failure rolls it back, is journaled, and becomes exit code 4.
 */
export async function runStage(conn: ReservedSql, stage: Stage, ctx: StageContext): Promise<StageTiming> {
  if (!stage.transactional) return runOutsideTransaction(conn, stage, ctx);
  const started = Date.now();
  let batch = ctx.settings.batch;
  let batchHeld = ctx.settings.batchHeld === true && !batch;
  for (let attempt = 0; ; attempt++) {
    let current: Step | null = null;
    const steps: StepTiming[] = [];
    const attemptStart = Date.now();
    let checkMs = 0;
    const proven: Step[] = [];
    try {
      const commitMs = await inTransaction(conn, stage, ctx.action, async (tx) => {
        await tx.unsafe(lockWaitSql(ctx.settings, attempt));
        await tx.unsafe(`SET LOCAL statement_timeout = ${quoteLiteral(ctx.settings.statementTimeout)}`);
        const lockedAt = stage.steps.findLastIndex((s) => s.kind === 'lock');
        const picked = ctx.afterLockBefore ? stage.steps.findIndex(ctx.afterLockBefore) : -1;
        // The index of the step afterLock follows (-1: before the first).
        const checkAfter = picked > lockedAt ? picked - 1 : lockedAt;
        const done: JournalEntry[] = [];
        // The check after the lock ran in this attempt: from here on, it may have proven a step.
        let checked = false;
        const afterLock = async () => {
          await ctx.afterLock?.(tx);
          checked = true;
        };
        /** A step after the check that the check proved, in this attempt: journaled, said after commit, not sent. */
        const isProven = (step: Step) => {
          if (!checked || stage.steps.indexOf(step) <= checkAfter || !ctx.proven?.(step)) return false;
          proven.push(step);
          return true;
        };
        const c0 = Date.now();
        if (checkAfter < 0) await afterLock();
        checkMs += Date.now() - c0;
        /** Steps sent in one round trip: journaled, with no time of their own. */
        const together = async (part: Step[]) => {
          const t0 = Date.now();
          const sent = part.filter((step) => !isProven(step));
          if (sent.length) await tx.unsafe(sent.map((step) => step.sql).join(';\n'));
          for (const step of part) {
            const timing = {
              stepId: step.id,
              offsetMs: t0 - attemptStart,
              ms: 0,
              rows: null,
              ...(proven.includes(step) ? { proven: true } : {}),
            };
            steps.push(timing);
            done.push({ ...entryOf(ctx, stage, step.id), startedAt: new Date(t0) });
            ctx.onStep?.(step, timing);
          }
        };
        if (batch) {
          // Up to the lock and its check, then the rest: two round trips for the whole stage.
          await together(stage.steps.slice(0, checkAfter + 1));
          if (checkAfter >= 0) await afterLock();
          await together(stage.steps.slice(checkAfter + 1));
        }
        const held = batchHeld && lockedAt >= 0 ? stage.steps.slice(checkAfter + 1) : [];
        const oneByOne = batch ? [] : stage.steps.slice(0, stage.steps.length - held.length);
        for (const [index, step] of oneByOne.entries()) {
          current = step;
          const t0 = Date.now();
          if (isProven(step)) {
            const timing = { stepId: step.id, offsetMs: t0 - attemptStart, ms: 0, rows: null, proven: true };
            steps.push(timing);
            done.push({ ...entryOf(ctx, stage, step.id), startedAt: new Date(t0) });
            ctx.onStep?.(step, timing);
            continue;
          }
          const budgeted = step.kind === 'lock' && !escalated(ctx.settings, attempt);
          const watch = ctx.watch ?? unwatched;
          const result = budgeted
            ? await lockWithinBudget(tx, step, ctx)
            : await watch(step, ctx.onStatement, () => tx.unsafe(step.sql));
          const timing = {
            stepId: step.id,
            offsetMs: t0 - attemptStart,
            ms: Date.now() - t0,
            rows: step.kind === 'fill' || step.kind === 'orphans' ? result.count : null,
          };
          steps.push(timing);
          done.push({ ...entryOf(ctx, stage, step.id), rows: timing.rows, startedAt: new Date(t0) });
          ctx.onStep?.(step, timing);
          if (index === checkAfter) {
            current = null; // what fails now is the check, not the lock statement
            const l0 = Date.now();
            await afterLock();
            checkMs += Date.now() - l0;
          }
        }
        current = null;
        await together(held);
        const c1 = Date.now();
        await ctx.beforeCommit?.(tx);
        checkMs += Date.now() - c1;
        const hash =
          ctx.settings.hashCatalog === true ? catalogHash(await readCatalogInTransaction(tx, ctx.catalog)) : null;
        // The steps' rows and the stage's own, written with the stage: they commit, or vanish, with it.
        await journalMany(tx, done);
        await journal(tx, { ...entryOf(ctx, stage, null), catalogHash: hash, startedAt: new Date(started) });
      });
      const transactionMs = Date.now() - attemptStart;
      for (const step of proven)
        ctx.onNote?.(`${step.id} ${step.table}: ${step.description}: proven by the check after the lock, not sent`);
      if (ctx.settings.hashCatalog === 'after-commit') await hashAfterCommit(conn, stage, ctx);
      return {
        stageId: stage.id,
        ms: Date.now() - started,
        transactionMs,
        commitMs,
        checkMs,
        steps,
        lockRetries: attempt,
      };
    } catch (error) {
      if ((batch || batchHeld) && error instanceof postgres.PostgresError && !isLockTimeout(error)) {
        batch = false; // again, one statement at a time, to name the one that fails
        batchHeld = false;
        continue;
      }
      if (isLockTimeout(error) && attempt < ctx.settings.lockRetries) {
        await cancelAutovacuum(conn, stage);
        const wait = retryWait(ctx.settings, attempt);
        ctx.onRetry?.(attempt + 1, wait, retryReason(error));
        await new Promise((r) => setTimeout(r, wait));
        continue;
      }
      throw await recordFailure(conn, stage, current, error, ctx);
    }
  }
}
