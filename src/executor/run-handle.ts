import type { ReservedSql } from 'postgres';
import { connect, parseDatabaseUrl, type Sql, withDatabaseErrors } from '../db/connect.js';
import { acquireRunLock } from './advisory-lock.js';

export interface RunHandle {
  url: string;
  sql: Sql;
  /** The one connection a run works on: it holds the advisory lock and runs every stage. */
  conn: ReservedSql;
  close(): Promise<void>;
}

/** Connect, reserve one connection and take the run lock; on any failure, leave nothing open. */
export async function openRun(databaseUrl: string | undefined, lock = true): Promise<RunHandle> {
  const url = parseDatabaseUrl(databaseUrl ?? process.env.DATABASE_URL).toString();
  const sql = await connect(url, { max: 2 });
  let conn: ReservedSql | undefined;
  try {
    conn = await withDatabaseErrors(url, () => sql.reserve());
    const unlock = lock ? await withDatabaseErrors(url, () => acquireRunLock(conn!)) : async () => {};
    const reserved = conn;
    return {
      url,
      sql,
      conn: reserved,
      async close() {
        await unlock();
        reserved.release();
        await sql.end({ timeout: 5 });
      },
    };
  } catch (error) {
    conn?.release();
    await sql.end({ timeout: 1 }).catch(() => {});
    throw error;
  }
}

/** Run `work` with a run handle, mapping database errors to exit 3 and always closing. */
export async function withRun<T>(
  databaseUrl: string | undefined,
  work: (run: RunHandle) => Promise<T>,
  lock = true,
): Promise<T> {
  const run = await openRun(databaseUrl, lock);
  try {
    return await withDatabaseErrors(run.url, () => work(run));
  } finally {
    await run.close();
  }
}
