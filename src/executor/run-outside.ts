import type { ReservedSql } from 'postgres';
import { isConnectionLost } from '../db/connect.js';
import { quoteLiteral } from '../db/quote.js';
import { DatabaseError } from '../errors.js';
import type { Stage, Step } from '../planner/plan-schema.js';
import { journal, stepProgress } from './bookkeeping.js';
import type { StageContext } from './run-stage.js';
import { ConnectionLostError, isLockTimeout, recordFailure, retryWait } from './stage-failure.js';
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
        for (let bound = was?.bound ?? null; ; ) {
          const batch = await withRetries(
            ctx,
            () => runBatch(conn, stage, step, bound, ctx),
            () => retries++,
          );
          if (batch.bound === null) break;
          rows += batch.rows;
          bound = batch.bound;
          ctx.onBatch?.(step, rows, bound);
          if (ctx.settings.batchPauseMs) await new Promise((r) => setTimeout(r, ctx.settings.batchPauseMs));
        }
      } else {
        await withRetries(
          ctx,
          () =>
            conn
              .unsafe(`SET lock_timeout = ${quoteLiteral(ctx.settings.lockTimeout)}`)
              .then(() => conn.unsafe(step.sql)),
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
  await journal(conn, {
    planId: ctx.planId,
    run: ctx.run,
    action: ctx.action,
    stageId: stage.id,
    stepId: null,
    status: 'done',
    startedAt: new Date(started),
  });
  const ms = Date.now() - started;
  return { stageId: stage.id, ms, transactionMs: 0, checkMs: 0, steps, lockRetries: retries };
}

/** One batch in its own transaction: the next bound, the statement up to it, the journal row. */
async function runBatch(
  conn: ReservedSql,
  stage: Stage,
  step: Step,
  from: string | null,
  ctx: StageContext,
): Promise<{ bound: string | null; rows: number }> {
  await conn.unsafe('BEGIN');
  try {
    await conn.unsafe(`SET LOCAL lock_timeout = ${quoteLiteral(ctx.settings.lockTimeout)}`);
    await conn.unsafe(`SET LOCAL statement_timeout = ${quoteLiteral(ctx.settings.statementTimeout)}`);
    if (step.batch!.quiet) await quietly(conn, step);
    const [next] = await conn.unsafe<{ bound: string | null }[]>(step.batch!.next, [from, step.batch!.size]);
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

/** Lock timeouts and deadlocks: the same work again after a doubling wait, as many times as allowed. */
async function withRetries<T>(ctx: StageContext, work: () => Promise<T>, onRetry: () => void): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (!isLockTimeout(error) || attempt >= ctx.settings.lockRetries) throw error;
      const wait = retryWait(ctx.settings, attempt);
      onRetry();
      ctx.onRetry?.(attempt + 1, wait, (error as Error).message);
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
