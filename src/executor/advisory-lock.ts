import type { ReservedSql } from 'postgres';
import { BlockedError } from '../errors.js';

// 'uuid' and 'mig\0' as two int4 keys: one lock per database (advisory locks are per database),
// visible in pg_locks as (database, classid, objid).
const KEY1 = 0x75756964;
const KEY2 = 0x6d696700;

/**
 * Hold a session advisory lock for the whole run, so two runs cannot overlap. The second run is
 * refused at once, naming who holds the lock.
 */
export async function acquireRunLock(conn: ReservedSql): Promise<() => Promise<void>> {
  const [row] = await conn.unsafe<{ ok: boolean }[]>('SELECT pg_try_advisory_lock($1, $2) AS ok', [KEY1, KEY2]);
  if (!row?.ok) {
    const [holder] = await conn.unsafe<{ pid: number; app: string; usename: string; since: string }[]>(
      `SELECT a.pid, a.application_name AS app, a.usename, to_char(a.backend_start, 'YYYY-MM-DD HH24:MI:SS TZ') AS since
       FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
       WHERE l.locktype = 'advisory' AND l.classid = $1 AND l.objid = $2 AND l.granted
         AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) LIMIT 1`,
      [KEY1, KEY2],
    );
    const who = holder
      ? `backend pid ${holder.pid} (${holder.app || 'unnamed application'}, user ${holder.usename}, connected ` +
        `since ${holder.since})`
      : 'another session';
    throw new BlockedError(
      `Another uuidmig run holds the migration lock on this database: ${who}; wait for it to finish, or stop it, ` +
        `and try again.`,
    );
  }
  return async () => {
    await conn.unsafe('SELECT pg_advisory_unlock($1, $2)', [KEY1, KEY2]).catch(() => {});
  };
}
