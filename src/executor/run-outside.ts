import type { ReservedSql } from 'postgres';
import { type ReadCatalogOptions, readCatalogInTransaction } from '../catalog/read-catalog.js';
import { isConnectionLost } from '../db/connect.js';
import { quoteLiteral } from '../db/quote.js';
import { DatabaseError } from '../errors.js';
import { catalogHash } from '../planner/plan-migration.js';
import type { Stage, Step } from '../planner/plan-schema.js';
import { journal, stepProgress } from './bookkeeping.js';
import type { StageContext } from './run-stage.js';
import {
  ConnectionLostError,
  isLockTimeout,
  LockBudgetSpent,
  lockWaitSql,
  recordFailure,
  retryReason,
  retryWait,
} from './stage-failure.js';
import { unwatched } from './statement-watch.js';
import type { StageTiming, StepTiming } from './timing-schema.js';

/**
 * A stage whose steps run outside one transaction (the online strategy's backfill and build): a
 * batched step runs batch by batch, each batch its own short transaction that journals the bound it
 * reached; any other step runs on its own (CREATE INDEX CONCURRENTLY cannot run in a transaction) and
 * is journaled once done. Run again, the stage goes on from the first step not done and, in a batched
 * step, from the batch after the last one journaled. A lock timeout retries the batch with backoff.
 */
export async function runOutsideTransaction(conn: ReservedSql, stage: Stage, ctx: StageContext): Promise<StageTiming> {
  const started = Date.now();
  const progress = await stepProgress(conn, ctx.planId, ctx.run, ctx.action, stage.id);
  const steps: StepTiming[] = [];
  let retries = 0;
  for (const step of stage.steps) {
    const was = progress.get(step.id);
    if (was?.done) continue;
    const t0 = Date.now();
    let rows = 0;
    try {
      if (step.batch) {
        const end = await walkEnd(conn, step);
        for (let bound = was?.bound ?? null; end !== null; ) {
          let batchStarted = Date.now();
          const batch = await withRetries(
            ctx,
            (attempt) => {
              batchStarted = Date.now(); // the try that ran: a retry's backoff is no work for the server
              return runBatch(conn, stage, step, bound, end, ctx, attempt);
            },
            () => retries++,
          );
          if (batch.bound === null) break;
          rows += batch.rows;
          bound = batch.bound;
          ctx.onBatch?.(step, rows, bound);
          const pause = batchPause(ctx.settings.batchPauseMs, Date.now() - batchStarted);
          if (pause) await new Promise((r) => setTimeout(r, pause));
        }
      } else {
        await withRetries(
          ctx,
          (attempt) => runAlone(conn, step, ctx, attempt),
          () => retries++,
        );
      }
      await journal(conn, {
        planId: ctx.planId,
        run: ctx.run,
        action: ctx.action,
        stageId: stage.id,
        stepId: step.id,
        status: 'done',
        rows: step.batch ? rows : null,
        startedAt: new Date(t0),
      });
    } catch (error) {
      if (isConnectionLost(error)) throw new ConnectionLostError(stage, ctx.action, false, { cause: error });
      throw await recordFailure(conn, stage, step, error, ctx);
    }
    const timing = { stepId: step.id, offsetMs: t0 - started, ms: Date.now() - t0, rows: step.batch ? rows : null };
    steps.push(timing);
    ctx.onStep?.(step, timing);
  }
  await conn.unsafe('RESET lock_timeout').catch(() => {});
  const hash = ctx.settings.hashCatalog !== false ? await catalogHashNow(conn, ctx.catalog) : null;
  await journal(conn, {
    planId: ctx.planId,
    run: ctx.run,
    action: ctx.action,
    stageId: stage.id,
    stepId: null,
    status: 'done',
    catalogHash: hash,
    startedAt: new Date(started),
  });
  const ms = Date.now() - started;
  return { stageId: stage.id, ms, transactionMs: 0, commitMs: 0, checkMs: 0, steps, lockRetries: retries };
}

/** The longest automatic pause: a batch slowed by a stall does not stop the walk for long. */
const MAX_AUTO_PAUSE_MS = 2000;

/**
 * The pause after a batch: as given, or ('auto') twice as long as the batch itself took, so the walk
 * works a third of the time whatever the machine, the table and its indexes make a batch cost (on the
 * benchmark's two cores, half the time still put the writers' p99 at 2.2x their baseline; a third,
 * 1.7x).
 */
export function batchPause(setting: number | 'auto', batchMs: number): number {
  return setting === 'auto' ? Math.min(2 * batchMs, MAX_AUTO_PAUSE_MS) : setting;
}

/**
 * A statement outside any transaction. One that does not block writers (a concurrent index build, a
 * VALIDATE: SHARE UPDATE EXCLUSIVE) may wait as long as a statement may: a concurrent build waits for
 * every older transaction, and a short lock_timeout would cancel it halfway, leaving an INVALID index.
 * Any other waits as the try allows (lockWaitSql). An index build that still ended INVALID is dropped
 * and tried again, never taken as built.
 */
