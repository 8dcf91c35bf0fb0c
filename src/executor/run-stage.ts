import postgres, { type ReservedSql } from 'postgres';
import { readCatalogInTransaction } from '../catalog/read-catalog.js';
import { quoteLiteral } from '../db/quote.js';
import { ExitCode, UuidmigError } from '../errors.js';
import { catalogHash } from '../planner/plan-migration.js';
import type { Stage, Step } from '../planner/plan-schema.js';
import { type Action, journal } from './bookkeeping.js';
import type { StageTiming, StepTiming } from './timing-schema.js';

export interface RunSettings {
  /** PostgreSQL interval text, e.g. '5s'. */
  lockTimeout: string;
  statementTimeout: string;
  /** How many times a stage that hit lock_timeout is tried again, with doubling waits. */
  lockRetries: number;
  retryDelayMs: number;
}

export const DEFAULT_RUN_SETTINGS: RunSettings = {
  lockTimeout: '5s',
  statementTimeout: '1h',
  lockRetries: 4,
  retryDelayMs: 1000,
};

export type { StageTiming, StepTiming } from './timing-schema.js';

export interface StageContext {
  planId: string;
  run: number;
  action: Action;
  settings: RunSettings;
  onStep?: (step: Step, timing: StepTiming) => void;
  onRetry?: (attempt: number, waitMs: number, error: string) => void;
  /**
   * Runs inside the stage's transaction right after its lock step (or before its first statement when
   * it has none): the tables are its own from here, so what it reads cannot change before commit.
   */
  afterLock?: (tx: Queryable) => Promise<void>;
  /** Runs inside the stage's transaction after its last statement; throwing rolls the stage back. */
  beforeCommit?: (tx: Queryable) => Promise<void>;
}

/** A step failed; its stage was rolled back and the failure journaled. Exit code 4. */
export class StepFailedError extends UuidmigError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, ExitCode.stepFailed, options);
    this.name = 'StepFailedError';
  }
}

type Queryable = Pick<ReservedSql, 'unsafe'>;

/** A check run inside the stage's transaction found a difference: the stage must not commit. */
export class StageCheckError extends Error {}

/** BEGIN/COMMIT by hand: a reserved connection (which holds the run's advisory lock) has no begin(). */
async function inTransaction(conn: ReservedSql, work: (tx: Queryable) => Promise<void>): Promise<void> {
  await conn.unsafe('BEGIN');
  try {
    await work(conn);
    await conn.unsafe('COMMIT');
  } catch (error) {
    await conn.unsafe('ROLLBACK').catch(() => {});
    throw error;
  }
}

/** Worth another try: a lock not granted within lock_timeout (55P03), or a deadlock the server broke (40P01). */
const isLockTimeout = (e: unknown) => e instanceof postgres.PostgresError && (e.code === '55P03' || e.code === '40P01');
const oneLine = (sql: string) => sql.replace(/\s+/g, ' ').trim();

/**
 * Run one stage on the run's connection: in one transaction with lock_timeout and statement_timeout
 * set, journaling each statement and the stage's completion (with the catalog hash after it) in that
 * same transaction, so the journal says exactly what committed. A lock timeout retries the whole
 * stage with backoff; any other failure rolls it back, is journaled, and becomes exit code 4.
 */
