import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readCatalog } from '../../src/catalog/read-catalog.js';
import type { CatalogSnapshot } from '../../src/model/types.js';
import { readPlanFile } from '../../src/render/plan-file.js';
import { runUuidmig } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { fixturePath, loadFixture } from '../helpers/fixtures.js';
import { type RowSnapshot, snapshotRows, translatedRows } from '../helpers/row-snapshot.js';

/**
 * A realistic forum (16 tables, two schemas, with data): `uuidmig plan` finds exactly the expected
 * conversions and references, blocks on orphans by default, and with --orphans null writes a
 * drizzle-kit migration folder that drizzle-orm's own migrator applies with every row kept.
 */
const schema = fixturePath('forum', 'schema');
let db: TestDatabase;
let out: string;
let before: RowSnapshot;
let catalogBefore: CatalogSnapshot;

beforeAll(async () => {
  db = await createTestDatabase('forum');
  await loadFixture(db.sql, 'forum');
  await db.sql`ANALYZE`;
  catalogBefore = await readCatalog(db.sql);
  before = await snapshotRows(db.sql, catalogBefore);
  out = fs.mkdtempSync(path.join(os.tmpdir(), 'uuidmig-forum-'));
});

afterAll(async () => {
  await db.drop();
  fs.rmSync(out, { recursive: true, force: true });
});

const EXPECTED_CONVERSIONS = [
  'admin.audit_log.id',
  'public.categories.id',
  'public.forums.id',
  'public.notifications.id',
  'public.posts.id',
  'public.roles.id',
  'public.threads.id',
  'public.transactions.id',
  'public.users.id',
];

const EXPECTED_REFERENCES = [
  ['admin.audit_log.actor_id -> public.users.id', 'foreign-key,drizzle-reference', 0],
  ['public.categories.parent_id -> public.categories.id', 'foreign-key,drizzle-reference', 0],
  ['public.follows.followee_id -> public.users.id', 'foreign-key,drizzle-reference', 0],
  ['public.follows.follower_id -> public.users.id', 'foreign-key,drizzle-reference', 0],
  ['public.forums.category_id -> public.categories.id', 'foreign-key,drizzle-reference', 0],
  ['public.forums.min_role_id -> public.roles.id', 'foreign-key,drizzle-reference', 0],
  ['public.notifications.post_id -> public.posts.id', 'drizzle-relation', 135],
  ['public.notifications.user_id -> public.users.id', 'foreign-key,drizzle-reference,drizzle-relation', 0],
  ['public.post_reactions.post_id -> public.posts.id', 'foreign-key,drizzle-reference', 0],
  ['public.post_reactions.user_id -> public.users.id', 'foreign-key,drizzle-reference', 0],
  ['public.posts.author_id -> public.users.id', 'foreign-key,drizzle-reference', 0],
  ['public.posts.reply_to_id -> public.posts.id', 'foreign-key,drizzle-reference', 0],
  ['public.posts.thread_id -> public.threads.id', 'foreign-key,drizzle-reference', 0],
  ['public.settings.owner_id -> public.users.id', 'foreign-key,drizzle-reference', 0],
  ['public.thread_tags.thread_id -> public.threads.id', 'foreign-key,drizzle-reference', 0],
  ['public.threads.author_id -> public.users.id', 'foreign-key,drizzle-reference', 0],
  ['public.threads.forum_id -> public.forums.id', 'foreign-key,drizzle-reference', 0],
  ['public.threads.last_post_id -> public.posts.id', 'drizzle-relation', 2],
  ['public.transactions.wallet_id -> public.wallets.user_id', 'foreign-key,drizzle-reference', 0],
  ['public.user_roles.role_id -> public.roles.id', 'foreign-key,drizzle-reference', 0],
  ['public.user_roles.user_id -> public.users.id', 'foreign-key,drizzle-reference', 0],
  ['public.users.invited_by -> public.users.id', 'foreign-key,drizzle-reference', 0],
  ['public.wallets.user_id -> public.users.id', 'foreign-key,drizzle-reference', 0],
];

