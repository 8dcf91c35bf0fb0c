import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { readCatalog } from '../../src/catalog/read-catalog.js';
import { catalogHash } from '../../src/planner/plan-migration.js';
import { runUuidmig } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { fixturePath, loadFixture } from '../helpers/fixtures.js';
import { plan } from '../helpers/plan.js';

/** What cannot follow its column to uuid is refused by plan, each object named, before anything runs. */
let db: TestDatabase;
let dir: string;
beforeEach(async (ctx) => {
  db = await createTestDatabase(ctx.task.name);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uuidmig-refusals-'));
  await loadFixture(db.sql, 'refusals');
});
afterEach(async () => {
  await db.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('each object that cannot become uuid-ready is refused in one sentence', async () => {
  const result = await plan({ schema: fixturePath('refusals', 'schema.ts'), databaseUrl: db.url, write: false });
  expect(result.blockers.map((b) => [b.kind, `${b.table.schema}.${b.table.name}`, b.columns])).toEqual([
    ['partition-key', 'public.metrics', ['id']],
    ['policy-elsewhere', 'public.notes', []],
    ['generated-column', 'public.users', ['code']],
    ['not-uuid-ready', 'public.posts', ['author_id']],
    ['not-uuid-ready', 'public.posts', ['author_id']],
    ['not-uuid-ready', 'public.posts', ['author_id']],
    ['not-uuid-ready', 'public.posts', ['author_id']],
    ['not-uuid-ready', 'public.posts', ['author_id']],
  ]);
  expect(result.blockers.map((b) => b.message)).toEqual([
    'public.metrics is partitioned by id, which becomes uuid, ' +
      'and partition bounds cannot change type; repartition by another column first.',
    'Policy notes_if_users on public.notes reads public.users.id, which becomes uuid, ' +
      'but its table does not convert, so uuidmig does not rebuild it; ' +
      'drop the policy before the migration and create it again after.',
    'Generated column public.users.code is computed from id, which becomes uuid, ' +
      'and its expression cannot be rewritten safely; drop it before the migration and add it back after.',
    'Check constraint posts_author_positive (CHECK ((author_id > 0))) on public.posts ' +
      'cannot hold once author_id is uuid (operator does not exist: uuid > integer); ' +
      'drop or rewrite it before the migration.',
    'Index posts_recent_authors (CREATE INDEX posts_recent_authors ON public.posts USING btree (author_id) ' +
      'WHERE (author_id > 100)) on public.posts cannot hold once author_id is uuid ' +
      '(operator does not exist: uuid > integer); drop or rewrite it before the migration.',
    'Policy posts_mine on public.posts cannot hold once author_id is uuid ' +
      '(operator does not exist: uuid = integer); drop or rewrite it before the migration (dropped, it leaves ' +
      'the table open until it is back: rewritten to compare as text, which holds on integer and uuid alike, ' +
      'author_id::text = ..., it stays in force throughout).',
    'Trigger posts_positive (CREATE TRIGGER posts_positive BEFORE INSERT ON public.posts FOR EACH ROW ' +
      'WHEN ((new.author_id > 0)) EXECUTE FUNCTION public.noop()) on public.posts cannot hold once author_id is uuid ' +
      '(operator does not exist: uuid > integer); drop or rewrite it before the migration.',
    'Rule posts_log on public.posts cannot hold once author_id is uuid ' +
      '(column "author" is of type integer but expression is of type uuid); drop or rewrite it before the migration, ' +
      'or, if it copies the value into an integer column of another table that holds the same ids, convert that ' +
      'column with it: --reference <table>.<column>=<parent table>.<key> (see the likely references among the ' +
      'warnings).',
  ]);
  expect(result.plan.warnings.map((w) => w.message)).toEqual([
    'Function public.posts_by(author integer): its body mentions posts.author_id; ' +
      'uuidmig cannot rewrite function bodies, so review it for uuid keys before apply.',
    'Function public.user_name(user_id integer): its body mentions users.id ' +
      'and it takes integer id parameter(s) user_id; ' +
      'uuidmig cannot rewrite function bodies, so review it for uuid keys before apply.',
    'Trigger posts_require_author on public.posts calls public.require_author(), which reads NEW/OLD.author_id; ' +
      'those become uuid and uuidmig cannot rewrite function bodies, so review it before apply.',
  ]);
});

test('through the CLI: exit 1, nothing written, the database untouched', async () => {
  const before = catalogHash(await readCatalog(db.sql));
  const r = await runUuidmig([
    'plan',
    '--schema',
    fixturePath('refusals', 'schema.ts'),
    '--database-url',
    db.url,
    '--out',
    dir,
  ]);
  expect(r.code).toBe(1);
  expect(r.stderr).toBe('uuidmig: The plan is blocked by 8 problem(s) listed above; nothing was written.\n');
  expect(r.stdout).toContain('Blocking problems (nothing was written)');
  expect(fs.readdirSync(dir)).toEqual([]);
  expect(catalogHash(await readCatalog(db.sql))).toBe(before);
  const [temp] = await db.sql`SELECT count(*)::int AS n FROM pg_class WHERE relname LIKE 'uuidmig_probe_%'`;
  expect(temp!.n).toBe(0);
});
