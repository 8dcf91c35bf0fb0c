import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { readCatalog } from '../../src/catalog/read-catalog.js';
import { apply, openApply } from '../../src/executor/apply.js';
import { finalize } from '../../src/executor/finalize.js';
import { rollback } from '../../src/executor/rollback.js';
import { init } from '../../src/init/init.js';
import { verify } from '../../src/verify/verify.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { runKit, TEAM_ROWS } from '../helpers/drizzle-project.js';
import { FIXTURES, fixturePath } from '../helpers/fixtures.js';
import { plan } from '../helpers/plan.js';
import { snapshotRows, translatedRows } from '../helpers/row-snapshot.js';

/**
 * A project drizzle-kit made (integer keys, `out: './drizzle'`, migrated by drizzle-kit migrate), whose
 * team switched its schema file to uuid keys. uuidmig plan appends the migration to the team's folder;
 * drizzle-kit and uuidmig must then agree about it on a database with rows and on a fresh one.
 */
const REPO = path.resolve(FIXTURES, '..', '..');
// drizzle-kit 0.31's own CLI (node_modules/.bin/drizzle-kit may be the 1.0 alias's: both name their bin so).
const KIT = path.join(REPO, 'node_modules', 'drizzle-kit', 'bin.cjs');

let db: TestDatabase;
let project: string;
beforeEach(async (ctx) => {
  db = await createTestDatabase(ctx.task.name);
  project = fs.mkdtempSync(path.join(os.tmpdir(), 'uuidmig-team-'));
  // The project's own node_modules: drizzle-kit, drizzle-orm and the driver resolve from it.
  fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(project, 'node_modules'), 'dir');
  fs.mkdirSync(path.join(project, 'src'));
  fs.copyFileSync(fixturePath('drizzle-made', 'old.ts'), path.join(project, 'src', 'schema.ts'));
  fs.writeFileSync(
    path.join(project, 'drizzle.config.ts'),
    "export default { dialect: 'postgresql', schema: './src/schema.ts', out: './drizzle', " +
      "dbCredentials: { url: process.env.DATABASE_URL ?? '' } };\n",
  );
});
afterEach(async () => {
  await db.drop();
  fs.rmSync(project, { recursive: true, force: true });
});

/** drizzle-kit's own CLI in the project, as the team runs it; its output, and whether it succeeded. */
const kit = (args: string[], url: string) => runKit(project, [...args, '--config', 'drizzle.config.ts'], url);

const journal = (folder = path.join(project, 'drizzle')) =>
  JSON.parse(fs.readFileSync(path.join(folder, 'meta', '_journal.json'), 'utf8')) as {
    entries: { idx: number; when: number; tag: string }[];
  };

const recorded = (sql: postgres.Sql) =>
  sql<{ hash: string; created_at: string }[]>`
    SELECT hash, created_at::text FROM drizzle.__drizzle_migrations ORDER BY id`.then((rows) =>
    rows.map((r) => ({ hash: r.hash, createdAt: Number(r.created_at) })),
  );

/** Columns (type, nullability, default), constraints and indexes of schema public; columns by name. */
async function catalogOf(sql: postgres.Sql): Promise<unknown> {
  const columns = await sql`
    SELECT c.relname AS table, a.attname AS column, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull,
      pg_get_expr(d.adbin, d.adrelid) AS default
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
    ORDER BY 1, 2`;
  const constraints = await sql`
    SELECT conrelid::regclass::text AS table, conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
    WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2`;
  const indexes = await sql`SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'
    ORDER BY 1, 2`;
  const sequences = await sql`SELECT sequencename FROM pg_sequences WHERE schemaname = 'public' ORDER BY 1`;
  return { columns, constraints, indexes, sequences };
}

