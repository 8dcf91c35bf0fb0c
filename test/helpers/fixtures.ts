import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type postgres from 'postgres';

export const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');

export const fixturePath = (name: string, file = ''): string => path.join(FIXTURES, name, file);

/** Create a fixture's tables and rows (its db.sql) in a test database. */
export async function loadFixture(sql: postgres.Sql, name: string): Promise<void> {
  await sql.unsafe(fs.readFileSync(fixturePath(name, 'db.sql'), 'utf8'));
}

/**
 * Compare with a committed golden file; `UPDATE_GOLDEN=1 npm test` rewrites them after a deliberate
 * change (then read the diff before committing it).
 */
export function readGolden(name: string, file: string, actual: string): string {
  const target = fixturePath(name, path.join('expected', file));
  // Where a server version prints differently (pg_get_viewdef in 16+, NULLS NOT DISTINCT from 15), a
  // file named for that version (plan.pg14.sql) holds what it prints.
  const version = process.env.UUIDMIG_TEST_PG;
  const versioned = version && version !== '15' ? target.replace(/(\.[a-z]+)$/, `.pg${version}$1`) : target;
  if (process.env.UPDATE_GOLDEN === '1' || !fs.existsSync(target)) {
    fs.mkdirSync(path.dirname(target), { recursive: true });
    if (versioned === target || !fs.existsSync(target)) fs.writeFileSync(target, actual);
    else if (fs.readFileSync(target, 'utf8') !== actual) fs.writeFileSync(versioned, actual);
    else fs.rmSync(versioned, { force: true });
  }
  return fs.readFileSync(fs.existsSync(versioned) ? versioned : target, 'utf8');
}
