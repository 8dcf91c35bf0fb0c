import type { ReservedSql } from 'postgres';
import type { Stage } from '../planner/plan-schema.js';

/**
 * A stage's lock timed out: if an autovacuum worker holds one of its tables (a table the backfill just
 * rewrote is the first it picks), cancel it now, as PostgreSQL itself does once a lock request has
 * waited deadlock_timeout. Waiting that long would hold every writer queued behind the request for a
 * second and let deadlock detection kill an application transaction. A vacuum that prevents
 * wraparound is left alone (PostgreSQL never cancels those either); autovacuum comes back later. Only
 * a superuser (or, from 18, a member of pg_signal_autovacuum_worker) may cancel it: otherwise nothing
 * happens, and the escalating tries wait as before.
 */
export async function cancelAutovacuum(conn: ReservedSql, stage: Stage): Promise<number> {
  const tables = [...new Set(stage.steps.map((s) => s.table).filter((t): t is string => t !== null))];
  if (!tables.length) return 0;
  try {
    const rows = await conn.unsafe<{ cancelled: boolean }[]>(
      `SELECT pg_cancel_backend(a.pid) AS cancelled FROM pg_stat_activity AS a
       WHERE a.backend_type = 'autovacuum worker' AND a.query NOT LIKE '%to prevent wraparound%'
         AND EXISTS (SELECT FROM pg_locks AS l WHERE l.pid = a.pid AND l.relation = ANY (
           SELECT to_regclass(t) FROM unnest($1::text[]) AS t))`,
      [tables],
    );
    return rows.filter((r) => r.cancelled).length;
  } catch {
    return 0;
  }
}
