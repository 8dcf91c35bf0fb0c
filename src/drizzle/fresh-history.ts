import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import postgres from 'postgres';
import { connect } from '../db/connect.js';
import { quoteIdent } from '../db/quote.js';
import type { Finding } from '../model/work.js';
import { BREAKPOINT } from './entry-sql.js';
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
  const ours = entry.journal.entries.at(-1)!;
  const earlier = entry.journal.entries.filter((e) => e !== ours);
  const files = [
    ...earlier.map((e) => ({ tag: e.tag, sql: fs.readFileSync(path.join(entry.folder, `${e.tag}.sql`), 'utf8') })),
    { tag: ours.tag, sql: entry.sql },
  ];
  const name = `uuidmig_fresh_${randomBytes(4).toString('hex')}`;
  const admin = await connect(scratchUrl, { max: 1 });
  try {
    await admin.unsafe(`CREATE DATABASE ${quoteIdent(name)}`);
    const url = new URL(scratchUrl);
    url.pathname = `/${name}`;
    const fresh = await connect(url.toString(), { max: 1 });
    try {
      await fresh.unsafe('BEGIN');
      for (const file of files) {
        for (const [i, statement] of file.sql.split(BREAKPOINT).entries()) {
          if (!statement.trim()) continue;
          try {
            await fresh.unsafe(statement);
          } catch (error) {
            if (!(error instanceof postgres.PostgresError)) throw error;
            return [warning(file.tag === ours.tag, file.tag, i + 1, error.message, entry.folder)];
          }
        }
      }
      return [];
    } finally {
      await fresh.end({ timeout: 5 });
    }
  } finally {
    await admin.unsafe(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`).catch(() => {});
    await admin.end({ timeout: 5 });
  }
}

function warning(ours: boolean, tag: string, statement: number, reason: string, folder: string): Finding {
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
      `drizzle-kit migrate on a fresh database would stop at ${tag} (statement ${statement}): ` +
      `${reason.replace(/\.$/, '')}: ${why}. This database can still be migrated with uuidmig apply; to build ` +
      `fresh databases (CI, new developers) from ${folder}, make its entries build this schema.`,
  };
}
