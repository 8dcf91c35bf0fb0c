import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateDrizzleJson, generateMigration } from 'drizzle-kit/api';
import postgres from 'postgres';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { apply } from '../../src/executor/apply.js';
import { finalize } from '../../src/executor/finalize.js';
import { importUserModule } from '../../src/schema/import-module.js';
import { verify } from '../../src/verify/verify.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { TEAM_ROWS } from '../helpers/drizzle-project.js';
import { fixturePath } from '../helpers/fixtures.js';
import { plan } from '../helpers/plan.js';

/**
 * A database drizzle-kit made from the team's integer schema, migrated by uuidmig and finalized:
 * drizzle-kit then finds no difference between it and the database drizzle-kit itself creates from the
 * uuid schema. Both databases are read by `drizzle-kit pull` (its introspection) and compared by
 * `generateMigration` from drizzle-kit/api. (Comparing a pulled database with `generateDrizzleJson`
 * directly reports index noise even for a database drizzle-kit just created.) (`pushSchema` from
 * drizzle-kit/api cannot be used: it drops query parameters and fails to introspect any table with a
 * composite primary key.)
 */
let db: TestDatabase;
let dir: string;
beforeEach(async (ctx) => {
  db = await createTestDatabase(ctx.task.name);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uuidmig-kit-'));
});
afterEach(async () => {
  await db.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

// drizzle-kit 0.31's own CLI (node_modules/.bin/drizzle-kit may be the 1.0 alias's: both name their bin so).
const KIT = path.resolve(fixturePath(''), '..', '..', 'node_modules', 'drizzle-kit', 'bin.cjs');

/**
 * What drizzle-kit's introspection (`drizzle-kit pull`) reads from a database. It lists a composite
 * primary key's columns in table order (information_schema.constraint_column_usage has no ordinal):
 * compared as read, since the rewrite keeps every column where it stood.
 */
function pull(url: string): ReturnType<typeof generateDrizzleJson> {
  const out = fs.mkdtempSync(path.join(dir, 'pull-'));
  execFileSync(process.execPath, [KIT, 'pull', '--dialect', 'postgresql', '--url', url, '--out', out], {
    stdio: 'pipe',
  });
  return JSON.parse(fs.readFileSync(path.join(out, 'meta', '0000_snapshot.json'), 'utf8'));
}

async function createFromSchema(url: string, schema: Record<string, unknown>): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  for (const statement of await generateMigration(generateDrizzleJson({}), generateDrizzleJson(schema)))
    await sql.unsafe(statement);
  await sql.end();
}

test('after finalize, drizzle-kit sees no difference between the Drizzle schema and the database', async () => {
  const oldSchema = await importUserModule(fixturePath('drizzle-made', 'old.ts'), 'schema');
  const newSchema = await importUserModule(fixturePath('drizzle-made', 'schema.ts'), 'schema');
  await createFromSchema(db.url, oldSchema);
  await db.sql.unsafe(TEAM_ROWS);
  // What drizzle-kit itself makes from the uuid schema on an empty database: the end state to reach.
  const fresh = await createTestDatabase('kit_fresh');
  try {
    await createFromSchema(fresh.url, newSchema);
    const target = pull(fresh.url);
    expect((await generateMigration(pull(db.url), target)).length).toBeGreaterThan(0);

    const made = await plan({ schema: fixturePath('drizzle-made', 'schema.ts'), databaseUrl: db.url, out: dir });
    expect(made.blockers).toEqual([]);
    await apply({ plan: made.planFile!, databaseUrl: db.url });
    expect((await verify({ plan: made.planFile!, databaseUrl: db.url })).ok).toBe(true);
    const done = await finalize({ plan: made.planFile!, databaseUrl: db.url });
    expect(done.dropped.map((d) => `${d.table.name}.${d.column}`).sort()).toEqual([
      'comments.legacy_id',
      'comments.post_id__uuidmig_old',
      'post_tags.post_id__uuidmig_old',
      'posts.author_id__uuidmig_old',
      'posts.legacy_id',
      'users.invited_by__uuidmig_old',
      'users.legacy_id',
    ]);

    expect(await generateMigration(pull(db.url), target)).toEqual([]);
    expect(await generateMigration(target, pull(db.url))).toEqual([]);
    const [pk] = await db.sql`
      SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conname = 'post_tags_post_id_tag_code_pk'`;
    expect(pk!.def).toBe('PRIMARY KEY (post_id, tag_code)');
  } finally {
    await fresh.drop();
  }
  const rows = await db.sql`
    SELECT u.email, i.email AS inviter FROM users u LEFT JOIN users i ON i.id = u.invited_by ORDER BY u.email`;
  expect(rows.map((r) => [r.email, r.inviter])).toEqual([
    ['a@x', null],
    ['b@x', 'a@x'],
    ['c@x', 'b@x'],
  ]);
});
