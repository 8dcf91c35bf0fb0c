import fs from 'node:fs';
import { connect } from '../db/connect.js';
import { scratchDatabase } from '../db/scratch-database.js';
import type { Finding } from '../model/work.js';
import { oneLine } from '../planner/sql-text.js';
import { type EntryFailure, firstFailure } from './run-entry.js';
import type { PreparedEntry } from './team-entry.js';

/**
 * What `drizzle-kit migrate` does on a fresh database (CI, a new developer): the folder's entries
 * before uuidmig's, then uuidmig's, in one transaction, on an empty database of the scratch server.
 * The plan is right for this database either way; a history that does not build this database's
 * schema (a `drizzle-kit pull` baseline left commented out, or without the partitioned parents,
 * triggers and functions pull does not write) breaks only fresh databases, so it is a warning that
 * names the entry, the statement and PostgreSQL's message.
 */
export async function freshHistory(scratchUrl: string, entry: PreparedEntry): Promise<Finding[]> {
  const ours = entry.entry;
  const files = [
    ...entry.earlier.map((e) => ({ tag: e.tag, sql: fs.readFileSync(e.sqlFile, 'utf8') })),
    { tag: ours.tag, sql: entry.sql },
  ];
  const scratch = await scratchDatabase(scratchUrl, 'uuidmig_fresh');
  try {
    const fresh = await connect(scratch.url, { max: 1 });
    try {
      await fresh.unsafe('BEGIN');
      for (const file of files) {
        const failed = await firstFailure(fresh, file.sql);
        if (failed) return [warning(file.tag === ours.tag, file.tag, failed, entry.folder)];
      }
      return [];
    } finally {
      await fresh.end({ timeout: 5 });
    }
  } finally {
    await scratch.close();
  }
}

function warning(ours: boolean, tag: string, failed: EntryFailure, folder: string): Finding {
  const why = ours
    ? `the entries before it build a schema that is not this database's (uuidmig's entry is made from this ` +
      'database, which has objects or names the history lacks)'
    : "the folder's history does not build a database by itself (a drizzle-kit pull baseline is commented " +
      'out, and lacks partitioned parents, triggers and functions)';
  return {
    kind: 'drizzle-history',
    table: { schema: '', name: '' },
    columns: [],
    message:
      `drizzle-kit migrate on a fresh database would stop at ${tag} (statement ${failed.index}): ` +
      `${oneLine(failed.reason)}: ${why}. This database can still be migrated with uuidmig apply; to build ` +
      `fresh databases (CI, new developers) from ${folder}, make its entries build this schema.`,
  };
}
