import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import type { DrizzleEntry, Plan } from '../planner/plan-schema.js';
import type { ImportedSchema } from '../schema/load-schema.js';
import { ENTRY_MARK, renderEntrySql } from './entry-sql.js';
import { type DrizzleJournal, type FolderEntry, lastSnapshotId, nextEntry, type TeamFolder } from './folder.js';
import { nextFolderName } from './folder-v1.js';
import { isRecorded, lastCreatedAt, migrationHash, type RecordedMigration } from './record.js';
import { loadDrizzleKit, renderSnapshot } from './snapshot.js';
import { renderSnapshotV1 } from './snapshot-v1.js';

export interface EntrySettings {
  name: string;
  now: Date;
  /** drizzle-kit's `migrations.prefix` (index by default; 0.x only). */
  prefix: string;
  casing?: 'camelCase' | 'snake_case' | undefined;
  migrationsSchema: string;
  migrationsTable: string;
  /** Where the project's drizzle-kit is resolved from: the config's folder, or the schema's. */
  projectDir: string;
}

/** The entry plan appends, ready to write: nothing touches the folder before every part of it is made. */
export interface PreparedEntry {
  layout: TeamFolder['layout'];
  folder: string;
  sqlFile: string;
  snapshotFile: string;
  sql: string;
  snapshot: string;
  /** The folder's entries before this one, in the order drizzle's migrator runs them. */
  earlier: FolderEntry[];
  /** The journal with this entry appended (drizzle-kit 0.x's layout; null in 1.0's, which has none). */
  journal: DrizzleJournal | null;
  /** uuidmig's own earlier entry, never recorded in this database, that this one takes the place of. */
  replaced: FolderEntry | null;
  entry: Omit<DrizzleEntry, 'folder'>;
}

/**
 * The folder's last entry when uuidmig plan wrote it and this database has not recorded it (given the
 * rows of its migrations table): planning again replaces it rather than stacking a second one, which
 * would convert keys that are already uuid on a fresh database.
 */
export function ownUnrecordedEntry(team: TeamFolder, recorded: RecordedMigration[]): FolderEntry | null {
  const last = team.entries.at(-1);
  if (!last || !fs.existsSync(last.sqlFile)) return null;
  const text = fs.readFileSync(last.sqlFile, 'utf8');
  const hash = migrationHash(text);
  return text.startsWith(ENTRY_MARK) && !isRecorded(recorded, team.layout, { ...last, hash }) ? last : null;
}

/**
 * The team's entries drizzle-kit migrate has not run on this database: 0.x runs those newer than the
 * last it recorded, 1.0 those whose folder name it has not recorded.
 */
export function pendingEntries(team: TeamFolder, recorded: RecordedMigration[], except: FolderEntry | null) {
  const others = team.entries.filter((e) => e !== except);
  if (team.layout === 'folders') {
    return others.filter(
      (e) => !isRecorded(recorded, 'folders', { ...e, hash: migrationHash(fs.readFileSync(e.sqlFile, 'utf8')) }),
    );
  }
  const last = lastCreatedAt(recorded);
  return last === null ? [] : others.filter((e) => e.when > last);
}

export async function prepareEntry(
  team: TeamFolder,
  replaced: FolderEntry | null,
  rewrite: Plan,
  planId: string,
  imported: ImportedSchema,
  s: EntrySettings,
): Promise<PreparedEntry> {
  const earlier = team.entries.filter((e) => e !== replaced);
  const sql = renderEntrySql(rewrite, planId);
  const record = { hash: migrationHash(sql), migrationsSchema: s.migrationsSchema, migrationsTable: s.migrationsTable };
  const common = { folder: team.folder, sql, earlier, replaced };
  if (team.layout === 'folders') {
    const next = nextFolderName(earlier, s.name, s.now);
    const dir = path.join(team.folder, next.tag);
    const replacing = replaced && path.dirname(replaced.sqlFile) === dir;
    if (fs.existsSync(dir) && !replacing)
      throw new UsageError(`The drizzle folder already holds ${dir}; plan with another --name.`);
    const kit = loadDrizzleKit(s.projectDir, { folder: team.folder, layout: 'folders' });
    const snapshot = await renderSnapshotV1(kit, imported, earlier);
    const files = { sqlFile: path.join(dir, 'migration.sql'), snapshotFile: path.join(dir, 'snapshot.json') };
    const entry = { layout: 'folders' as const, tag: next.tag, when: next.when, ...record };
    return { layout: 'folders', ...common, ...files, snapshot: snapshot.text, journal: null, entry };
  }
  const journal = { ...team.journal, entries: team.journal.entries.filter((e) => e.tag !== replaced?.tag) };
  const gone = replaced ? [replaced.sqlFile, replaced.snapshotFile] : [];
  const next = nextEntry(journal, s.name, s.now, s.prefix);
  const sqlFile = path.join(team.folder, `${next.tag}.sql`);
  const snapshotFile = path.join(team.folder, 'meta', next.snapshotFile);
  for (const file of [sqlFile, snapshotFile]) {
    if (fs.existsSync(file) && !gone.includes(file)) {
      throw new UsageError(`The drizzle folder already holds ${file}; plan with another --name.`);
    }
  }
  const kit = loadDrizzleKit(s.projectDir, { folder: team.folder, layout: 'journal' });
  const prevId = lastSnapshotId({ snapshots: team.snapshots.filter((f) => !gone.includes(f)) });
  const snapshot = await renderSnapshot(kit, imported, prevId, s.casing);
  const version = String((JSON.parse(snapshot.text) as { version?: unknown }).version ?? '7');
  const line = { idx: next.idx, version, when: next.when, tag: next.tag, breakpoints: true };
  return {
    layout: 'journal',
    ...common,
    sqlFile,
    snapshotFile,
    snapshot: snapshot.text,
    journal: { ...journal, entries: [...journal.entries, line] },
    entry: { tag: next.tag, when: next.when, ...record },
  };
}

/**
 * Write the entry as drizzle-kit generate writes one: the SQL, the snapshot, then (0.x) the journal
 * (two-space JSON, no final newline), so the journal never names a file that is not there yet. The
 * entry it replaces goes first.
 */
export function writeEntry(p: PreparedEntry): void {
  if (p.replaced) {
    if (p.layout === 'folders') fs.rmSync(path.dirname(p.replaced.sqlFile), { recursive: true, force: true });
    else for (const file of [p.replaced.sqlFile, p.replaced.snapshotFile]) fs.rmSync(file, { force: true });
  }
  fs.mkdirSync(path.dirname(p.sqlFile), { recursive: true });
  fs.writeFileSync(p.sqlFile, p.sql);
  fs.writeFileSync(p.snapshotFile, p.snapshot);
  if (p.journal) fs.writeFileSync(path.join(p.folder, 'meta', '_journal.json'), JSON.stringify(p.journal, null, 2));
}
