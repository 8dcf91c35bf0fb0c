import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateDrizzleJson, generateMigration } from 'drizzle-kit/api';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { plan } from '../../src/api/plan.js';
import { init } from '../../src/init/init.js';
import type { Plan } from '../../src/planner/plan-schema.js';
import { importUserModule } from '../../src/schema/import-module.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { fixturePath, loadFixture } from '../helpers/fixtures.js';

/**
 * `uuidmig init` on the integer schema a team has, then `plan` on what it wrote: the plan finds the
 * same key conversions and references, and plans the same statements, as with the uuid schema written
 * by hand. 0 hand edits between init and plan.
 */
const ROOT = path.resolve(fixturePath(''), '..', '..');
let work: string;
beforeAll(() => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'uuidmig-init-plan-'));
  // The copies import drizzle-orm from their own folder, as a team's schema does.
  const drizzleOrm = path.join(ROOT, 'node_modules', 'drizzle-orm');
  fs.mkdirSync(path.join(work, 'node_modules'));
  fs.symlinkSync(drizzleOrm, path.join(work, 'node_modules', 'drizzle-orm'), 'dir');
});
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** The integer schema a uuid schema was made from: keys serial, the columns that point at them integer. */
const integerForm = (uuidSchema: string) =>
  uuidSchema
    .replaceAll("uuid('id').primaryKey().defaultRandom()", "serial('id').primaryKey()")
    .replaceAll('uuid(', 'integer(')
    .replace(/\buuid\b(?!\()/, 'integer, serial');

/** A folder of `work` holding these files. */
function folder(name: string, files: Record<string, string>): string {
  const dir = path.join(work, name);
  fs.mkdirSync(dir);
  for (const [file, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, file), text);
  return dir;
}

const planFor = async (schema: string | string[], databaseUrl: string) => {
  const made = await plan({ schema, databaseUrl, orphans: 'null', skipDdlCheck: true, write: false });
  expect(made.blockers).toEqual([]);
  return made.plan;
};

/** What a plan found and what it would run, without what names the schema files. */
const found = (p: Plan) => ({
  conversions: p.conversions,
  references: p.references,
  mistakes: p.mistakes,
  warnings: p.warnings.filter((w) => w.kind !== 'ddl-check-skipped').map((w) => w.message),
  stages: p.stages.map((s) => s.steps.map((step) => step.sql)),
});

describe('the forum: five files, relations() in a file of its own, a second schema', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('init_forum');
    await loadFixture(db.sql, 'forum');
    await db.sql`ANALYZE`;
  });
  afterAll(() => db.drop());

  test('plan on what init wrote finds every conversion and reference of the hand-written uuid schema', async () => {
    const handWritten = fixturePath('forum', 'schema');
    const files = Object.fromEntries(
      fs.readdirSync(handWritten).map((f) => [f, integerForm(fs.readFileSync(path.join(handWritten, f), 'utf8'))]),
    );
    const dir = folder('forum', files);
    const before = await planFor(dir, db.url);
    expect(before.conversions).toEqual([]); // the integer schema asks for nothing

    const result = init({ schema: dir });
    expect([result.keys.length, result.references.length]).toEqual([9, 23]);
    const wanted = await planFor(handWritten, db.url);
    const made = await planFor(dir, db.url);
    expect(wanted.references).toHaveLength(23);
    expect(found(made)).toEqual(found(wanted));
  });
});

describe('a schema drizzle-kit made the database from', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('init_kit');
    const old = await importUserModule(fixturePath('drizzle-made', 'old.ts'), 'schema');
    for (const statement of await generateMigration(generateDrizzleJson({}), generateDrizzleJson(old)))
      await db.sql.unsafe(statement);
    await db.sql.unsafe(`
      INSERT INTO users (email, invited_by) VALUES ('a@x', NULL), ('b@x', 1);
      INSERT INTO posts (author_id, title) VALUES (1, 'one'), (2, 'two');
      INSERT INTO comments (post_id, body) VALUES (1, 'hi'), (NULL, 'loose');
    `);
  });
  afterAll(() => db.drop());

  test('its integer schema, after init, plans exactly as the uuid schema written by hand', async () => {
    const dir = folder('kit', { 'schema.ts': fs.readFileSync(fixturePath('drizzle-made', 'old.ts'), 'utf8') });
    init({ schema: dir });
    const made = await planFor(dir, db.url);
    expect(made.conversions.map((c) => c.table.name)).toEqual(['comments', 'posts', 'users']);
    expect(found(made)).toEqual(found(await planFor(fixturePath('drizzle-made', 'schema.ts'), db.url)));
  });

  test('--keep-legacy: plan takes each declared legacy_id as the column it keeps the old key in', async () => {
    const dir = folder('kit-legacy', { 'schema.ts': fs.readFileSync(fixturePath('drizzle-made', 'old.ts'), 'utf8') });
    init({ schema: dir, keepLegacy: true });
    const made = await planFor(dir, db.url);
    const wanted = await planFor(fixturePath('drizzle-made', 'schema.ts'), db.url);
    expect(made.conversions).toEqual(wanted.conversions.map((c) => ({ ...c, legacyDeclared: true })));
    expect(made.references).toEqual(wanted.references);
    expect(made.warnings).toEqual(wanted.warnings);
  });

  test('what `drizzle-kit pull` reads from it, after init, converts every key and every foreign key', async () => {
    const out = path.join(work, 'pulled');
    const kit = path.join(ROOT, 'node_modules', 'drizzle-kit', 'bin.cjs'); // 0.31's, not the 1.0 alias's
    execFileSync(process.execPath, [kit, 'pull', '--dialect', 'postgresql', '--url', db.url, '--out', out], {
      stdio: 'pipe',
    });
    const schema = ['schema.ts', 'relations.ts'].map((f) => path.join(out, f));
    expect(fs.readFileSync(schema[0]!, 'utf8')).toContain('op("int4_ops")');
    const result = init({ schema });
    expect(result.opclasses).toBeGreaterThan(0);
    expect(fs.readFileSync(schema[0]!, 'utf8')).not.toMatch(/serial\(|int4_ops/);
    const made = await planFor(schema, db.url);
    const wanted = await planFor(fixturePath('drizzle-made', 'schema.ts'), db.url);
    expect(made.conversions.map((c) => [c.table.name, c.column])).toEqual(
      wanted.conversions.map((c) => [c.table.name, c.column]),
    );
    // The pulled schema knows the database's foreign keys; comments.post_id is known only to the hand-written one.
    const withKey = (p: Plan) => p.references.filter((r) => r.constraint).map((r) => r.id);
    expect(withKey(made)).toEqual(withKey(wanted));
    expect(made.references.map((r) => r.id)).not.toContain('public.comments.post_id -> public.posts.id');
  });
});
