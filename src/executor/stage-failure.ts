import postgres, { type ReservedSql } from 'postgres';
import { quoteLiteral } from '../db/quote.js';
import { ExitCode, UuidmigError } from '../errors.js';
import { guardSaid } from '../planner/guard.js';
import type { Stage, Step } from '../planner/plan-schema.js';
import { oneLine } from '../planner/sql-text.js';
import { type Action, journal } from './bookkeeping.js';
import type { StageContext } from './run-stage.js';

/** What failed, for callers that report it their own way (plan's DDL check). */
export interface StepFailure {
  stage: Stage;
  /** null: a check inside the transaction failed, not a statement. */
  step: Step | null;
  /** PostgreSQL's message, or the check's. */
  reason: string;
}

/** A step failed; its stage was rolled back and the failure journaled. Exit code 4. */
export class StepFailedError extends UuidmigError {
  constructor(
    message: string,
    readonly failure: StepFailure,
    options?: { cause?: unknown },
  ) {
    super(message, ExitCode.stepFailed, options);
    this.name = 'StepFailedError';
  }
}

/** A check run inside the stage's transaction found a difference: the stage must not commit. */
export class StageCheckError extends Error {}

/**
 * The server ended our session during a stage. It rolled the open transaction back itself, unless
 * the session ended during COMMIT, when only the journal can say. Exit code 4: run the command again.
 */
export class ConnectionLostError extends UuidmigError {
  constructor(stage: Stage, action: Action, duringCommit: boolean, options?: { cause?: unknown }) {
    const outcome = !stage.transactional
      ? 'so the statement it was running was rolled back; the batches and statements it had finished stay ' +
        '(each commits on its own, and is journaled)'
      : duringCommit
        ? 'while it committed, so it may or may not have committed; the journal knows'
        : 'so the server rolled the stage back';
    super(
      `The connection to the server was lost during stage ${stage.id} ${stage.name} (${describe(options?.cause)}), ` +
        `${outcome}; run uuidmig ${action} again to resume.`,
      ExitCode.stepFailed,
      options,
    );
    this.name = 'ConnectionLostError';
  }
}

const describe = (error: unknown) =>
  error instanceof postgres.PostgresError
    ? error.message.replace(/\.$/, '')
    : `the connection closed: ${(error as { code?: string })?.code ?? String(error)}`;

/** Worth another try: a lock not granted within lock_timeout (55P03), or a deadlock the server broke (40P01). */
/**
 * The stage's LOCK TABLE gave up inside its budget (below deadlock_timeout, see run-stage): retried
 * like a lock timeout.
 */
export class LockBudgetSpent extends Error {}

/** Why a stage is tried again, in a few words for the progress line. */
export const retryReason = (e: unknown): string =>
  e instanceof LockBudgetSpent
    ? 'lock wait given up before deadlock_timeout, so the application goes first'
    : (e as { code?: string }).code === '40P01'
      ? 'deadlock with another session'
      : 'lock timeout';

export const isLockTimeout = (e: unknown) =>
  e instanceof LockBudgetSpent || (e instanceof postgres.PostgresError && (e.code === '55P03' || e.code === '40P01'));
