import { readSqlFile } from '../catalog/sql-files.js';
import type { Sql } from '../db/connect.js';
import { sha256 } from '../planner/hash.js';
import type { Plan } from '../planner/plan-schema.js';
import type { CheckRow } from '../verify/run-checks.js';

export type PlanStatus = 'applying' | 'failed' | 'applied' | 'rolling_back' | 'rolled_back' | 'finalized';
export type Action = 'apply' | 'rollback' | 'finalize';

export interface PlanRecord {
  status: PlanStatus;
  run: number;
  planHash: string;
  catalogHash: string;
}

type Queryable = Pick<Sql, 'unsafe'>;

export const planHash = (plan: Plan): string => sha256(plan);

/** Create schema `uuidmig` and its tables (sql/bookkeeping/schema.sql). Never called by a dry run. */
export async function ensureBookkeeping(sql: Queryable): Promise<void> {
  await sql.unsafe(readSqlFile('bookkeeping/schema'));
}

/** The plan's row, or null (also when the bookkeeping schema does not exist: nothing is created). */
export async function findPlanRecord(sql: Queryable, planId: string): Promise<PlanRecord | null> {
  const [exists] = await sql.unsafe<{ ok: boolean }[]>(`SELECT to_regclass('uuidmig.plans') IS NOT NULL AS ok`);
  if (!exists?.ok) return null;
  const [row] = await sql.unsafe<{ status: PlanStatus; run: number; plan_hash: string; catalog_hash: string }[]>(
    'SELECT status, run, plan_hash, catalog_hash FROM uuidmig.plans WHERE id = $1',
    [planId],
  );
  return row ? { status: row.status, run: row.run, planHash: row.plan_hash, catalogHash: row.catalog_hash } : null;
}

/** Start a fresh run of the plan (the first, or again after a rollback). */
export async function startRun(
  sql: Queryable,
  plan: Plan,
  catalogHash: string,
  previous: PlanRecord | null,
): Promise<number> {
  const run = (previous?.run ?? 0) + 1;
  await sql.unsafe(
    `INSERT INTO uuidmig.plans (id, plan_hash, catalog_hash, plan, status, run)
     VALUES ($1, $2, $3, $4::text::jsonb, 'applying', $5)
     ON CONFLICT (id) DO UPDATE
     SET status = 'applying', run = excluded.run, catalog_hash = excluded.catalog_hash, updated_at = now()`,
    [plan.id, planHash(plan), catalogHash, JSON.stringify(plan), run],
  );
  return run;
}

export async function setStatus(sql: Queryable, planId: string, status: PlanStatus): Promise<void> {
  await sql.unsafe('UPDATE uuidmig.plans SET status = $2, updated_at = now() WHERE id = $1', [planId, status]);
}

export interface JournalEntry {
  planId: string;
  run: number;
  action: Action;
  stageId: string;
  stepId: string | null;
  status: 'done' | 'failed';
  rows?: number | null;
  catalogHash?: string | null;
  statement?: string | null;
  error?: string | null;
  /** A batch of a batched step: the key it reached. */
  batchBound?: string | null;
  startedAt: Date;
}

export async function journal(sql: Queryable, e: JournalEntry): Promise<void> {
  await journalMany(sql, [e]);
}

const JOURNAL_COLUMNS = 12;

/** Journal rows in one statement per thousand (a stage's steps, written with the stage's commit). */
export async function journalMany(sql: Queryable, entries: JournalEntry[]): Promise<void> {
  for (let start = 0; start < entries.length; start += 1000) {
    const chunk = entries.slice(start, start + 1000);
    const rows = chunk.map((_, r) => {
      const at = r * JOURNAL_COLUMNS;
      return `(${Array.from({ length: JOURNAL_COLUMNS }, (_, c) => `$${at + c + 1}`).join(', ')})`;
    });
    const values = chunk.flatMap((e) => [
      e.planId,
      e.run,
      e.action,
      e.stageId,
      e.stepId,
      e.status,
      e.rows ?? null,
      e.catalogHash ?? null,
      e.statement ?? null,
      e.error ?? null,
      e.startedAt,
      e.batchBound ?? null,
    ]);
    await sql.unsafe(
      `INSERT INTO uuidmig.journal
         (plan_id, run, action, stage_id, step_id, status, rows, catalog_hash, statement, error, started_at,
          batch_bound)
       VALUES ${rows.join(', ')}`,
      values,
    );
  }
}

