import { connect, parseDatabaseUrl, withDatabaseErrors } from '../db/connect.js';
import { type RunLockHolder, runLockHolder } from './advisory-lock.js';
import type { PlanStatus } from './bookkeeping.js';

export interface PlanStanding {
  id: string;
  status: PlanStatus;
  run: number;
  updatedAt: string;
  /** Stages of the plan, and how many the current run's action committed. */
  stages: number;
  committed: number;
  /** The last failure journaled in this run, if the run stopped on one. */
  failure: string | null;
  /** What stands now, in words: running, interrupted, applied, ... */
  state: string;
  /** The command to run next. */
  next: string;
}

export interface StatusReport {
  database: string;
  /** A uuidmig run holding the migration lock now. */
  running: RunLockHolder | null;
  plans: PlanStanding[];
  /** The newest plan file beside the config (or in ./plans) that this database has not seen: apply's next. */
  planned?: { id: string; file: string } | null;
}

type Row = {
  id: string;
  status: PlanStatus;
  run: number;
  updated_at: string;
  stages: number;
  committed: number;
  failure: string | null;
  /** The kind of the first stage the current run has not committed (null when all are). */
  next_kind: string | null;
};

/**
 * `uuidmig status`: the plans this database has seen, where each stands, and what to run next. Tells a
 * live run (it holds the migration lock) from one a crash interrupted (`applying`, nobody holding it).
 * Only reads; creates nothing.
 */
export async function status(options: { databaseUrl?: string }): Promise<StatusReport> {
  const url = parseDatabaseUrl(options.databaseUrl ?? process.env.DATABASE_URL).toString();
  const sql = await connect(url, { max: 1 });
  try {
    return await withDatabaseErrors(url, async () => {
      const [{ database }] = (await sql`SELECT current_database() AS database`) as unknown as [{ database: string }];
      const running = await runLockHolder(sql);
      const [{ exists }] = (await sql`SELECT to_regclass('uuidmig.plans') IS NOT NULL AS exists`) as unknown as [
        { exists: boolean },
      ];
      if (!exists) return { database, running, plans: [] };
      const rows = await sql.unsafe<Row[]>(
        `SELECT p.id, p.status, p.run, to_char(p.updated_at, 'YYYY-MM-DD HH24:MI:SS TZ') AS updated_at,
           -- Older runs stored the plan as a JSON string inside jsonb: read either form.
           jsonb_array_length(CASE jsonb_typeof(p.plan) WHEN 'string' THEN (p.plan #>> '{}')::jsonb ELSE p.plan END
             -> 'stages') AS stages,
           (SELECT count(*)::int FROM uuidmig.journal j WHERE j.plan_id = p.id AND j.run = p.run
              AND j.step_id IS NULL AND j.status = 'done'
              AND j.action = CASE p.status WHEN 'rolling_back' THEN 'rollback' WHEN 'rolled_back' THEN 'rollback'
                                           WHEN 'finalized' THEN 'finalize' ELSE 'apply' END) AS committed,
           (SELECT j.error FROM uuidmig.journal j WHERE j.plan_id = p.id AND j.run = p.run AND j.status = 'failed'
              ORDER BY j.id DESC LIMIT 1) AS failure,
           (SELECT s.value ->> 'kind' FROM jsonb_array_elements(CASE jsonb_typeof(p.plan) WHEN 'string'
                THEN (p.plan #>> '{}')::jsonb ELSE p.plan END -> 'stages') WITH ORDINALITY AS s(value, n)
              WHERE NOT EXISTS (SELECT 1 FROM uuidmig.journal j WHERE j.plan_id = p.id AND j.run = p.run
                AND j.action = 'apply' AND j.step_id IS NULL AND j.status = 'done' AND j.stage_id = s.value ->> 'id')
              ORDER BY s.n LIMIT 1) AS next_kind
         FROM uuidmig.plans p ORDER BY p.created_at, p.id`,
      );
      // Only one run can hold the lock: the plan it works on is the one whose status says it is moving.
      const live = running ? rows.findLast((r) => ['applying', 'rolling_back', 'applied'].includes(r.status)) : null;
      return { database, running, plans: rows.map((r) => standing(r, r === live ? running : null)) };
    });
  } finally {
    await sql.end({ timeout: 5 });
  }
}

function standing(row: Row, running: RunLockHolder | null): PlanStanding {
  const progress = `${row.committed} of ${row.stages} stage(s) committed`;
  const base = {
    id: row.id,
    status: row.status,
    run: row.run,
    updatedAt: row.updated_at,
    stages: row.stages,
    committed: row.committed,
    failure: row.failure,
  };
  if (running) {
    const what = row.status === 'rolling_back' ? 'rollback' : row.status === 'applied' ? 'verify or finalize' : 'apply';
    return {
      ...base,
      state: `${what} is running now, in backend pid ${running.pid}; ${progress}`,
      next:
        'wait for it to finish, then run uuidmig status again (if the uuidmig process that started it is gone, ' +
        `its statement runs on in the server until it ends: SELECT pg_terminate_backend(${running.pid}) stops it, ` +
        'and its stage rolls back)',
    };
  }
  if (row.status === 'applying' && row.next_kind === 'swap') {
    return {
      ...base,
      state: `built, waiting for the swap (apply --until build): ${progress}; the application still writes integers`,
      next: 'uuidmig apply when the application that writes uuids is ready to deploy (the swap takes a moment)',
    };
  }
  switch (row.status) {
    case 'applying':
    case 'failed':
      return {
        ...base,
        state:
          `apply ${row.status === 'failed' ? 'failed' : 'was interrupted'} (no run holds the lock): ${progress}` +
          (row.status === 'failed' && row.failure ? `; it stopped on: ${row.failure}` : ''),
        next:
          row.status === 'failed'
            ? 'fix what it stopped on, then uuidmig apply (it resumes after the last committed stage); or ' +
              'uuidmig rollback'
            : 'uuidmig apply (it resumes after the last committed stage), or uuidmig rollback',
      };
    case 'applied':
      return { ...base, state: 'applied', next: 'uuidmig verify, then uuidmig finalize (or uuidmig rollback)' };
    case 'rolling_back':
      return {
        ...base,
        state: `rollback was interrupted (no run holds the lock): ${progress}`,
        next: 'uuidmig rollback (it undoes what is left)',
      };
    case 'rolled_back':
      return { ...base, state: 'rolled back', next: 'nothing; uuidmig apply runs the plan again, or plan anew' };
    case 'finalized':
      return { ...base, state: 'applied and finalized', next: 'nothing: the migration is complete' };
  }
}
