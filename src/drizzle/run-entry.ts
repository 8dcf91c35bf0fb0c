import postgres from 'postgres';
import type { Sql } from '../db/connect.js';
import { BREAKPOINT } from './entry-sql.js';

export interface EntryFailure {
  /** 1-based, as a reader counts the file's statements. */
  index: number;
  statement: string;
  /** PostgreSQL's message, without its final period. */
  reason: string;
}

/**
 * A drizzle folder entry's statements, one by one as drizzle-orm's migrator sends them (split on the
 * breakpoints), in the caller's transaction: the first that PostgreSQL refuses, or null.
 */
export async function firstFailure(conn: Pick<Sql, 'unsafe'>, entrySql: string): Promise<EntryFailure | null> {
  for (const [i, statement] of entrySql.split(BREAKPOINT).entries()) {
    if (!statement.trim()) continue;
    try {
      await conn.unsafe(statement);
    } catch (error) {
      if (!(error instanceof postgres.PostgresError)) throw error;
      return { index: i + 1, statement, reason: error.message.replace(/\.$/, '') };
    }
  }
  return null;
}