describe('the forum schema', () => {
  test('orphans block the plan by default: exit 1, each reference with its count, nothing written', async () => {
    const r = await runUuidmig(['plan', '--schema', schema, '--database-url', db.url, '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      'public.notifications.post_id -> public.posts.id: 135 row(s) point at no public.posts row',
    );
    expect(r.stdout).toContain('public.threads.last_post_id -> public.posts.id: 2 row(s) point at no public.posts row');
    expect(r.stderr).toBe('uuidmig: The plan is blocked by 2 problem(s) listed above; nothing was written.\n');
    expect(fs.existsSync(path.join(out, 'plans'))).toBe(false);
  });

  test('--orphans null: exactly the expected conversions and references, and a valid plan on disk', async () => {
    const r = await runUuidmig([
      'plan',
      '--schema',
      schema,
      '--database-url',
      db.url,
      '--out',
      out,
      '--orphans',
      'null',
      '--json',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const output = JSON.parse(r.stdout);
    const plan = readPlanFile(output.planFile);
    expect(plan.conversions.map((c) => `${c.table.schema}.${c.table.name}.${c.column}`)).toEqual(EXPECTED_CONVERSIONS);
    expect(plan.references.map((x) => [x.id, x.sources.join(','), x.orphans])).toEqual(EXPECTED_REFERENCES);
    expect(plan.conversions.find((c) => c.table.name === 'users')!.estimatedRows).toBe(300);
    expect(plan.components.map((c) => c.id)).toEqual(['public.users']);
    expect(plan.source.catalogHash).toMatch(/^[0-9a-f]{64}$/);
    expect(plan.source.schemaHash).toMatch(/^[0-9a-f]{64}$/);
    expect(plan.source.schemaFiles.map((f) => path.basename(f))).toEqual([
      'admin.ts',
      'economy.ts',
      'forum.ts',
      'relations.ts',
      'users.ts',
    ]);
    expect(path.basename(output.planFile)).toMatch(/^\d{14}_uuid_keys\.json$/);
    const journal = JSON.parse(fs.readFileSync(path.join(output.migrations, 'meta', '_journal.json'), 'utf8'));
    expect(journal.entries.map((e: { tag: string }) => e.tag)).toEqual(['0000_rewrite_users', '0001_validate_users']);
    const swap = fs.readFileSync(path.join(output.migrations, '0000_rewrite_users.sql'), 'utf8');
    expect(swap).toContain('--> statement-breakpoint');
    expect(swap).toContain(
      '-- lock: ACCESS EXCLUSIVE on public.users (~300 rows): legacy_id will keep the integers of id (no row written',
    );
  });

  test("drizzle-orm's migrator runs the written folder, and every row keeps its parent", async () => {
    const plans = fs.readdirSync(path.join(out, 'plans'));
    const plan = readPlanFile(path.join(out, 'plans', plans[0]!));
    await migrate(drizzle(db.sql), { migrationsFolder: path.join(out, 'migrations', plan.id) });
    const after = await translatedRows(db.sql, catalogBefore, plan);
    expect(Object.fromEntries(after)).toEqual(Object.fromEntries(before));
    // The orphans were set to NULL and their old values kept.
    const [orphans] = await db.sql`
      SELECT count(*)::int AS n, count(post_id)::int AS linked FROM notifications WHERE post_id_legacy IS NOT NULL`;
    expect(orphans).toEqual({ n: 135, linked: 0 });
    // The deferrable foreign key kept its settings, and the view reads the new key.
    const [fk] = await db.sql`
      SELECT condeferrable, condeferred, pg_get_constraintdef(oid) AS def FROM pg_constraint
      WHERE conname = 'posts_thread_id_fkey'`;
    expect(fk).toEqual({
      condeferrable: true,
      condeferred: true,
      def: 'FOREIGN KEY (thread_id) REFERENCES threads(id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED',
    });
    const [view] = await db.sql`
      SELECT format_type(atttypid, atttypmod) AS type FROM pg_attribute
      WHERE attrelid = 'thread_stats'::regclass AND attname = 'thread_id'`;
    expect(view!.type).toBe('uuid');
    const [stats] = await db.sql`SELECT sum(posts)::int AS posts FROM thread_stats`;
    expect(stats!.posts).toBe(1998);
  });
});
