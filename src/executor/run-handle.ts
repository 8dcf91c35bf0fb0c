import type { ReservedSql } from 'postgres';
import { connect, isConnectionLost, parseDatabaseUrl, type Sql, withDatabaseErrors } from '../db/connect.js';
import { acquireRunLock } from './advisory-lock.js';
import { ConnectionLostError } from './run-stage.js';
import { statementWatch, type Watch } from './statement-watch.js';

export interface RunHandle {
  url: string;
  sql: Sql;
  /** The one connection a run works on: it holds the advisory lock and runs every stage. */
  conn: ReservedSql;
  /**
   * Database work on the run: the server's refusals become exit 3 (withDatabaseErrors), and a lost
   * connection is remembered, so nothing more is sent on it.
   */
  guard<T>(work: () => Promise<T>): Promise<T>;
  /** Watches a statement of `conn` from another connection of `sql` (progress of long statements). */
  watch: Watch;
  /** Whether the server ended the run's connection: nothing may be sent on it any more. */
  readonly lost: boolean;
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
    const [{ pid }] = (await withDatabaseErrors(url, () => reserved`SELECT pg_backend_pid() AS pid`)) as unknown as [
      { pid: number },
    ];
    let lost = false;
    return {
      url,
      sql,
      conn: reserved,
      watch: statementWatch(sql, pid),
      get lost() {
        return lost;
      },
      async guard(work) {
        try {
          return await withDatabaseErrors(url, work);
        } catch (error) {
          const cause = (error as Error).cause;
          if (error instanceof ConnectionLostError || isConnectionLost(error) || isConnectionLost(cause)) lost = true;
          throw error;
        }
      },
      async close() {
        // The server released the advisory lock with the session it ended.
        if (!lost) await unlock();
        reserved.release();
        await sql.end({ timeout: lost ? 0 : 5 });
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
