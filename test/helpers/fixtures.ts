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
  // Where a server version prints differently (pg_get_viewdef from 16, NULLS NOT DISTINCT from 15),
  // a file named for the first version that prints it so (plan.pg16.sql) holds that text, and later
  // versions use it too; 15 is the default and never has a file of its own.
  const version = Number(process.env.UUIDMIG_TEST_PG ?? '15');
  const named = (v: number) => target.replace(/(\.[a-z]+)$/, `.pg${v}$1`);
  const chain =
    version >= 16 ? [...Array(version - 15).keys()].map((i) => named(version - i)) : version === 14 ? [named(14)] : [];
  const inherited = () => [...chain, target].find((f) => fs.existsSync(f));
  if (process.env.UPDATE_GOLDEN !== '1') {
    // A missing golden file is a failure, never a pass: write it deliberately, then read it.
    const found = inherited();
    if (!found)
      throw new Error(`No golden file ${target}: run UPDATE_GOLDEN=1 npm test, then read it before committing.`);
    return fs.readFileSync(found, 'utf8');
  }
  fs.mkdirSync(path.dirname(target), { recursive: true });
  if (!chain.length || !fs.existsSync(target)) fs.writeFileSync(target, actual);
  else {
    const own = chain[0]!;
    fs.rmSync(own, { force: true });
    const fallback = inherited()!;
    if (fs.readFileSync(fallback, 'utf8') !== actual) fs.writeFileSync(own, actual);
  }
  return fs.readFileSync(inherited()!, 'utf8');
}