test("plan appends to the team's folder; drizzle-kit and uuidmig agree with rows and on a fresh database", async () => {
  expect(kit(['generate', '--name', 'init'], db.url).ok).toBe(true);
  expect(kit(['migrate'], db.url).ok).toBe(true);
  await db.sql.unsafe(TEAM_ROWS);
  fs.copyFileSync(fixturePath('drizzle-made', 'schema.ts'), path.join(project, 'src', 'schema.ts'));

  // plan: the next entry of the team's folder, its snapshot and journal entry; the plan in plans/.
  // Planned again, it replaces its own entry (this database never recorded it), and the first plan,
  // whose entry is gone, is refused.
  const config = path.join(project, 'drizzle.config.ts');
  const earlier = new Date(Date.now() - 60_000);
  const first = await plan({ config, cwd: project, databaseUrl: db.url, skipDdlCheck: true, now: earlier });
  expect(first.drizzleEntry).toMatchObject({ tag: '0001_uuid_keys', replaced: null });
  const made = await plan({ config, cwd: project, databaseUrl: db.url });
  expect(made.blockers).toEqual([]);
  // Its history builds this schema on a fresh database, so no warning says otherwise.
  expect(made.plan.warnings.filter((w) => w.kind === 'drizzle-history')).toEqual([]);
  expect(made.drizzleEntry?.replaced).toBe('0001_uuid_keys');
  await expect(apply({ plan: first.planFile!, databaseUrl: db.url })).rejects.toThrow(
    'and it was changed after uuidmig plan wrote it; nothing was run.',
  );
  const folder = path.join(project, 'drizzle');
  expect(made.drizzleEntry?.tag).toBe('0001_uuid_keys');
  expect(made.planFile).toBe(path.join(project, 'plans', `${made.plan.id}.json`));
  expect(fs.existsSync(path.join(project, 'migrations'))).toBe(false);
  const [init, entry] = journal().entries;
  expect(entry).toMatchObject({ idx: 1, tag: '0001_uuid_keys', when: made.plan.drizzle!.when });
  expect(entry!.when).toBeGreaterThan(init!.when);
  const text = fs.readFileSync(path.join(folder, '0001_uuid_keys.sql'), 'utf8');
  expect(text).toMatch(/^SET LOCAL lock_timeout = '5s';$/m);
  expect(text).toMatch(/^SET LOCAL statement_timeout = '1min';$/m);
  const ours = JSON.parse(fs.readFileSync(path.join(folder, 'meta', '0001_snapshot.json'), 'utf8'));
  const theirs0 = JSON.parse(fs.readFileSync(path.join(folder, 'meta', '0000_snapshot.json'), 'utf8'));
  expect(ours.prevId).toBe(theirs0.id);

  // The snapshot is what drizzle-kit generate writes for this schema (in a copy without our entry),
  // and drizzle-kit generate finds nothing to do after it.
  const copy = path.join(project, 'copy');
  fs.cpSync(folder, copy, { recursive: true });
  for (const f of ['0001_uuid_keys.sql', 'meta/0001_snapshot.json']) fs.rmSync(path.join(copy, f));
  const copyJournal = journal(copy);
  copyJournal.entries.pop();
  fs.writeFileSync(path.join(copy, 'meta', '_journal.json'), JSON.stringify(copyJournal));
  // (drizzle-kit reads `--out` relative to the current folder, whatever it is given.)
  execFileSync(
    process.execPath,
    [KIT, 'generate', '--dialect', 'postgresql', '--schema', './src/schema.ts', '--out', './copy'],
    {
      cwd: project,
      stdio: 'pipe',
    },
  );
  const generated = fs.readFileSync(path.join(copy, 'meta', '0001_snapshot.json'), 'utf8');
  expect(JSON.stringify({ ...ours, id: 'x' }, null, 2)).toBe(
    JSON.stringify({ ...JSON.parse(generated), id: 'x' }, null, 2),
  );
  const nothing = kit(['generate'], db.url);
  expect(nothing.output).toContain('No schema changes, nothing to migrate');
  expect(journal().entries).toHaveLength(2);

  // drizzle-kit migrate on the database with rows: the entry refuses, and nothing changes. (drizzle-kit
  // 0.31 exits 1 without printing why; drizzle-orm's migrator, which it runs, throws the one sentence.)
  expect(kit(['migrate'], db.url).ok).toBe(false);
  const client = postgres(db.url, { max: 1, onnotice: () => {} });
  const why = await migrate(drizzle(client), { migrationsFolder: folder }).then(
    () => 'ran',
    (error: Error) => String((error.cause as Error | undefined)?.message ?? error.message),
  );
  await client.end();
  expect(why).toBe('this database has rows (public.comments is not empty): run `uuidmig apply`');
  expect(await recorded(db.sql)).toHaveLength(1);
  const [column] = await db.sql`SELECT format_type(atttypid, atttypmod) AS type FROM pg_attribute
    WHERE attrelid = 'users'::regclass AND attname = 'id'`;
  expect(column?.type).toBe('integer');

  // uuidmig apply records the entry as drizzle's migrator would (its hash, `when` as created_at);
  // rollback forgets it; apply again records it again.
  const drizzleHash = readMigrationFiles({ migrationsFolder: folder })[1]!.hash;
  await apply({ plan: made.planFile!, databaseUrl: db.url });
  expect((await recorded(db.sql))[1]).toEqual({ hash: drizzleHash, createdAt: entry!.when });
  await rollback({ plan: made.planFile!, databaseUrl: db.url });
  expect(await recorded(db.sql)).toHaveLength(1);
  await apply({ plan: made.planFile!, databaseUrl: db.url });
  expect((await recorded(db.sql)).map((r) => r.hash)).toEqual([expect.any(String), drizzleHash]);
  await finalize({ plan: made.planFile!, databaseUrl: db.url });

  // The team's next migration: generate diffs against our snapshot (only the new column), and migrate
  // skips our entry and runs it.
  const withBio = fs
    .readFileSync(path.join(project, 'src', 'schema.ts'), 'utf8')
    .replace(
      "email: text('email').notNull().unique(),",
      "email: text('email').notNull().unique(),\n  bio: text('bio'),",
    );
  fs.writeFileSync(path.join(project, 'src', 'schema.ts'), withBio);
  expect(kit(['generate', '--name', 'bio'], db.url).ok).toBe(true);
  expect(fs.readFileSync(path.join(folder, '0002_bio.sql'), 'utf8').trim()).toBe(
    'ALTER TABLE "users" ADD COLUMN "bio" text;',
  );
  const migrated = kit(['migrate'], db.url);
  expect(migrated.ok, migrated.output).toBe(true);
  expect(await recorded(db.sql)).toHaveLength(3);
  const rows = await db.sql`
    SELECT u.email, i.email AS inviter, u.bio FROM users u LEFT JOIN users i ON i.id = u.invited_by ORDER BY 1`;
  expect(rows.map((r) => [r.email, r.inviter, r.bio])).toEqual([
    ['a@x', null, null],
    ['b@x', 'a@x', null],
    ['c@x', 'b@x', null],
  ]);

  // A fresh database: drizzle-kit migrate runs the whole folder straight through, to the same catalog
  // as production after apply + finalize (and so drizzle-kit finds no difference between them either).
  const fresh = await createTestDatabase('team_fresh');
  try {
    const built = kit(['migrate'], fresh.url);
    expect(built.ok, built.output).toBe(true);
    const production = (await catalogOf(db.sql)) as { columns: { table: string; column: string; type: string }[] };
    expect(await catalogOf(fresh.sql)).toEqual(production);
    const types = production.columns.map((c) => `${c.table}.${c.column} ${c.type}`);
    expect(types.filter((t) => /\.(id|.*_id) /.test(t))).toEqual([
      'comments.id uuid',
      'comments.post_id uuid',
      'post_tags.post_id uuid',
      'posts.author_id uuid',
      'posts.id uuid',
      'users.id uuid',
    ]);
    expect((await recorded(fresh.sql)).map((r) => r.hash)).toEqual((await recorded(db.sql)).map((r) => r.hash));
  } finally {
    await fresh.drop();
  }
});

