import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { plan as planWithoutCheckUrl } from '../../src/api/plan.js';
import { readCatalog } from '../../src/catalog/read-catalog.js';
import { startEmbeddedPostgres } from '../../src/db/embedded.js';
import { catalogHash } from '../../src/planner/plan-migration.js';
import { runUuidmig } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { fixturePath, loadFixture } from '../helpers/fixtures.js';
import { plan } from '../helpers/plan.js';
import { ensureTestServer } from '../helpers/test-servers.js';

/** plan proves its statements on an empty copy: what would fail halfway through apply is refused first. */
let db: TestDatabase;
let dir: string;
beforeEach(async (ctx) => {
  db = await createTestDatabase(ctx.task.name);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uuidmig-ddl-'));
});
afterEach(async () => {
  await db.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const schema = fixturePath('self-reference', 'schema.ts');

test('a view comparing a converting key with an integer column is refused, named, nothing written', async () => {
  await loadFixture(db.sql, 'self-reference');
  await db.sql`CREATE TABLE scores (user_ref integer NOT NULL, points integer NOT NULL)`;
  await db.sql`CREATE VIEW user_scores AS SELECT u.name, s.points FROM users u JOIN scores s ON s.user_ref = u.id`;
  const before = catalogHash(await readCatalog(db.sql));
  const args = ['plan', '--schema', schema, '--database-url', db.url, '--name', 'view_refusal'];
  const r = await runUuidmig(args, { cwd: dir });
  expect(r.code).toBe(1);
  expect(r.stdout).toMatch(
    new RegExp(
      /On an empty copy of this database, apply failed at step 0000\.\d+ \(recreate view user_scores on the uuid /
        .source +
        /columns\) of stage 0000 rewrite_users: operator does not exist: integer = uuid\. The statement: /.source +
        /CREATE VIEW "public"\."user_scores" AS/.source,
    ),
  );
  expect(r.stderr).toBe('uuidmig: The plan is blocked by 1 problem(s) listed above; nothing was written.\n');
  expect(fs.existsSync(path.join(dir, 'plans'))).toBe(false);
  expect(catalogHash(await readCatalog(db.sql))).toBe(before);
  const [scratch] =
    await db.sql`SELECT count(*)::int AS n FROM pg_database WHERE datname LIKE 'uuidmig_ddl_view_refusal_%'`;
  expect(scratch!.n).toBe(0);
});

test('a Drizzle reference onto a converting key, where the foreign key says otherwise, is refused', async () => {
  await loadFixture(db.sql, 'undeclared-references');
  await db.sql`CREATE TABLE archived_posts (id integer PRIMARY KEY)`;
  await db.sql`ALTER TABLE posts ADD COLUMN quoted_id integer REFERENCES archived_posts (id)`;
  const result = await plan({
    schema: fixturePath('undeclared-references', 'conflict-schema.ts'),
    databaseUrl: db.url,
    write: false,
    reference: ['forums.last_post_id=posts.id', 'users.active_frame=frames.id'],
    notAReference: ['likes.content_id', 'orders.external_id'],
  });
  expect(result.blockers.map((b) => [b.kind, b.table.name])).toEqual([['ddl-check', 'posts']]);
  expect(result.blockers[0]!.message).toMatch(/rebuild foreign key posts_quoted_id_fkey.*cannot be implemented/);
});

test('--skip-ddl-check writes the plan with a warning first', async () => {
  await loadFixture(db.sql, 'self-reference');
  const result = await plan({ schema, databaseUrl: db.url, out: dir, skipDdlCheck: true });
  expect(result.ddlCheck).toBeNull();
  expect(result.planFile).not.toBeNull();
  expect(result.plan.warnings[0]!.kind).toBe('ddl-check-skipped');
});

test('a plan that passes says where and how long the check ran', async () => {
  await loadFixture(db.sql, 'self-reference');
  const r = await runUuidmig(['plan', '--schema', schema, '--database-url', db.url, '--name', 'passes'], { cwd: dir });
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toMatch(
    /Every statement ran on an empty copy of this database \(a scratch database on 127\.0\.0\.1:\d+\): apply, then /,
  );
  expect(r.stdout).toContain('rollback (which left the schema exactly as it found it) and finalize, in ');
  // The scratch database and the twin finalize ran on are both gone.
  const [left] = await db.sql`SELECT count(*)::int AS n FROM pg_database WHERE datname LIKE 'uuidmig_ddl_passes%'`;
  expect(left!.n).toBe(0);
});

test('rollback and finalize run side by side; apply again only when rollback did not restore the catalog', async () => {
  await loadFixture(db.sql, 'self-reference');
  const restored = await plan({ schema, databaseUrl: db.url, write: false });
  expect(restored.blockers).toEqual([]);
  expect(restored.ddlCheck!.passes).toEqual(['apply', 'rollback', 'finalize']);
  // An event trigger (copied with the schema) that leaves a table behind on the copy's first ALTER TABLE:
  // the catalog after rollback is not the one apply found, so apply again and finalize run on it.
  await db.sql.unsafe(`CREATE FUNCTION leave_marker() RETURNS event_trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF current_database() LIKE 'uuidmig\\_ddl\\_%' THEN
        CREATE TABLE IF NOT EXISTS public.ddl_marker (n integer);
      END IF;
    END $$`);
  await db.sql.unsafe(
    `CREATE EVENT TRIGGER leave_marker ON ddl_command_end WHEN TAG IN ('ALTER TABLE') EXECUTE FUNCTION leave_marker()`,
  );
  try {
    const changed = await plan({ schema, databaseUrl: db.url, write: false });
    expect(changed.blockers).toEqual([]);
    expect(changed.ddlCheck!.passes).toEqual(['apply', 'rollback', 'finalize', 'apply again', 'finalize']);
  } finally {
    await db.sql.unsafe('DROP EVENT TRIGGER leave_marker');
  }
});

test('on the embedded server: the twin is made there too, and nothing of the check is left', async () => {
  await loadFixture(db.sql, 'self-reference');
  const result = await planWithoutCheckUrl({ schema, databaseUrl: db.url, write: false });
  expect(result.blockers).toEqual([]);
  expect(result.ddlCheck!.where).toMatch(/^an embedded PostgreSQL 15\./);
  expect(result.ddlCheck!.passes).toEqual(['apply', 'rollback', 'finalize']);
});

test('a plan that stops before the check (a reference it cannot read) drops the copy made meanwhile', async () => {
  await loadFixture(db.sql, 'self-reference');
  const options = {
    schema,
    databaseUrl: db.url,
    write: false,
    name: 'stops_early',
    reference: ['users.nope=users.id'],
  };
  await expect(plan(options)).rejects.toThrow(/nope/);
  const [left] =
    await db.sql`SELECT count(*)::int AS n FROM pg_database WHERE datname LIKE 'uuidmig\\_ddl\\_stops\\_early%'`;
  expect(left!.n).toBe(0);
});

test("a server newer than this machine's pg_dump: the check cannot run, and plan says so (exit 2)", async () => {
  const newer = await startEmbeddedPostgres({ binariesPackage: ensureTestServer(17) });
  const sql = postgres(newer.url, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(fs.readFileSync(fixturePath('self-reference', 'db.sql'), 'utf8'));
    const r = await runUuidmig(['plan', '--schema', schema, '--database-url', newer.url], {
      cwd: dir,
      env: { UUIDMIG_DDL_CHECK_URL: newer.url },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^uuidmig: pg_dump 15\.\d+ is older than the source server \(PostgreSQL 17\.\d+\)/);
    expect(r.stderr).toMatch(
      /or plan with --skip-ddl-check \(then a statement that cannot run fails inside apply\)\.\n$/,
    );
    expect(fs.existsSync(path.join(dir, 'plans'))).toBe(false);
    const skipped = await runUuidmig(['plan', '--schema', schema, '--database-url', newer.url, '--skip-ddl-check'], {
      cwd: dir,
    });
    expect(skipped.code, skipped.stderr).toBe(0);
    expect(skipped.stdout).toContain("--skip-ddl-check: the plan's statements were not proven on an empty copy");
  } finally {
    await sql.end();
    await newer.stop();
  }
});
