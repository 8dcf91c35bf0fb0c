import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { readCatalog } from '../../src/catalog/read-catalog.js';
import { apply } from '../../src/executor/apply.js';
import { rollback } from '../../src/executor/rollback.js';
import { verify } from '../../src/verify/verify.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { fixturePath, loadFixture } from '../helpers/fixtures.js';
import { plan } from '../helpers/plan.js';
import { snapshotRows, translatedRows } from '../helpers/row-snapshot.js';

/**
 * The rewrite computes every uuid from the integer a row holds, with a secret the server draws inside
 * the stage (planner/keyed-rewrite.ts): parents and children agree, the uuids are version 4, another
 * run draws others, rows whose parent is gone are refused or set aside, and nothing of it outlives the
 * stage.
 */
let db: TestDatabase;
let dir: string;

beforeEach(async (ctx) => {
  db = await createTestDatabase(ctx.task.name);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uuidmig-keyed-'));
});
afterEach(async () => {
  await db.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function planned(fixture: string, orphans?: 'null') {
  await loadFixture(db.sql, fixture);
  const made = await plan({ schema: fixturePath(fixture, 'schema.ts'), databaseUrl: db.url, out: dir, orphans });
  return { made, catalog: await readCatalog(db.sql) };
}

/** Each key's uuid by its legacy integer, as `<table>:<legacy_id>` -> uuid. */
const uuidsByLegacy = async (tables: string[]) =>
  Object.fromEntries(
    (
      await Promise.all(
        tables.map((t) => db.sql.unsafe<{ k: string; id: string }[]>(`SELECT '${t}:' || legacy_id AS k, id FROM ${t}`)),
      )
    )
      .flat()
      .map((r) => [r.k, r.id]),
  );

test('key-types: version 4 uuids that parents and children share; another run draws others', async () => {
  const { made, catalog } = await planned('key-types');
  expect(made.plan.stages.map((s) => s.kind)).toEqual(['rewrite', 'validate']);
  const before = await snapshotRows(db.sql, catalog);
  const [{ last }] = (await db.sql<{ last: string }[]>`SELECT max(id)::text AS last FROM devices`) as unknown as [
    { last: string },
  ];
  const notes: string[] = [];
  const applied = await apply({ plan: made.planFile!, databaseUrl: db.url }, { onNote: (l) => notes.push(l) });
  expect(applied.ok).toBe(true);
  expect((await verify({ plan: made.planFile!, databaseUrl: db.url })).ok).toBe(true);
  expect(Object.fromEntries(await translatedRows(db.sql, catalog, made.plan))).toEqual(Object.fromEntries(before));
  // No orphan in the baseline taken after the lock: each guard's scan would count what it counted.
  const guards = made.plan.stages[0]!.steps.filter((s) => s.kind === 'guard');
  expect(guards.length).toBeGreaterThan(0);
  expect(notes).toEqual(guards.map((g) => expect.stringMatching(`^${g.id} ${g.table}: .*proven by the check after`)));
  const unsent = applied.stages[0]!.steps.filter((t) => t.proven).map((t) => t.stepId);
  expect(unsent).toEqual(guards.map((g) => g.id));
  const tables = ['accounts', 'regions', 'devices', 'sessions'];
  const first = await uuidsByLegacy(tables);
  expect(Object.keys(first)).toHaveLength(4 + 2 + 2 + 3);
  for (const uuid of Object.values(first))
    expect(uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-40[0-9a-f]{2}-80[0-9a-f]{2}-/);
  // Every reference holds its parent's uuid (the foreign keys, validated after the rewrite, agree).
  const [refs] = await db.sql<{ wrong: number }[]>`
    SELECT count(*)::int AS wrong FROM sessions AS s JOIN devices AS d ON d.legacy_id = s.device_id__uuidmig_old
    WHERE s.device_id <> d.id`;
  expect(refs!.wrong).toBe(0);
  // The identity moved with the integers: the next device continues after the last.
  const [added] = await db.sql<{ legacy_id: string }[]>`
    INSERT INTO devices (account_id) SELECT id FROM accounts LIMIT 1 RETURNING legacy_id::text`;
  expect(BigInt(added!.legacy_id)).toBe(BigInt(last) + 1n);
  await db.sql`DELETE FROM devices WHERE legacy_id = ${added!.legacy_id}::int`;
  // Nothing of the stage's functions is left, and the plan's SQL holds no secret: only the call that draws it.
  const [functions] = await db.sql<
    { n: number }[]
  >`SELECT count(*)::int AS n FROM pg_proc WHERE proname LIKE 'uuidmig%'`;
  expect(functions!.n).toBe(0);
  const sql = made.plan.stages[0]!.steps.map((s) => s.sql).join('\n');
  expect(sql).toContain('uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid())');
  expect(sql).not.toMatch(/\\x[0-9a-f]{16}/);

  expect((await rollback({ plan: made.planFile!, databaseUrl: db.url })).ok).toBe(true);
  expect(Object.fromEntries(await snapshotRows(db.sql, catalog))).toEqual(Object.fromEntries(before));
  expect((await apply({ plan: made.planFile!, databaseUrl: db.url })).ok).toBe(true);
  const second = await uuidsByLegacy(tables);
  expect(Object.keys(second).sort()).toEqual(Object.keys(first).sort());
  for (const [k, uuid] of Object.entries(second)) expect(uuid, k).not.toBe(first[k]);
  expect((await verify({ plan: made.planFile!, databaseUrl: db.url })).ok).toBe(true);
});

test("plan's DDL check (apply on a copy) sends every guard: it is there to run them", async () => {
  const { made } = await planned('key-types');
  const notes: string[] = [];
  const report = await apply(
    { plan: made.planFile!, databaseUrl: db.url, onCopy: true },
    { onNote: (l) => notes.push(l) },
  );
  expect(report.ok).toBe(true);
  expect(notes.filter((n) => n.includes('proven'))).toEqual([]);
});

test('composite-fk: a row written since the plan with no parent stops the rewrite before any change', async () => {
  const { made, catalog } = await planned('composite-fk');
  // Written past the foreign key (as a restore or a replica-role writer can): project 1 exists, but not
  // in tenant 2, so the task's (tenant_id, project_id) has no parent, though its project_id alone would.
  await db.sql.begin(async (tx) => {
    await tx`SET LOCAL session_replication_role = replica`;
    await tx`INSERT INTO tasks (tenant_id, project_id, title) VALUES (2, 1, 'wrong tenant')`;
  });
  const before = await snapshotRows(db.sql, catalog);
  const failed = await apply({ plan: made.planFile!, databaseUrl: db.url }).catch((e: unknown) => e);
  expect(String(failed)).toMatch(
    /stopped at its guard .*: 1 row\(s\) of public\.tasks\.project_id have no parent, written since the plan\./,
  );
  expect(Object.fromEntries(await snapshotRows(db.sql, catalog))).toEqual(Object.fromEntries(before));
});

test('a composite reference written partly NULL since the plan stops each strategy at its guard', async () => {
  await loadFixture(db.sql, 'composite-fk');
  await db.sql`ALTER TABLE tasks ALTER COLUMN tenant_id DROP NOT NULL`;
  const catalog = await readCatalog(db.sql);
  const schema = fixturePath('composite-fk', 'schema.ts');
  for (const strategy of ['rewrite', 'update'] as const) {
    const made = await plan({ schema, databaseUrl: db.url, out: dir, strategy });
    expect(made.blockers).toEqual([]);
    // Project 2 exists, in tenant 1: the keyed rewrite would compute its uuid, but the row's reference as
    // a whole (NULL, 2) finds no parent, and the checks that read it back would roll the stage back.
    await db.sql`INSERT INTO tasks (tenant_id, project_id, title) VALUES (NULL, 2, 'partly null')`;
    const before = await snapshotRows(db.sql, catalog);
    const failed = await apply({ plan: made.planFile!, databaseUrl: db.url }).catch((e: unknown) => e);
    expect(String(failed)).toMatch(
      /: 1 row\(s\) of public\.tasks\.project_id are set while another column of their reference is NULL/,
    );
    // The update strategy's swap refused: its expand and backfill committed before it, and roll back.
    if (strategy === 'update') expect((await rollback({ plan: made.planFile!, databaseUrl: db.url })).ok).toBe(true);
    expect(Object.fromEntries(await snapshotRows(db.sql, catalog))).toEqual(Object.fromEntries(before));
    await db.sql`DELETE FROM tasks WHERE title = 'partly null'`;
    await db.sql`DROP SCHEMA uuidmig CASCADE`;
  }
});

test('--orphans null: orphans written since the plan are set aside as the planned ones', async () => {
  const { made, catalog } = await planned('relation-orphans', 'null');
  await db.sql`INSERT INTO comments (post_id, body) VALUES (4242, 'late orphan'), (2, 'late, with its post')`;
  const before = await snapshotRows(db.sql, catalog);
  expect((await apply({ plan: made.planFile!, databaseUrl: db.url })).ok).toBe(true);
  const rows = await db.sql<{ body: string; post: string | null; kept: number | null }[]>`
    SELECT c.body, p.title AS post, c.post_id_legacy AS kept FROM comments AS c
    LEFT JOIN posts AS p ON p.id = c.post_id ORDER BY c.id`;
  expect(rows.map((r) => [r.body, r.post, r.kept])).toEqual([
    ['a', 'one', null],
    ['b', 'one', null],
    ['c', 'two', null],
    ['orphan of a deleted post', null, 3],
    ['orphan from an old import', null, 99],
    ['no post', null, null],
    ['late orphan', null, 4242],
    ['late, with its post', 'two', null],
  ]);
  const [nulls] = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM comments WHERE post_id IS NULL`;
  expect(nulls!.n).toBe(4);
  expect((await rollback({ plan: made.planFile!, databaseUrl: db.url })).ok).toBe(true);
  expect(Object.fromEntries(await snapshotRows(db.sql, catalog))).toEqual(Object.fromEntries(before));
});

test('a reference to a reference whose orphans are set aside takes the copy rewrite, whose guard refuses', async () => {
  const { made, catalog } = await planned('chain-orphans', 'null');
  expect(made.blockers).toEqual([]);
  const rewrite = made.plan.stages.find((s) => s.kind === 'rewrite')!;
  expect(rewrite.steps.some((s) => s.sql.startsWith('TRUNCATE '))).toBe(true);
  const before = await snapshotRows(db.sql, catalog);
  const failed = await apply({ plan: made.planFile!, databaseUrl: db.url }).catch((e: unknown) => e);
  expect(String(failed)).toMatch(
    /1 row\(s\) of public\.badges\.profile_user_id have no parent, written since the plan/,
  );
  expect(Object.fromEntries(await snapshotRows(db.sql, catalog))).toEqual(Object.fromEntries(before));
});