test('a column declared integer that the plan makes uuid blocks the entry, until init declares it', async () => {
  expect(kit(['generate', '--name', 'init'], db.url).ok).toBe(true);
  expect(kit(['migrate'], db.url).ok).toBe(true);
  await db.sql.unsafe(`
    INSERT INTO users (email) VALUES ('a@x');
    INSERT INTO posts (author_id, title) VALUES (1, 'one');
    INSERT INTO comments (post_id, body) VALUES (1, 'hi');
  `);
  // comments.post_id: an integer the schema ties to nothing, a reference only --reference declares.
  const schema = path.join(project, 'src', 'schema.ts');
  const text = fs.readFileSync(fixturePath('drizzle-made', 'schema.ts'), 'utf8');
  const integerPostId = text
    .slice(0, text.indexOf('export const commentsRelations'))
    .replace("postId: uuid('post_id'),", "postId: integer('post_id'),")
    .replace('index, pgTable', 'index, integer, pgTable');
  fs.writeFileSync(schema, integerPostId);
  const config = path.join(project, 'drizzle.config.ts');
  const options = {
    config,
    cwd: project,
    databaseUrl: db.url,
    skipDdlCheck: true,
    reference: ['comments.post_id=posts.id'],
  };
  const blocked = await plan(options);
  expect(blocked.blockers.map((b) => b.message)).toEqual([
    'public.comments.post_id is declared integer in the Drizzle schema but becomes uuid (it references ' +
      `public.posts.id), so the snapshot plan writes into ${path.join(project, 'drizzle')} would disagree with ` +
      'the database: declare it uuid first (uuidmig init --reference comments.post_id=posts.id does it), ' +
      'then plan again.',
  ]);
  expect(journal().entries).toHaveLength(1);
  init({ schema, references: ['comments.post_id=posts.id'] });
  const made = await plan(options);
  expect(made.blockers).toEqual([]);
  expect(made.plan.mistakes).toEqual([]);
  expect(made.plan.references.map((r) => r.id)).toContain('public.comments.post_id -> public.posts.id');
  expect(
    JSON.parse(fs.readFileSync(made.drizzleEntry!.snapshotFile, 'utf8')).tables['public.comments'].columns.post_id.type,
  ).toBe('uuid');
});

