import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { readCatalog } from '../../src/catalog/read-catalog.js';
import { apply } from '../../src/executor/apply.js';
import { openRollback, rollback } from '../../src/executor/rollback.js';
import type { Plan, Step } from '../../src/planner/plan-schema.js';
import { verify } from '../../src/verify/verify.js';
import { ddlCheckArgs, runUuidmig } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { fixturePath, loadFixture } from '../helpers/fixtures.js';
import { plan } from '../helpers/plan.js';
import { snapshotRows, translatedRows } from '../helpers/row-snapshot.js';

/**
 * Rollback of an online plan that never swapped: stopped by `--until build`, in the middle of a build
 * (a shadow foreign key added NOT VALID, not yet validated) or after the backfill. It drops what expand
 * and build made, the shadow foreign keys before the shadow keys they use, and leaves the schema and
 * every row as they were before plan; apply then runs the same plan again.
 */
const pgCore = path.join(path.dirname(createRequire(import.meta.url).resolve('drizzle-orm')), 'pg-core/index.js');
let db: TestDatabase;
let dir: string;
beforeEach(async (ctx) => {
  db = await createTestDatabase(ctx.task.name);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uuidmig-online-cleanup-'));
});
afterEach(async () => {
  await db.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** The user's report: books reference authors, both convert. */
function authorsAndBooks(): Promise<string> {
  const schema = path.join(dir, 'schema.ts');
  fs.writeFileSync(
    schema,
    [
      `import { integer, pgTable, text, uuid } from ${JSON.stringify(pgCore)};`,
      "export const authors = pgTable('authors', { id: uuid('id').primaryKey().defaultRandom(), name: text('name') });",
      "export const books = pgTable('books', { id: uuid('id').primaryKey().defaultRandom(), " +
        "authorId: uuid('author_id').notNull().references(() => authors.id) });",
    ].join('\n'),
  );
  return db.sql
    .unsafe(
      `CREATE TABLE authors (id serial PRIMARY KEY, name text);
       CREATE TABLE books (id serial PRIMARY KEY, author_id int NOT NULL REFERENCES authors (id));
       INSERT INTO authors (name) SELECT 'author ' || g FROM generate_series(1, 30) g;
       INSERT INTO books (author_id) SELECT 1 + g % 30 FROM generate_series(1, 200) g;`,
    )
    .then(() => schema);
}

/** What pg_dump --schema-only would show of the application's objects, one line each, and the sync functions. */
async function schemaText(): Promise<string[]> {
  const rows = await db.sql<{ o: string }[]>`
    WITH ns AS (SELECT oid FROM pg_namespace
      WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast', 'uuidmig'))
    SELECT 'relation ' || c.oid::regclass::text || ' ' || c.relkind::text AS o FROM pg_class c
      WHERE c.relnamespace IN (SELECT oid FROM ns)
    UNION ALL
    SELECT 'column ' || a.attrelid::regclass || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
        || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END || ' ' || coalesce(pg_get_expr(d.adbin, d.adrelid), '')
      FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
      LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
      WHERE c.relnamespace IN (SELECT oid FROM ns) AND c.relkind <> 'i' AND a.attnum > 0 AND NOT a.attisdropped
    UNION ALL
    SELECT 'constraint ' || conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid)
        || CASE WHEN convalidated THEN '' ELSE ' (not valid)' END
      FROM pg_constraint WHERE connamespace IN (SELECT oid FROM ns)
    UNION ALL
    SELECT 'index ' || pg_get_indexdef(indexrelid) || CASE WHEN indisvalid THEN '' ELSE ' (invalid)' END
      FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relnamespace IN (SELECT oid FROM ns)
    UNION ALL
    SELECT 'trigger ' || tgrelid::regclass || ' ' || tgname FROM pg_trigger WHERE NOT tgisinternal
    UNION ALL
    SELECT 'function ' || p.oid::regprocedure::text FROM pg_proc p
      WHERE p.pronamespace IN (SELECT oid FROM ns) OR p.proname LIKE 'sync\\_%'
    ORDER BY 1`;
  return rows.map((r) => r.o);
}

/** Where a run stops: the last step that ran before the user (or a crash) stopped it. */
const stops = {
  'after expand and backfill': (p: Plan) => {
    const build = p.stages.findIndex((s) => s.kind === 'build');
    return p.stages[build - 1]!.steps.at(-1)!.id;
  },
  // A shadow foreign key added NOT VALID, on a shadow key built before it, not yet validated.
  'mid-build': (p: Plan) => {
    const builds = p.stages.filter((s) => s.kind === 'build');
    const fk = builds.flatMap((s) => s.steps).find((s) => /ADD CONSTRAINT .* FOREIGN KEY/.test(s.sql));
    const first = builds[0]!.steps;
    return (fk ?? first[Math.floor(first.length / 2)]!).id;
  },
  '--until build': null,
} as const;

class Stopped extends Error {}

async function stoppedApply(file: string, made: Plan, stop: keyof typeof stops): Promise<void> {
  const at = stops[stop];
  if (!at) {
    expect((await apply({ plan: file, databaseUrl: db.url, until: 'build' })).stoppedBeforeSwap).toBe(true);
    return;
  }
  const last = at(made);
  const onStep = (s: Step) => {
    if (s.id === last) throw new Stopped(s.id);
  };
  await expect(apply({ plan: file, databaseUrl: db.url }, { onStep })).rejects.toBeInstanceOf(Stopped);
}

async function rollbackBeforeSwap(schema: string, stop: keyof typeof stops): Promise<void> {
  const made = await plan({ schema, databaseUrl: db.url, out: dir, strategy: 'online', orphans: 'null' });
  expect(made.blockers).toEqual([]);
  const file = made.planFile!;
  const catalog = await readCatalog(db.sql);
  const rows = Object.fromEntries(await snapshotRows(db.sql, catalog));
  const structure = async () => (await readCatalog(db.sql)).tables.map((t) => ({ ...t, rowEstimate: null }));
  const before = { text: await schemaText(), tables: await structure() };

  await stoppedApply(file, made.plan, stop);
  expect(await schemaText()).not.toEqual(before.text);

  const session = await openRollback({ plan: file, databaseUrl: db.url });
  const descriptions = session.stages.flatMap((s) => s.steps.map((st) => st.description));
  await session.close();
  expect(descriptions.filter((d) => /interrupted run/.test(d))).toEqual([]);
  expect(descriptions.some((d) => /__uuidmig_new, added by apply before its swap$/.test(d))).toBe(true);

  if (stop === '--until build') {
    // A rollback that stopped in its cleanup (status: rollback was interrupted) is run again, and goes on.
    const onStep = (s: Step) => {
      if (s.description.endsWith('built for the swap')) throw new Stopped(s.id);
    };
    await expect(rollback({ plan: file, databaseUrl: db.url }, { onStep })).rejects.toBeInstanceOf(Stopped);
  }
  const undone = await rollback({ plan: file, databaseUrl: db.url });
  expect(undone.ok).toBe(true);
  expect(await schemaText()).toEqual(before.text);
  expect(await structure()).toEqual(before.tables);
  expect(Object.fromEntries(await snapshotRows(db.sql, catalog))).toEqual(rows);
  // verify compares with what apply recorded after its last stage: a run stopped by a failure recorded none.
  if (stop === '--until build') expect((await verify({ plan: file, databaseUrl: db.url })).ok).toBe(true);

  // The same plan applies again, the whole way.
  const again = await apply({ plan: file, databaseUrl: db.url });
  expect(again.ok).toBe(true);
  expect(Object.fromEntries(await translatedRows(db.sql, catalog, made.plan))).toEqual(rows);
}

describe('online rollback before the swap leaves the database as before plan', () => {
  for (const stop of Object.keys(stops) as (keyof typeof stops)[]) {
    test(`authors and books, ${stop}`, async () => rollbackBeforeSwap(await authorsAndBooks(), stop), 120_000);
  }
  for (const fixture of ['forum', 'self-reference', 'partitioned', 'constraints-indexes']) {
    for (const stop of ['mid-build', '--until build'] as const) {
      test(`${fixture}, ${stop}`, async () => {
        await loadFixture(db.sql, fixture);
        const schema = fixture === 'forum' ? fixturePath('forum', 'schema') : fixturePath(fixture, 'schema.ts');
        await rollbackBeforeSwap(schema, stop);
      }, 120_000);
    }
  }
});

test('through the CLI, as the user ran it: plan, apply --until build, rollback, status, apply', async () => {
  const schema = await authorsAndBooks();
  const rows = Object.fromEntries(await snapshotRows(db.sql, await readCatalog(db.sql)));
  const before = await schemaText();
  const uuidmig = (...args: string[]) => runUuidmig([...args, '--database-url', db.url], { cwd: dir });
  const planned = await uuidmig('plan', '--schema', schema, '--strategy', 'online', ...ddlCheckArgs());
  expect(planned.code, planned.stderr).toBe(0);
  const built = await uuidmig('apply', '--until', 'build', '--yes');
  expect(built.code, built.stderr).toBe(0);
  const undone = await uuidmig('rollback', '--yes');
  expect(undone.code, undone.stdout + undone.stderr).toBe(0);
  expect(undone.stdout).not.toMatch(/interrupted/);
  expect(await schemaText()).toEqual(before);
  expect(Object.fromEntries(await snapshotRows(db.sql, await readCatalog(db.sql)))).toEqual(rows);
  expect((await uuidmig('status')).stdout).not.toMatch(/rollback was interrupted/);
  const again = await uuidmig('apply', '--yes');
  expect(again.code, again.stderr).toBe(0);
}, 120_000);
