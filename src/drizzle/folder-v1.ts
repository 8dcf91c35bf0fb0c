import fs from 'node:fs';
import path from 'node:path';
import type { FolderEntry } from './folder.js';

/**
 * drizzle-kit 1.0's layout: one folder per migration, `<YYYYMMDDHHMMSS>_<name>/migration.sql` and its
 * `snapshot.json`, no journal. drizzle-orm's migrator runs every folder holding a `migration.sql`,
 * sorted by name, whose name its table does not hold yet; it records the folder name's time (UTC, to
 * the second) as `created_at`.
 */
export function folderEntries(folder: string): FolderEntry[] {
  if (!fs.existsSync(folder) || !fs.statSync(folder).isDirectory()) return [];
  return fs
    .readdirSync(folder, { withFileTypes: true })
    .filter((d) => d.isDirectory() && fs.existsSync(path.join(folder, d.name, 'migration.sql')))
    .map((d) => d.name)
    .sort()
    .map((name) => ({
      tag: name,
      when: folderMillis(name),
      sqlFile: path.join(folder, name, 'migration.sql'),
      snapshotFile: path.join(folder, name, 'snapshot.json'),
    }));
}

/** The time a folder name starts with, as drizzle-orm's migrator reads it (UTC; 0 when it has none). */
export function folderMillis(name: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})/.exec(name);
  if (!m) return 0;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  return Date.UTC(y, mo - 1, d, h, mi, s);
}

const stamp = (millis: number): string => new Date(millis).toISOString().replace(/[-:T]/g, '').slice(0, 14);

/**
 * The next migration's folder name, as drizzle-kit generate makes it: the time now (UTC), but at least
 * a second after the last folder's, so it sorts after every one of them; then the name.
 */
export function nextFolderName(entries: FolderEntry[], name: string, now: Date): { tag: string; when: number } {
  const when = Math.max(Math.floor(now.getTime() / 1000) * 1000, ...entries.map((e) => e.when + 1000));
  return { tag: `${stamp(when)}_${name}`, when };
}