test('a view that cannot hold uuid keys is named by the DDL check, not blamed on the entry', async () => {
  expect(kit(['generate', '--name', 'init'], db.url).ok).toBe(true);
  expect(kit(['migrate'], db.url).ok).toBe(true);
  await db.sql.unsafe('CREATE VIEW newest_post AS SELECT max(id) AS id FROM posts');
  fs.copyFileSync(fixturePath('drizzle-made', 'schema.ts'), path.join(project, 'src', 'schema.ts'));
  const made = await plan({ config: path.join(project, 'drizzle.config.ts'), cwd: project, databaseUrl: db.url });
  expect(made.blockers).toHaveLength(1);
  const [blocker] = made.blockers;
  expect(blocker!.message).toMatch(/^On an empty copy of this database, apply failed at step .* newest_post/);
  expect(blocker!.message).toContain('function max(uuid) does not exist');
  expect(blocker!.message).toContain('If the object it names cannot hold uuid keys, change it');
  expect(journal().entries).toHaveLength(1);
});

test("a history that does not build this database's schema is a warning: fresh databases stop there", async () => {
  expect(kit(['generate', '--name', 'init'], db.url).ok).toBe(true);
  expect(kit(['migrate'], db.url).ok).toBe(true);
  // An index made by hand on production, which no entry of the folder creates: the rewrite drops and rebuilds it.
  await db.sql.unsafe('CREATE INDEX posts_by_hand ON posts (id DESC)');
  fs.copyFileSync(fixturePath('drizzle-made', 'schema.ts'), path.join(project, 'src', 'schema.ts'));
  const made = await plan({ config: path.join(project, 'drizzle.config.ts'), cwd: project, databaseUrl: db.url });
  expect(made.blockers).toEqual([]);
  const history = made.plan.warnings.filter((w) => w.kind === 'drizzle-history').map((w) => w.message);
  expect(history).toHaveLength(1);
  expect(history[0]).toMatch(
    /^drizzle-kit migrate on a fresh database would stop at 0001_uuid_keys \(statement \d+\): /,
  );
  expect(history[0]).toContain('posts_by_hand');
  expect(history[0]).not.toContain('\n'); // one line, whatever PostgreSQL's message held
  // And drizzle-kit's own migrate on a fresh database agrees.
  const fresh = await createTestDatabase('team_fresh_history');
  try {
    expect(kit(['migrate'], fresh.url).ok).toBe(false);
  } finally {
    await fresh.drop();
  }
});

/**
 * The database built without drizzle-kit migrate (as a `drizzle-kit pull` baseline is): the team's
 * folder has its journal and first entry, the database no drizzle schema. The uuid schema file in place.
 */
async function pulledDatabase(): Promise<void> {
  expect(kit(['generate', '--name', 'init'], db.url).ok).toBe(true);
  const first = fs.readFileSync(path.join(project, 'drizzle', '0000_init.sql'), 'utf8');
  for (const statement of first.split('--> statement-breakpoint')) await db.sql.unsafe(statement);
  await db.sql.unsafe(TEAM_ROWS);
  fs.copyFileSync(fixturePath('drizzle-made', 'schema.ts'), path.join(project, 'src', 'schema.ts'));
}

