import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { plan } from '../../src/api/plan.js';
import { readCatalog } from '../../src/catalog/read-catalog.js';
import { apply, openApply } from '../../src/executor/apply.js';
import { rollback } from '../../src/executor/rollback.js';
import { StepFailedError } from '../../src/executor/run-stage.js';
import type { Plan } from '../../src/planner/plan-schema.js';
import { verify } from '../../src/verify/verify.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { fixturePath, loadFixture } from '../helpers/fixtures.js';
import { snapshotRows, translatedRows } from '../helpers/row-snapshot.js';

/**
 * A rewrite adds its foreign keys NOT VALID and the stage after it validates them: between the two the
 * key already refuses a bad write, a row that slipped past it (a writer under session_replication_role
 * replica) makes the VALIDATE fail with its statement and PostgreSQL's message, the rewrite's rows stay
 * committed, and apply run again resumes at the validate stage.
 */
let db: TestDatabase;
let dir: string;

beforeEach(async (ctx) => {
  db = await createTestDatabase(ctx.task.name);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uuidmig-validate-'));
});
afterEach(async () => {
  await db.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Every row as before apply, read back through the legacy integers. */
async function expectRowsKept(
  catalog: Awaited<ReturnType<typeof readCatalog>>,
  before: Map<string, string[]>,
  p: Plan,
) {
  expect(Object.fromEntries(await translatedRows(db.sql, catalog, p))).toEqual(Object.fromEntries(before));
}

/** The fixture loaded and planned, with every row as it stands before apply. */
async function planned(fixture: string) {
  await loadFixture(db.sql, fixture);
  const made = await plan({ schema: fixturePath(fixture, 'schema.ts'), databaseUrl: db.url, out: dir });
  const catalog = await readCatalog(db.sql);
  return { made, catalog, before: await snapshotRows(db.sql, catalog) };
}

/** Each foreign key of the application's tables, and whether PostgreSQL counts it validated. */
const validity = async () =>
  Object.fromEntries(
    (
      await db.sql<{ name: string; ok: boolean }[]>`
      SELECT conrelid::regclass::text || '.' || conname AS name, convalidated AS ok
      FROM pg_constraint WHERE contype = 'f' AND connamespace::regnamespace::text <> 'uuidmig' ORDER BY 1`
    ).map((r) => [r.name, r.ok]),
  );

const validated = async () => (await validity())['users.users_invited_by_fkey'];

test('between the rewrite and its validate the key checks writes; a failed VALIDATE resumes', async () => {
  const { made, catalog, before } = await planned('self-reference');
  const session = await openApply({ plan: made.planFile!, databaseUrl: db.url });
  try {
    await session.before?.run();
    const [rewrite, validate] = session.stages;
    expect([rewrite!.kind, validate!.kind]).toEqual(['rewrite', 'validate']);
    await session.runStage(rewrite!);
    expect(await validated()).toBe(false);
    await expect(db.sql`INSERT INTO users (name, invited_by) VALUES ('x', gen_random_uuid())`).rejects.toThrow(
      /users_invited_by_fkey/,
    );
    await db.sql.begin(async (tx) => {
      await tx`SET LOCAL session_replication_role = replica`;
      await tx`INSERT INTO users (name, invited_by) VALUES ('ghost', gen_random_uuid())`;
    });
    const failed = await session.runStage(validate!).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(StepFailedError);
    expect((failed as StepFailedError).message).toMatch(/VALIDATE CONSTRAINT "users_invited_by_fkey"/);
    expect(await validated()).toBe(false);
  } finally {
    await session.close();
  }
  await db.sql`DELETE FROM users WHERE name = 'ghost'`;
  const resumed = await apply({ plan: made.planFile!, databaseUrl: db.url });
  expect(resumed.resumed).toBe(true);
  expect(resumed.stages.map((s) => s.stageId)).toEqual([made.plan.stages[1]!.id]);
  expect(resumed.ok).toBe(true);
  expect(await validated()).toBe(true);
  expect((await verify({ plan: made.planFile!, databaseUrl: db.url })).ok).toBe(true);
  await expectRowsKept(catalog, before, made.plan);
});

test('a VALIDATE committed before its journal row (a crash between them): apply resumes and finishes', async () => {
  const { made, catalog, before } = await planned('self-reference');
  const session = await openApply({ plan: made.planFile!, databaseUrl: db.url });
  try {
    await session.before?.run();
    await session.runStage(session.stages[0]!);
  } finally {
    await session.close();
  }
  // The validate stage's statement ran and committed; its journal row never came.
  await db.sql.unsafe(made.plan.stages[1]!.steps[0]!.sql);
  expect(await validated()).toBe(true);
  const resumed = await apply({ plan: made.planFile!, databaseUrl: db.url });
  expect(resumed.resumed).toBe(true);
  expect(resumed.stages.map((s) => s.stageId)).toEqual([made.plan.stages[1]!.id]);
  expect(resumed.ok).toBe(true);
  expect((await verify({ plan: made.planFile!, databaseUrl: db.url })).ok).toBe(true);
  await expectRowsKept(catalog, before, made.plan);
});

test('a rollback after the rewrite, before its validate, leaves every key as valid as before (text-key)', async () => {
  // posts.tag_code -> tags.code stays text: the rewrite of posts drops that key and adds it NOT VALID,
  // and rollback, which rebuilds only the keys on converting columns, must validate it again itself.
  const { made, catalog, before } = await planned('text-key');
  const keys = await validity();
  expect(keys['posts.posts_tag_code_fkey']).toBe(true);
  const session = await openApply({ plan: made.planFile!, databaseUrl: db.url });
  try {
    await session.before?.run();
    for (const stage of session.stages.filter((s) => s.kind !== 'validate')) await session.runStage(stage);
  } finally {
    await session.close();
  }
  expect((await validity())['posts.posts_tag_code_fkey']).toBe(false);
  const back = await rollback({ plan: made.planFile!, databaseUrl: db.url });
  expect(back.ok).toBe(true);
  expect(await validity()).toEqual(keys);
  expect(Object.fromEntries(await snapshotRows(db.sql, catalog))).toEqual(Object.fromEntries(before));
  const again = await apply({ plan: made.planFile!, databaseUrl: db.url });
  expect(again.ok).toBe(true);
  expect(await validity()).toEqual(keys);
  expect((await verify({ plan: made.planFile!, databaseUrl: db.url })).ok).toBe(true);
  await expectRowsKept(catalog, before, made.plan);
});
