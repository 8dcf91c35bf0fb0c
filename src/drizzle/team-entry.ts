import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import type { DrizzleEntry, Plan } from '../planner/plan-schema.js';
import type { ImportedSchema } from '../schema/load-schema.js';
import { ENTRY_MARK, renderEntrySql } from './entry-sql.js';
import { type DrizzleJournal, type JournalEntry, lastSnapshotId, nextEntry, type TeamFolder } from './folder.js';
import { migrationHash } from './record.js';
import { loadDrizzleKit, renderSnapshot } from './snapshot.js';

export interface EntrySettings {
  name: string;
  now: Date;
  /** drizzle-kit's `migrations.prefix` (index by default). */
  prefix: string;
  casing?: 'camelCase' | 'snake_case' | undefined;
  migrationsSchema: string;
  migrationsTable: string;
  /** Where the project's drizzle-kit is resolved from: the config's folder, or the schema's. */
  projectDir: string;
}

/** The entry plan appends, ready to write: nothing touches the folder before every part of it is made. */
export interface PreparedEntry {
  folder: string;
  sqlFile: string;
  snapshotFile: string;
  sql: string;
  snapshot: string;
  journal: DrizzleJournal;
  /** uuidmig's own earlier entry, never recorded in this database, that this one takes the place of. */
  replaced: JournalEntry | null;
  entry: Omit<DrizzleEntry, 'folder'>;
}

const sqlFileOf = (folder: string, tag: string) => path.join(folder, `${tag}.sql`);
/** drizzle-kit names an entry's snapshot by its tag's prefix: `0003_uuid_keys` -> `meta/0003_snapshot.json`. */
const snapshotFileOf = (folder: string, tag: string) =>
  path.join(folder, 'meta', `${tag.slice(0, tag.indexOf('_'))}_snapshot.json`);

/**
 * The folder's last entry when uuidmig plan wrote it and this database has not recorded it (given the
 * hashes its migrations table holds): planning again replaces it rather than stacking a second one,
 * which would convert keys that are already uuid on a fresh database.
 */
export function ownUnrecordedEntry(team: TeamFolder, recorded: Set<string>): JournalEntry | null {
  const last = team.journal.entries.at(-1);
  if (!last || !fs.existsSync(sqlFileOf(team.folder, last.tag))) return null;
  const text = fs.readFileSync(sqlFileOf(team.folder, last.tag), 'utf8');
  return text.startsWith(ENTRY_MARK) && !recorded.has(migrationHash(text)) ? last : null;
}

/** Entries newer than the last migration this database recorded: drizzle-kit migrate has not run them here. */
export const pendingEntries = (team: TeamFolder, lastCreatedAt: number, except: JournalEntry | null) =>
  team.journal.entries.filter((e) => e !== except && e.when > lastCreatedAt);

export function prepareEntry(
  team: TeamFolder,
  replaced: JournalEntry | null,
  rewrite: Plan,
  planId: string,
  imported: ImportedSchema,
  s: EntrySettings,
): PreparedEntry {
  const kept = replaced ? team.journal.entries.filter((e) => e !== replaced) : team.journal.entries;
  const gone = replaced ? [sqlFileOf(team.folder, replaced.tag), snapshotFileOf(team.folder, replaced.tag)] : [];
  const journal = { ...team.journal, entries: kept };
  const next = nextEntry(journal, s.name, s.now, s.prefix);
  const sqlFile = sqlFileOf(team.folder, next.tag);
  const snapshotFile = path.join(team.folder, 'meta', next.snapshotFile);
  for (const file of [sqlFile, snapshotFile]) {
    if (fs.existsSync(file) && !gone.includes(file)) {
      throw new UsageError(`The drizzle folder already holds ${file}; plan with another --name.`);
    }
  }
  const kit = loadDrizzleKit(s.projectDir, team.folder);
  const prevId = lastSnapshotId({ ...team, snapshots: team.snapshots.filter((f) => !gone.includes(f)) });
  const snapshot = renderSnapshot(kit, imported, prevId, s.casing);
  const version = String((JSON.parse(snapshot.text) as { version?: unknown }).version ?? '7');
  const sql = renderEntrySql(rewrite, planId);
  const entry = { idx: next.idx, version, when: next.when, tag: next.tag, breakpoints: true };
  return {
    folder: team.folder,
    sqlFile,
    snapshotFile,
    sql,
    snapshot: snapshot.text,
    journal: { ...journal, entries: [...kept, entry] },
    replaced,
    entry: {
      tag: next.tag,
      when: next.when,
      hash: migrationHash(sql),
      migrationsSchema: s.migrationsSchema,
      migrationsTable: s.migrationsTable,
    },
  };
}

/**
 * Write the entry as drizzle-kit generate writes one: the SQL, the snapshot, then the journal (two-space
 * JSON, no final newline), so the journal never names a file that is not there yet.
 */
export function writeEntry(p: PreparedEntry): void {
  if (p.replaced) {
    for (const file of [sqlFileOf(p.folder, p.replaced.tag), snapshotFileOf(p.folder, p.replaced.tag)])
      fs.rmSync(file, { force: true });
  }
  fs.writeFileSync(p.sqlFile, p.sql);
  fs.writeFileSync(p.snapshotFile, p.snapshot);
  fs.writeFileSync(path.join(p.folder, 'meta', '_journal.json'), JSON.stringify(p.journal, null, 2));
}