export async function recordFailure(
  conn: ReservedSql,
  stage: Stage,
  step: Step | null,
  error: unknown,
  ctx: StageContext,
): Promise<unknown> {
  if (error instanceof UuidmigError) return error;
  // Only the database (or a failed in-transaction check) makes a step fail; anything else is a bug.
  const known = error instanceof postgres.PostgresError || error instanceof StageCheckError;
  if (!known && !(error instanceof LockBudgetSpent)) return error as UuidmigError;
  // PostgreSQL's DETAIL names what the message does not (the object that depends on a column, say).
  const detail = error instanceof postgres.PostgresError && error.detail ? ` (${error.detail.replace(/\.$/, '')})` : '';
  const reason = `${(error as Error)?.message ?? String(error)}${detail}`;
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
  const refused = guardRefusal(step, error);
  if (refused !== null) {
    const others = ctx.action === 'apply' ? ' (or uuidmig rollback to undo the stages committed before it)' : '';
    return new StepFailedError(
      `Stage ${stage.id} ${stage.name} stopped at its guard (step ${step!.id}, ${step!.table}) and was rolled ` +
        `back, so the database is as it was before that stage: ${refused}, written since the plan. Fix or ` +
        `delete those rows, or plan again (a reference with orphans then, under --orphans null, sets them ` +
        `aside), then run uuidmig ${ctx.action} again${others}.`,
      { stage, step, reason },
      { cause: error },
    );
  }
  const what = step
    ? `Step ${step.id} (${step.description}) of stage ${stage.id} ${stage.name} failed`
    : `Stage ${stage.id} ${stage.name} failed a check inside its transaction`;
  const statement = step ? ` The statement was: ${oneLine(step.sql)}.` : '';
  const code = error instanceof postgres.PostgresError ? error.code : error instanceof LockBudgetSpent ? '55P03' : '';
  const others = ctx.action === 'apply' ? ', or uuidmig rollback to undo the stages committed before it' : '';
  const hint =
    code === '40P01'
      ? 'It deadlocked with other sessions on every try; retry when the database is quieter'
      : code === '55P03'
        ? 'Another session held a lock too long; retry when the database is quieter, or raise --lock-timeout'
        : error instanceof StageCheckError
          ? "The checks found rows that would not keep their parent (the plan's warnings may name why): fix the " +
            `cause, then run uuidmig ${ctx.action} again to resume${others}`
          : `Fix the cause, then run uuidmig ${ctx.action} again to resume${others}`;
  return new StepFailedError(
    `${what}, and the stage was rolled back, so the database is as it was before that stage: ` +
      `${reason.replace(/\.$/, '')}.${statement} ${hint}.`,
    { stage, step, reason },
    { cause: error },
  );
}

/** A guard's own refusal (guardSaid), or null for any other failure. Its SQL says nothing a user needs. */
const guardRefusal = (step: Step | null, error: unknown): string | null =>
  step?.kind === 'guard' && error instanceof postgres.PostgresError ? guardSaid(error.message) : null;

/** The wait before retry `attempt` (from 0): doubling, at most 10 s, with jitter so retries do not march in step. */
export function retryWait(settings: { retryDelayMs: number }, attempt: number): number {
  return Math.round(Math.min(settings.retryDelayMs * 2 ** attempt, 10_000) * (0.5 + Math.random()));
}

/**
 * The lock wait of try `attempt` (from 0), as SQL: the setting's `lock_timeout` for the first tries;
 * from try `escalateAfter` on, at least twice the server's deadlock_timeout. A lock waited for that long makes
 * PostgreSQL cancel an autovacuum that holds it (a shorter wait never does, and the stage would give
 * up on every try), at the cost of writers queued that long behind the request.
 */
export function lockWaitSql(
  settings: { lockTimeout: string; escalateAfter?: number | undefined },
  attempt: number,
  local = true,
): string {
  if (settings.escalateAfter === undefined || attempt < settings.escalateAfter)
    return `SELECT set_config('lock_timeout', ${quoteLiteral(settings.lockTimeout)}, ${local})`;
  return (
    "SELECT set_config('lock_timeout', (greatest(extract(epoch FROM current_setting('deadlock_timeout')::interval) " +
    `* 2, extract(epoch FROM ${quoteLiteral(settings.lockTimeout)}::interval)) * 1000)::int::text, ${local})`
  );
}

/** Whether try `attempt` is past the quick ones (see lockWaitSql). */
export const escalated = (settings: { escalateAfter?: number | undefined }, attempt: number): boolean =>
  settings.escalateAfter !== undefined && attempt >= settings.escalateAfter;