export async function runStage(conn: ReservedSql, stage: Stage, ctx: StageContext): Promise<StageTiming> {
  if (!stage.transactional)
    throw new Error(`stage ${stage.id} runs outside a transaction; no plan makes such stages yet`);
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    let current: Step | null = null;
    const steps: StepTiming[] = [];
    const attemptStart = Date.now();
    let checkMs = 0;
    try {
      await inTransaction(conn, async (tx) => {
        await tx.unsafe(`SET LOCAL lock_timeout = ${quoteLiteral(ctx.settings.lockTimeout)}`);
        await tx.unsafe(`SET LOCAL statement_timeout = ${quoteLiteral(ctx.settings.statementTimeout)}`);
        const lockedAt = stage.steps.findLastIndex((s) => s.kind === 'lock');
        const c0 = Date.now();
        if (lockedAt < 0) await ctx.afterLock?.(tx);
        checkMs += Date.now() - c0;
        for (const [index, step] of stage.steps.entries()) {
          current = step;
          const t0 = Date.now();
          const result = await tx.unsafe(step.sql);
          const timing = {
            stepId: step.id,
            offsetMs: t0 - attemptStart,
            ms: Date.now() - t0,
            rows: step.kind === 'fill' || step.kind === 'orphans' ? result.count : null,
          };
          steps.push(timing);
          await journal(tx, {
            planId: ctx.planId,
            run: ctx.run,
            action: ctx.action,
            stageId: stage.id,
            stepId: step.id,
            status: 'done',
            rows: timing.rows,
            startedAt: new Date(t0),
          });
          ctx.onStep?.(step, timing);
          if (index === lockedAt) {
            current = null; // what fails now is the check, not the lock statement
            const l0 = Date.now();
            await ctx.afterLock?.(tx);
            checkMs += Date.now() - l0;
          }
        }
        current = null;
        const c1 = Date.now();
        await ctx.beforeCommit?.(tx);
        checkMs += Date.now() - c1;
        const hash = catalogHash(await readCatalogInTransaction(tx));
        await journal(tx, {
          planId: ctx.planId,
          run: ctx.run,
          action: ctx.action,
          stageId: stage.id,
          stepId: null,
          status: 'done',
          catalogHash: hash,
          startedAt: new Date(started),
        });
      });
      return {
        stageId: stage.id,
        ms: Date.now() - started,
        transactionMs: Date.now() - attemptStart,
        checkMs,
        steps,
        lockRetries: attempt,
      };
    } catch (error) {
      if (isLockTimeout(error) && attempt < ctx.settings.lockRetries) {
        const wait = ctx.settings.retryDelayMs * 2 ** attempt;
        ctx.onRetry?.(attempt + 1, wait, (error as Error).message);
        await new Promise((r) => setTimeout(r, wait));
        continue;
      }
      throw await recordFailure(conn, stage, current, error, ctx);
    }
  }
}

async function recordFailure(
  conn: ReservedSql,
  stage: Stage,
  step: Step | null,
  error: unknown,
  ctx: StageContext,
): Promise<unknown> {
  if (error instanceof UuidmigError) return error;
  // Only the database (or a failed in-transaction check) makes a step fail; anything else is a bug.
  if (!(error instanceof postgres.PostgresError) && !(error instanceof StageCheckError)) return error as UuidmigError;
  const reason = (error as Error)?.message ?? String(error);
  await journal(conn, {
    planId: ctx.planId,
    run: ctx.run,
    action: ctx.action,
    stageId: stage.id,
    stepId: step?.id ?? null,
    status: 'failed',
    statement: step?.sql ?? null,
    error: reason,
    startedAt: new Date(),
  }).catch(() => {});
  const what = step
    ? `Step ${step.id} (${step.description}) of stage ${stage.id} ${stage.name} failed`
    : `Stage ${stage.id} ${stage.name} failed a check inside its transaction`;
  const statement = step ? ` The statement was: ${oneLine(step.sql)}.` : '';
  const code = error instanceof postgres.PostgresError ? error.code : '';
  const hint =
    code === '40P01'
      ? 'it deadlocked with other sessions on every try; retry when the database is quieter'
      : code === '55P03'
        ? 'another session held a lock too long; retry when the database is quieter, or raise --lock-timeout'
        : `fix the cause and run uuidmig ${ctx.action} again to resume`;
  return new StepFailedError(
    `${what}, and the stage was rolled back, so the database is as it was before that stage: ` +
      `${reason.replace(/\.$/, '')}.${statement} Then ${hint}.`,
    { cause: error },
  );
}