async function runAlone(conn: ReservedSql, step: Step, ctx: StageContext, attempt: number): Promise<void> {
  const patient = step.lock === 'SHARE UPDATE EXCLUSIVE';
  await conn.unsafe(
    patient
      ? `SELECT set_config('lock_timeout', ${quoteLiteral(ctx.settings.statementTimeout)}, false)`
      : lockWaitSql(ctx.settings, attempt, false),
  );
  await (ctx.watch ?? unwatched)(step, ctx.onStatement, () => conn.unsafe(step.sql));
  if (step.kind !== 'index' || !step.creates || !step.table) return;
  const [invalid] = await conn.unsafe<{ name: string }[]>(
    `SELECT format('%I.%I', n.nspname, c.relname) AS name FROM pg_index AS i JOIN pg_class AS c ON c.oid = i.indexrelid
       JOIN pg_namespace AS n ON n.oid = c.relnamespace
     WHERE i.indrelid = $1::regclass AND c.relname = $2 AND NOT i.indisvalid`,
    [step.table, step.creates],
  );
  if (!invalid) return;
  await conn.unsafe(`DROP INDEX CONCURRENTLY IF EXISTS ${invalid.name}`);
  throw new LockBudgetSpent(`the concurrent build of ${step.creates} ended INVALID; it was dropped to be built again`);
}

/** The catalog's hash, read in a read-only transaction of its own (the reading sets its search_path there). */
export async function catalogHashNow(conn: ReservedSql, options?: ReadCatalogOptions): Promise<string> {
  await conn.unsafe('BEGIN READ ONLY');
  try {
    return catalogHash(await readCatalogInTransaction(conn, options));
  } finally {
    await conn.unsafe('COMMIT').catch(() => {});
  }
}

/** One batch in its own transaction: the next bound, the statement up to it, the journal row. */
async function runBatch(
  conn: ReservedSql,
  stage: Stage,
  step: Step,
  from: string | null,
  end: string,
  ctx: StageContext,
  attempt: number,
): Promise<{ bound: string | null; rows: number }> {
  await conn.unsafe('BEGIN');
  try {
    await conn.unsafe(lockWaitSql(ctx.settings, attempt));
    await conn.unsafe(`SET LOCAL statement_timeout = ${quoteLiteral(ctx.settings.statementTimeout)}`);
    if (step.batch!.quiet) await quietly(conn, step);
    const [next] = await conn.unsafe<{ bound: string | null }[]>(step.batch!.next, [from, step.batch!.size, end]);
    const bound = next?.bound ?? null;
    let rows = 0;
    if (bound !== null) {
      rows = (await conn.unsafe(step.sql, [from, bound])).count;
      await journal(conn, {
        planId: ctx.planId,
        run: ctx.run,
        action: ctx.action,
        stageId: stage.id,
        stepId: step.id,
        status: 'done',
        rows,
        batchBound: bound,
        startedAt: new Date(),
      });
    }
    await conn.unsafe('COMMIT');
    return { bound, rows };
  } catch (error) {
    if (!isConnectionLost(error)) await conn.unsafe('ROLLBACK').catch(() => {});
    throw error;
  }
}

const OLDER_WRITES_WAIT_MS = 5 * 60_000;

/**
 * Where a batched step's walk ends: the last key once every transaction older than the step has
 * ended. A row committed after that was written while the rows it reads had their values, so the sync
 * triggers and defaults gave it its own; a row written before is at or below the last key. Without
 * the wait, a transaction that wrote a child before its parent's uuid was filled and committed late
 * could leave a row past the end with an empty shadow.
 */
async function walkEnd(conn: ReservedSql, step: Step): Promise<string | null> {
  const [mine] = await conn.unsafe<{ xid: string }[]>('SELECT pg_current_xact_id()::text AS xid');
  const xid = mine!.xid;
  const until = Date.now() + OLDER_WRITES_WAIT_MS;
  for (;;) {
    const [row] = await conn.unsafe<{ clear: boolean; pid: number | null }[]>(
      `SELECT pg_snapshot_xmin(pg_current_snapshot()) > $1::text::xid8 AS clear,
         (SELECT pid FROM pg_stat_activity WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid()
          ORDER BY age(backend_xid) DESC LIMIT 1) AS pid`,
      [xid],
    );
    if (row!.clear) break;
    if (Date.now() > until) {
      throw new DatabaseError(
        `The online backfill has waited ${OLDER_WRITES_WAIT_MS / 60_000} minutes for transactions older than ` +
          `its step ${step.id} to end (backend pid ${row!.pid ?? 'unknown'} still holds one open); end it, then ` +
          'run apply again: it resumes at this step.',
      );
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const [last] = await conn.unsafe<{ bound: string | null }[]>(step.batch!.last);
  return last?.bound ?? null;
}

/** Lock timeouts and deadlocks: the same work again after a doubling wait, as many times as allowed. */
async function withRetries<T>(
  ctx: StageContext,
  work: (attempt: number) => Promise<T>,
  onRetry: () => void,
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await work(attempt);
    } catch (error) {
      if (!isLockTimeout(error) || attempt >= ctx.settings.lockRetries) throw error;
      const wait = retryWait(ctx.settings, attempt);
      onRetry();
      ctx.onRetry?.(attempt + 1, wait, retryReason(error));
      await new Promise((r) => setTimeout(r, wait));
    }
  }
}

/**
 * The user's triggers and rules stay quiet for the backfill's UPDATEs (they would log, notify or copy
 * every row again) but fire for the application's writes meanwhile: `session_replication_role =
 * replica`, for this batch's transaction only. PostgreSQL lets only a superuser set it.
 */
async function quietly(conn: ReservedSql, step: Step): Promise<void> {
  try {
    await conn.unsafe('SET LOCAL session_replication_role = replica');
  } catch (error) {
    if ((error as { code?: string }).code !== '42501') throw error;
    throw new DatabaseError(
      `${step.table} has triggers or rules the online backfill keeps from firing on its own UPDATEs, with ` +
        'session_replication_role, which only a superuser may set: run apply as one, or plan again with ' +
        '--fire-triggers to let them fire for every batch.',
    );
  }
}