/** Planned, with every row as it stands before apply, and how to compare the rows with them. */
async function plannedWithRows(config: string) {
  const made = await plan({ config, cwd: project, databaseUrl: db.url });
  expect(made.blockers).toEqual([]);
  const catalog = await readCatalog(db.sql);
  const before = Object.fromEntries(await snapshotRows(db.sql, catalog));
  const rowsKept = async () =>
    expect(Object.fromEntries(await translatedRows(db.sql, catalog, made.plan))).toEqual(before);
  const rowsBack = async () => expect(Object.fromEntries(await snapshotRows(db.sql, catalog))).toEqual(before);
  return { made, rowsKept, rowsBack };
}

const exists = (sql: postgres.Sql, name: string) =>
  sql<{ ok: boolean }[]>`SELECT to_regclass(${name}) IS NOT NULL AS ok`.then(([r]) => r!.ok);

test("drizzle's migrations table apply made is not the database's state: apply, rollback, apply again", async () => {
  await pulledDatabase();
  expect(await exists(db.sql, 'drizzle.__drizzle_migrations')).toBe(false);
  const config = path.join(project, 'drizzle.config.ts');
  const { made, rowsKept, rowsBack } = await plannedWithRows(config);
  const options = { plan: made.planFile!, databaseUrl: db.url };

  // apply makes drizzle's schema and table for its entry; rollback forgets the entry, the table stays.
  expect((await apply(options)).ok).toBe(true);
  expect(await recorded(db.sql)).toEqual([{ hash: made.plan.drizzle!.hash, createdAt: made.plan.drizzle!.when }]);
  await rowsKept();
  expect((await verify(options)).ok).toBe(true);
  await rollback(options);
  expect(await recorded(db.sql)).toEqual([]);
  await rowsBack();

  // The state the plan was made for: planned now, the planner reads the same catalog (drizzle's table is
  // not in it, so nothing of it is planned) and binds the plan to the same hash.
  const again = await plan({ config, cwd: project, databaseUrl: db.url, skipDdlCheck: true, write: false });
  expect(again.plan.source).toMatchObject({
    catalogHash: made.plan.source.catalogHash,
    drizzleMigrations: { schema: 'drizzle', name: '__drizzle_migrations' },
  });

  // So the same plan applies again, and records its entry again.
  const second = await apply(options);
  expect(second.ok).toBe(true);
  expect(second.resumed).toBe(false);
  expect((await recorded(db.sql)).map((r) => r.hash)).toEqual([made.plan.drizzle!.hash]);
  await rowsKept();
  expect((await verify(options)).ok).toBe(true);
});

test("drizzle's migrations table (the config's) made while an apply was interrupted: apply resumes", async () => {
  fs.writeFileSync(
    path.join(project, 'drizzle.config.ts'),
    "export default { dialect: 'postgresql', schema: './src/schema.ts', out: './drizzle', " +
      "dbCredentials: { url: process.env.DATABASE_URL ?? '' }, migrations: { schema: 'ops', table: 'applied' } };\n",
  );
  await pulledDatabase();
  const { made, rowsKept } = await plannedWithRows(path.join(project, 'drizzle.config.ts'));
  expect(made.plan.drizzle).toMatchObject({ migrationsSchema: 'ops', migrationsTable: 'applied' });
  const options = { plan: made.planFile!, databaseUrl: db.url };
  const session = await openApply(options);
  try {
    await session.before?.run();
    expect(session.stages.length).toBeGreaterThan(1);
    await session.runStage(session.stages[0]!);
  } finally {
    await session.close();
  }
  // Meanwhile a drizzle-kit migrate: it makes its table, then fails on the folder's first entry
  // (its tables exist), and leaves the table behind, empty.
  expect(kit(['migrate'], db.url).ok).toBe(false);
  expect(await db.sql`SELECT count(*)::int AS n FROM ops.applied`).toEqual([{ n: 0 }]);

  const resumed = await apply(options);
  expect(resumed.resumed).toBe(true);
  expect(resumed.ok).toBe(true);
  expect(await db.sql`SELECT hash FROM ops.applied`).toEqual([{ hash: made.plan.drizzle!.hash }]);
  await rowsKept();
  expect((await verify(options)).ok).toBe(true);
});
