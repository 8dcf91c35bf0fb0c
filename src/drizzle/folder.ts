import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { UsageError } from '../errors.js';
import { folderEntries } from './folder-v1.js';

/**
 * The journal of a team's drizzle-kit 0.x folder: `NNNN_name.sql` files, `meta/_journal.json` and
 * `meta/NNNN_snapshot.json`. drizzle-kit generate diffs the schema against the last snapshot (by file
 * name); drizzle-orm's migrator runs the journal's entries whose `when` is newer than the last one it
 * recorded.
 */
const journalSchema = z
  .object({
    version: z.string(),
    dialect: z.string(),
    entries: z.array(
      z.object({ idx: z.number(), version: z.string(), when: z.number(), tag: z.string(), breakpoints: z.boolean() }),
    ),
  })
  .loose();

export type DrizzleJournal = z.infer<typeof journalSchema>;
export type JournalEntry = DrizzleJournal['entries'][number];

/** One migration of the team's folder, whichever layout holds it. */
export interface FolderEntry {
  /** The journal's tag (`0003_uuid_keys`), or the migration's folder name (`20261130091406_uuid_keys`). */
  tag: string;
  /** What drizzle's migrator records as `created_at`: the journal's `when`, or the folder name's UTC second. */
  when: number;
  /** Absolute. */
  sqlFile: string;
  snapshotFile: string;
}

/**
 * The team's drizzle-kit folder, in the layout its drizzle-kit writes: `journal` (0.x: `NNNN_name.sql`,
 * `meta/_journal.json`, `meta/NNNN_snapshot.json`) or `folders` (1.0: `<timestamp>_<name>/migration.sql`
 * and `snapshot.json`, no journal). Entries in the order drizzle's migrator runs them.
 */
export type TeamFolder =
  | { layout: 'journal'; folder: string; entries: FolderEntry[]; journal: DrizzleJournal; snapshots: string[] }
  | { layout: 'folders'; folder: string; entries: FolderEntry[] };

/** The id drizzle-kit gives the snapshot before the first (`prevId` of a folder's first snapshot). */
export const ORIGIN_ID = '00000000-0000-0000-0000-000000000000';

export const journalFile = (folder: string): string => path.join(folder, 'meta', '_journal.json');

/**
 * The team's folder: `--out` when it is a drizzle-kit folder (either layout), else the config's `out` when it is one
 * (relative to the current folder, as drizzle-kit reads it); null when neither is, and plan writes its
 * own `migrations/<id>/` as before.
 */
export function findTeamFolder(candidates: (string | undefined)[], cwd: string): TeamFolder | null {
  for (const candidate of candidates) {
    if (!candidate) continue;
    const folder = path.resolve(cwd, candidate);
    if (fs.existsSync(journalFile(folder))) return readTeamFolder(folder);
    const entries = folderEntries(folder);
    if (entries.length) return { layout: 'folders', folder, entries };
  }
  return null;
}

function readTeamFolder(folder: string): TeamFolder {
  const file = journalFile(folder);
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`The drizzle journal ${file} is not valid JSON.`, { cause: error });
  }
  const parsed = journalSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UsageError(`The drizzle journal ${file} is not drizzle-kit's: ${issue.path.join('.')} ${issue.message}.`);
  }
  if (parsed.data.dialect !== 'postgresql') {
    throw new UsageError(`The drizzle folder ${folder} is for dialect "${parsed.data.dialect}", not postgresql.`);
  }
  // As drizzle-kit's prepareOutFolder: every file of meta/ but those starting with `_`, sorted.
  const meta = path.join(folder, 'meta');
  const snapshots = fs
    .readdirSync(meta)
    .filter((f) => !f.startsWith('_'))
    .map((f) => path.join(meta, f))
    .sort();
  const entries = parsed.data.entries.map((e) => ({
    tag: e.tag,
    when: e.when,
    sqlFile: path.join(folder, `${e.tag}.sql`),
    snapshotFile: path.join(meta, `${e.tag.slice(0, e.tag.indexOf('_'))}_snapshot.json`),
  }));
  return { layout: 'journal', folder, entries, journal: parsed.data, snapshots };
}

/** The id of the folder's last snapshot: the new snapshot's `prevId`. */
export function lastSnapshotId(team: { snapshots: string[] }): string {
  const last = team.snapshots.at(-1);
  if (!last) return ORIGIN_ID;
  const id = (JSON.parse(fs.readFileSync(last, 'utf8')) as { id?: unknown }).id;
  if (typeof id !== 'string') throw new UsageError(`The drizzle snapshot ${last} has no id.`);
  return id;
}

export interface NextEntry {
  idx: number;
  /** `0003_uuid_keys`. */
  tag: string;
  /** Later than every entry already in the journal, so drizzle's migrator never skips it as old. */
  when: number;
  /** `0003_snapshot.json`, in meta/. */
  snapshotFile: string;
}

/**
 * The entry drizzle-kit generate would append: the next idx, its file prefix (`migrations.prefix`:
 * index by default, or timestamp, supabase, unix, none, as drizzle-kit's prepareMigrationMetadata),
 * and a `when` after every existing one even when a clock ran ahead.
 */
export function nextEntry(journal: DrizzleJournal, name: string, now: Date, prefixMode = 'index'): NextEntry {
  const last = journal.entries.at(-1);
  const idx = last ? last.idx + 1 : 0;
  const prefix =
    prefixMode === 'index'
      ? String(idx).padStart(4, '0')
      : prefixMode === 'timestamp' || prefixMode === 'supabase'
        ? now.toISOString().replace('T', '').replaceAll('-', '').replaceAll(':', '').slice(0, 14)
        : prefixMode === 'unix'
          ? String(Math.floor(now.getTime() / 1000))
          : '';
  const when = Math.max(now.getTime(), ...journal.entries.map((e) => e.when + 1));
  return { idx, tag: `${prefix}_${name}`, when, snapshotFile: `${prefix}_snapshot.json` };
}
