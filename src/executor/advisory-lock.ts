import type { ReservedSql } from 'postgres';
import type { Sql } from '../db/connect.js';
import { BlockedError } from '../errors.js';

// 'uuid' and 'mig\0' as two int4 keys: one lock per database (advisory locks are per database),
// visible in pg_locks as (database, classid, objid).
const KEY1 = 0x75756964;
const KEY2 = 0x6d696700;

/** The session that holds the run lock now: a live apply, rollback or finalize. */
export interface RunLockHolder {
  pid: number;
  app: string;
  user: string;
  since: string;
}

/** Who holds the run lock on this database now, or null: read from pg_locks, without taking it. */
export async function runLockHolder(sql: Pick<Sql, 'unsafe'>): Promise<RunLockHolder | null> {
  const [holder] = await sql.unsafe<RunLockHolder[]>(
    `SELECT a.pid, a.application_name AS app, a.usename AS user,
       to_char(a.backend_start, 'YYYY-MM-DD HH24:MI:SS TZ') AS since
     FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
     WHERE l.locktype = 'advisory' AND l.classid = $1 AND l.objid = $2 AND l.granted AND l.pid <> pg_backend_pid()
       AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) LIMIT 1`,
    [KEY1, KEY2],
  );
  return holder ?? null;
}

/** `backend pid 123 (uuidmig, user app, connected since ...)`. */
export const describeHolder = (holder: RunLockHolder | null): string =>
  holder
    ? `backend pid ${holder.pid} (${holder.app || 'unnamed application'}, user ${holder.user}, connected since ` +
      `${holder.since})`
    : 'another session';

/**
 * Hold a session advisory lock for the whole run, so two runs cannot overlap. The second run is
 * refused at once, naming who holds the lock.
 */
export async function acquireRunLock(conn: ReservedSql): Promise<() => Promise<void>> {
  const [row] = await conn.unsafe<{ ok: boolean }[]>('SELECT pg_try_advisory_lock($1, $2) AS ok', [KEY1, KEY2]);
  if (!row?.ok) {
    throw new BlockedError(
      `Another uuidmig run holds the migration lock on this database: ${describeHolder(await runLockHolder(conn))}; ` +
        'wait for it to finish, or stop it, and try again.',
    );
  }
  return async () => {
    await conn.unsafe('SELECT pg_advisory_unlock($1, $2)', [KEY1, KEY2]).catch(() => {});
  };
}

/** Refuse to read while a run holds the lock: its tables are mid-change, and its checks are not taken yet. */
export async function refuseDuringRun(sql: Pick<Sql, 'unsafe'>, what: string): Promise<void> {
  const holder = await runLockHolder(sql);
  if (holder) {
    throw new BlockedError(
      `A uuidmig run is in progress on this database now: ${describeHolder(holder)}; ${what} when it has finished ` +
        '(uuidmig status shows where it stands).',
    );
  }
}
