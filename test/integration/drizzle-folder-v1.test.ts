import fs from 'node:fs';
import path from 'node:path';
import { readMigrationFiles } from 'drizzle-orm-1/migrator';
import type postgres from 'postgres';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { apply } from '../../src/executor/apply.js';
import { finalize } from '../../src/executor/finalize.js';
import { rollback } from '../../src/executor/rollback.js';
import { init } from '../../src/init/init.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { DRIZZLE_MAJORS, drizzleProject, runKit, TEAM_ROWS } from '../helpers/drizzle-project.js';
import { fixturePath } from '../helpers/fixtures.js';
import { plan } from '../helpers/plan.js';

/**
 * drizzle-kit 1.0's folder per migration (`<timestamp>_<name>/migration.sql` + `snapshot.json`, no
 * journal; its migrator tells what ran by folder name): plan writes its entry in that layout, with the
 * snapshot drizzle-kit 1.0 itself would write, and drizzle-kit and uuidmig agree about it on a database
 * with rows and on a fresh one. The project runs drizzle-orm and drizzle-kit 1.0 (the dev aliases).
 */
const V1 = DRIZZLE_MAJORS.find((m) => m.major === '1.0')!;

let db: TestDatabase;
let project: string;
beforeEach(async (ctx) => {
  db = await createTestDatabase(ctx.task.name);
  project = drizzleProject('uuidmig-team-v1-', V1);
  fs.mkdirSync(path.join(project, 'src'));
  fs.writeFileSync(path.join(project, 'src', 'schema.ts'), V1.schema());
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

/** The project's drizzle-kit 1.0, as the team runs it. */
const kit = (args: string[], url: string) => runKit(project, args, url);

const folder = () => path.join(project, 'drizzle');
const migrations = () => fs.readdirSync(folder()).sort();
const read = (...parts: string[]) => fs.readFileSync(path.join(folder(), ...parts), 'utf8');
const recorded = (sql: postgres.Sql) =>
  sql<{ hash: string; created_at: string; name: string }[]>`
    SELECT hash, created_at::text, name FROM drizzle.__drizzle_migrations ORDER BY id`.then((rows) =>
    rows.map((r) => ({ hash: r.hash, createdAt: Number(r.created_at), name: r.name })),
  );
const config = () => path.join(project, 'drizzle.config.ts');

async function teamWithRows() {
  expect(kit(['generate', '--name', 'init'], db.url).ok).toBe(true);
  expect(kit(['migrate'], db.url).ok).toBe(true);
  await db.sql.unsafe(TEAM_ROWS);
}

test("plan writes drizzle-kit 1.0's kind of entry; kit and uuidmig agree with rows and on a fresh one", async () => {
  await teamWithRows();
  init({ schema: 'src/schema.ts', cwd: project });

  // A folder `<timestamp>_uuid_keys`, a second after init's at least; planned again, it replaces its own.
  const first = await plan({ config: config(), cwd: project, databaseUrl: db.url, skipDdlCheck: true });
  const made = await plan({ config: config(), cwd: project, databaseUrl: db.url });
  expect(made.blockers).toEqual([]);
  expect(made.drizzleEntry?.replaced).toBe(first.drizzleEntry?.tag);
  expect(made.drizzleEntry?.journal).toBeNull();
  const [initTag, ours] = migrations();
  expect(ours).toBe(made.drizzleEntry?.tag);
  expect(ours).toMatch(/^\d{14}_uuid_keys$/);
  expect(migrations()).toHaveLength(2);
  expect(fs.readdirSync(path.join(folder(), ours!)).sort()).toEqual(['migration.sql', 'snapshot.json']);
  expect(made.plan.drizzle).toMatchObject({ layout: 'folders', tag: ours });

  // The snapshot is a diff from init's, as drizzle-kit 1.0 generate writes it for this schema (in a
  // copy without our entry), and generate finds nothing to do after it.
  const snapshot = JSON.parse(read(ours!, 'snapshot.json'));
  const base = JSON.parse(read(initTag!, 'snapshot.json'));
  expect(snapshot).toMatchObject({ type: 'diff', version: base.version, prevIds: [base.id], footprints: [] });
  fs.cpSync(folder(), path.join(project, 'copy'), { recursive: true });
  fs.rmSync(path.join(project, 'copy', ours!), { recursive: true });
  const args = ['generate', '--dialect', 'postgresql', '--schema', './src/schema.ts', '--out', './copy'];
  const generated = kit([...args, '--name', 'theirs'], db.url);
  expect(generated.ok, generated.output).toBe(true);
  const theirsTag = fs.readdirSync(path.join(project, 'copy')).find((f) => f.endsWith('_theirs'))!;
  const theirs = JSON.parse(fs.readFileSync(path.join(project, 'copy', theirsTag, 'snapshot.json'), 'utf8'));
  expect(snapshot.deltas).toEqual(theirs.deltas);
  expect(snapshot.deltas.length).toBeGreaterThan(5);
  expect(Object.keys(snapshot)).toEqual(Object.keys(theirs));
  expect(kit(['generate'], db.url).output).toContain('No schema changes, nothing to migrate');
  expect(migrations()).toHaveLength(2);

  // drizzle-kit migrate on the database with rows: the entry refuses, and nothing changes.
  expect(kit(['migrate'], db.url).ok).toBe(false);
  expect(await recorded(db.sql)).toHaveLength(1);

  // apply records the entry as drizzle-orm 1.0's migrator would: its hash, the folder's second, its name.
  const entry = { name: ours, createdAt: made.plan.drizzle!.when, hash: made.plan.drizzle!.hash };
  await apply({ plan: made.planFile!, databaseUrl: db.url });
  expect((await recorded(db.sql))[1]).toEqual(entry);
  // ...exactly what drizzle-orm 1.0's own reader of the folder says of it.
  const theirRead = readMigrationFiles({ migrationsFolder: folder() }).find((m) => m.name === ours);
  expect(theirRead).toMatchObject({ folderMillis: entry.createdAt, hash: entry.hash });
  await rollback({ plan: made.planFile!, databaseUrl: db.url });
  expect(await recorded(db.sql)).toHaveLength(1);
  await apply({ plan: made.planFile!, databaseUrl: db.url });
  await finalize({ plan: made.planFile!, databaseUrl: db.url });

  // The team's next migration: generate diffs against our snapshot, and migrate skips ours and runs it.
  const schema = path.join(project, 'src', 'schema.ts');
  const withBio = fs
    .readFileSync(schema, 'utf8')
    .replace(
      "email: text('email').notNull().unique(),",
      "email: text('email').notNull().unique(),\n  bio: text('bio'),",
    );
  fs.writeFileSync(schema, withBio);
  expect(kit(['generate', '--name', 'bio'], db.url).ok).toBe(true);
  const bio = migrations().at(-1)!;
  expect(bio).toMatch(/_bio$/);
  expect(read(bio, 'migration.sql').trim()).toBe('ALTER TABLE "users" ADD COLUMN "bio" text;');
  const migrated = kit(['migrate'], db.url);
  expect(migrated.ok, migrated.output).toBe(true);
  expect((await recorded(db.sql)).map((r) => r.name)).toEqual([initTag, ours, bio]);
  const rows = await db.sql`
    SELECT u.email, i.email AS inviter, c.body, p.title FROM comments c LEFT JOIN posts p ON p.id = c.post_id
    CROSS JOIN LATERAL (SELECT * FROM users WHERE id = p.author_id) u LEFT JOIN users i ON i.id = u.invited_by
    ORDER BY 3`;
  expect(rows.map((r) => [r.body, r.title, r.email, r.inviter])).toEqual([
    ['hi', 'one', 'a@x', null],
    ['yo', 'two', 'c@x', 'b@x'],
  ]);

  // A fresh database: drizzle-kit 1.0 migrate runs the whole folder to uuid keys.
  const fresh = await createTestDatabase('team_v1_fresh');
  try {
    const built = kit(['migrate'], fresh.url);
    expect(built.ok, built.output).toBe(true);
    const keys = `SELECT table_name || '.' || column_name || ' ' || data_type AS c FROM information_schema.columns
      WHERE table_schema = 'public' AND (column_name = 'id' OR column_name LIKE '%\\_id' OR column_name = 'bio')
      ORDER BY 1`;
    const freshKeys = (await fresh.sql.unsafe(keys)).map((r) => r.c);
    expect(freshKeys).toEqual((await db.sql.unsafe(keys)).map((r) => r.c));
    expect(freshKeys).toContain('comments.post_id uuid');
    expect((await recorded(fresh.sql)).map((r) => r.name)).toEqual([initTag, ours, bio]);
  } finally {
    await fresh.drop();
  }
});

test('a migration of the folder this database has not run (by name) blocks the plan', async () => {
  await teamWithRows();
  const schema = path.join(project, 'src', 'schema.ts');
  fs.writeFileSync(
    schema,
    fs.readFileSync(schema, 'utf8').replace("body: text('body').notNull(),", "body: text('body'),"),
  );
  expect(kit(['generate', '--name', 'loose_body'], db.url).ok).toBe(true);
  const pending = migrations().at(-1)!;
  init({ schema: 'src/schema.ts', cwd: project });
  const made = await plan({ config: config(), cwd: project, databaseUrl: db.url, skipDdlCheck: true });
  expect(made.blockers.map((b) => b.kind)).toEqual(['drizzle-pending']);
  expect(made.blockers[0]?.message).toContain(`This database has not run ${pending} from`);
  expect(made.planFile).toBeNull();
  expect(migrations()).toHaveLength(2);
});

test('a team moving from drizzle-kit 0.x: after `drizzle-kit up`, apply records the entry 1.0 will name', async () => {
  // The database was migrated by drizzle-kit 0.31 (a migrations table without names), then the team
  // upgraded to 1.0 and converted the folder with `drizzle-kit up`, and plans before migrating again.
  const schema = path.join(project, 'src', 'schema.ts');
  const old = fs.readFileSync(fixturePath('drizzle-made', 'old.ts'), 'utf8');
  fs.writeFileSync(
    schema,
    old.replace("import { relations } from 'drizzle-orm';\n", '').replace(/export const commentsRelations[\s\S]*$/, ''),
  );
  const modules = path.join(project, 'node_modules');
  fs.renameSync(modules, `${modules}.v1`);
  const v0 = drizzleProject('uuidmig-team-v0-', DRIZZLE_MAJORS[0]);
  fs.renameSync(path.join(v0, 'node_modules'), modules);
  fs.rmSync(v0, { recursive: true });
  await teamWithRows();
  expect(Object.keys((await recorded0(db.sql))[0]!)).toEqual(['id', 'hash', 'created_at']);
  fs.rmSync(modules);
  fs.renameSync(`${modules}.v1`, modules);
  const up = kit(['up'], db.url);
  expect(up.ok, up.output).toBe(true);
  const [initTag] = migrations();
  expect(initTag).toMatch(/^\d{14}_init$/);

  init({ schema: 'src/schema.ts', cwd: project });
  const made = await plan({ config: config(), cwd: project, databaseUrl: db.url, skipDdlCheck: true });
  expect(made.blockers).toEqual([]);
  await apply({ plan: made.planFile!, databaseUrl: db.url });
  // No name column yet: the row holds the folder's second, by which 1.0's upgrade names it.
  expect((await recorded0(db.sql)).map((r) => Number(r.created_at))).toEqual([
    expect.any(Number),
    made.plan.drizzle!.when,
  ]);
  const migrated = kit(['migrate'], db.url);
  expect(migrated.ok, migrated.output).toBe(true);
  expect((await recorded(db.sql)).map((r) => r.name)).toEqual([initTag, made.drizzleEntry!.tag]);
  const [type] =
    await db.sql`SELECT data_type FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'id'`;
  expect(type?.data_type).toBe('uuid');
});

const recorded0 = (sql: postgres.Sql) => sql`SELECT * FROM drizzle.__drizzle_migrations ORDER BY id`;

test('an --out that is no drizzle folder takes plans/ and migrations/; the team folder stays as it is', async () => {
  await teamWithRows();
  init({ schema: 'src/schema.ts', cwd: project });
  const scratch = path.join(project, 'scratch');
  const made = await plan({ config: config(), cwd: project, databaseUrl: db.url, skipDdlCheck: true, out: scratch });
  expect(made.drizzleEntry).toBeNull();
  expect(made.migrationsFolder).toBe(path.join(scratch, 'migrations', made.plan.id));
  expect(made.plan.drizzle).toBeUndefined();
  expect(migrations()).toHaveLength(1);
});