/** Stages of this run that committed (a stage-level `done` row is written in the stage's own transaction). */
export async function completedStages(
  sql: Queryable,
  planId: string,
  run: number,
  action: Action,
): Promise<{ stageId: string; catalogHash: string | null }[]> {
  const rows = await sql.unsafe<{ stage_id: string; catalog_hash: string | null }[]>(
    `SELECT stage_id, catalog_hash FROM uuidmig.journal
     WHERE plan_id = $1 AND run = $2 AND action = $3 AND step_id IS NULL AND status = 'done'
     ORDER BY id`,
    [planId, run, action],
  );
  return rows.map((r) => ({ stageId: r.stage_id, catalogHash: r.catalog_hash }));
}

/**
 * Store a phase's checks in one statement. `merge`: replace only the checks given (a component's
 * baseline, taken inside its own stage), keeping the phase's others.
 */
export async function saveChecks(
  sql: Queryable,
  planId: string,
  phase: string,
  checks: CheckRow[],
  merge = false,
): Promise<void> {
  const column = <T>(pick: (c: CheckRow) => T) => checks.map(pick);
  await sql.unsafe(
    `WITH given AS (
       SELECT * FROM unnest($3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::numeric[], $8::numeric[])
         AS g (kind, name, rows, orphans, fingerprint, max_key)
     ), gone AS (
       -- Without merge, the phase holds exactly the checks given: the others go (the given are upserted).
       DELETE FROM uuidmig.checks AS c WHERE c.plan_id = $1 AND c.phase = $2 AND NOT $9::boolean
         AND (c.kind, c.name) NOT IN (SELECT kind, name FROM given)
     )
     INSERT INTO uuidmig.checks (plan_id, phase, kind, name, rows, orphans, fingerprint, max_key)
     SELECT $1, $2, kind, name, rows, orphans, fingerprint, max_key FROM given
     ON CONFLICT (plan_id, phase, kind, name) DO UPDATE SET rows = excluded.rows, orphans = excluded.orphans,
       fingerprint = excluded.fingerprint, max_key = excluded.max_key, taken_at = clock_timestamp()`,
    [
      planId,
      phase,
      column((c) => c.kind),
      column((c) => c.name),
      column((c) => String(c.rows)),
      column((c) => (c.orphans === null ? null : String(c.orphans))),
      column((c) => c.fingerprint),
      column((c) => c.maxKey ?? null),
      merge,
    ] as never[],
  );
}

export async function loadChecks(sql: Queryable, planId: string, phase: string): Promise<CheckRow[]> {
  const [exists] = await sql.unsafe<{ ok: boolean }[]>(`SELECT to_regclass('uuidmig.checks') IS NOT NULL AS ok`);
  if (!exists?.ok) return [];
  type Stored = {
    kind: CheckRow['kind'];
    name: string;
    rows: string;
    orphans: string | null;
    fingerprint: string | null;
  };
  // max_key read through to_jsonb: a bookkeeping schema older than that column still loads.
  const rows = await sql.unsafe<(Stored & { max_key: string | null })[]>(
    `SELECT kind, name, rows::text, orphans::text, fingerprint::text, to_jsonb(c) ->> 'max_key' AS max_key
     FROM uuidmig.checks AS c WHERE plan_id = $1 AND phase = $2 ORDER BY kind, name`,
    [planId, phase],
  );
  return rows.map((r) => ({
    kind: r.kind,
    name: r.name,
    rows: Number(r.rows),
    orphans: r.orphans === null ? null : Number(r.orphans),
    fingerprint: r.fingerprint,
    ...(r.max_key === null ? {} : { maxKey: r.max_key }),
  }));
}

/** Where each step of a stage got to in this run: done (a finished step) or the last batch bound. */
export async function stepProgress(
  sql: Queryable,
  planId: string,
  run: number,
  action: Action,
  stageId: string,
): Promise<Map<string, { done: boolean; bound: string | null }>> {
  const rows = await sql.unsafe<{ step_id: string; done: boolean; bound: string | null }[]>(
    `SELECT step_id, bool_or(batch_bound IS NULL) AS done,
       (array_agg(batch_bound ORDER BY id DESC) FILTER (WHERE batch_bound IS NOT NULL))[1] AS bound
     FROM uuidmig.journal
     WHERE plan_id = $1 AND run = $2 AND action = $3 AND stage_id = $4 AND step_id IS NOT NULL AND status = 'done'
     GROUP BY step_id`,
    [planId, run, action, stageId],
  );
  return new Map(rows.map((r) => [r.step_id, { done: r.done, bound: r.bound }]));
}
