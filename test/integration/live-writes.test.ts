import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { apply, openApply } from '../../src/executor/apply.js';
import { verify } from '../../src/verify/verify.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { fixturePath, loadFixture } from '../helpers/fixtures.js';
import { plan } from '../helpers/plan.js';

/**
 * apply while the application writes: the offline strategies take each component's baseline after
 * their lock, so writers waiting on it cannot make the proof fail; the update strategy's swap brings
 * its backfill up to date first, so rows written between backfill and swap (or across a crash) swap
 * with the right parent.
 */
let db: TestDatabase;
let dir: string;
beforeEach(async (ctx) => {
  db = await createTestDatabase(ctx.task.name);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uuidmig-live-'));
  await loadFixture(db.sql, 'self-reference');
});
afterEach(async () => {
  await db.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const makePlan = async (strategy: 'rewrite' | 'update') =>
  (await plan({ schema: fixturePath('self-reference', 'schema.ts'), databaseUrl: db.url, out: dir, strategy }))
    .planFile!;

/** Each row of apply's time (by its integer) and the integer of the parent it points at, on either side. */
async function parentsByInteger(maxKey: number): Promise<string[]> {
  const [{ t }] = (await db.sql`SELECT format_type(atttypid, atttypmod) AS t FROM pg_attribute
    WHERE attrelid = 'users'::regclass AND attname = 'id'`) as unknown as [{ t: string }];
  const rows =
    t === 'uuid'
      ? await db.sql`SELECT u.legacy_id AS id, p.legacy_id AS parent FROM users u
          LEFT JOIN users p ON p.id = u.invited_by WHERE u.legacy_id <= ${maxKey} ORDER BY 1`
      : await db.sql`SELECT id, invited_by AS parent FROM users WHERE id <= ${maxKey} ORDER BY 1`;
  return rows.map((r) => `${r.id}->${r.parent}`);
}

test('the default apply finishes while four writers insert and delete: baseline after the lock', async () => {
  await db.sql`INSERT INTO users (name, invited_by) SELECT 'u' || g, 1 + g % 5 FROM generate_series(1, 20000) g`;
  const planFile = await makePlan('rewrite');
  const maxKey = Number((await db.sql`SELECT max(id) AS m FROM users`)[0]!.m);
  const before = await parentsByInteger(maxKey);

  // Bounded writers on their own connections: statements that work on integer and on uuid keys alike.
  let done = false;
  const counts = [0, 0, 0, 0];
  const writers = counts.map(async (_, w) => {
    const sql = postgres(db.url, { max: 1, onnotice: () => {} });
    try {
      for (let i = 0; !done && i < 20_000; i++) {
        await sql`INSERT INTO users (name, invited_by) SELECT ${`w${w}-${i}`}, id FROM users WHERE name = 'ada'`;
        if (i % 3 === 2) await sql`DELETE FROM users WHERE name = ${`w${w}-${i - 1}`}`;
        counts[w] = i + 1;
      }
    } finally {
      await sql.end();
    }
  });
  while (counts.some((n) => n < 5)) await new Promise((r) => setTimeout(r, 5));
  const atStart = counts.reduce((a, b) => a + b, 0);
  let report: Awaited<ReturnType<typeof apply>>;
  try {
    const session = await openApply({ plan: planFile, databaseUrl: db.url });
    await session.before?.run();
    for (const stage of session.stages) await session.runStage(stage, {});
    // Writes that commit after the swap and before verify-after: apply's verify-after is what the stage
    // proved under its lock, so they are not in it; uuidmig verify, after it, tells them apart.
    const swapped = counts.reduce((a, b) => a + b, 0);
    while (counts.reduce((a, b) => a + b, 0) < swapped + 8) await new Promise((r) => setTimeout(r, 5));
    report = await session.after.run();
    await session.close();
  } finally {
    done = true;
    await Promise.all(writers);
  }
  // The writers were writing while apply ran, and went on after its swap (their statements suit both).
  expect(counts.reduce((a, b) => a + b, 0)).toBeGreaterThan(atStart);
  expect(report.ok).toBe(true);
  expect(report.afterFrom).toBe('in-lock');
  expect(report.differences.filter((d) => d.differs.length)).toEqual([]);
  expect(await parentsByInteger(maxKey)).toEqual(before);
  const verified = await verify({ plan: planFile, databaseUrl: db.url });
  expect(verified.ok).toBe(true);
  expect(verified.sinceApply.filter((c) => c.change !== 'none').map((c) => [c.name, c.change])).toEqual([
    ['public.users', 'rows'],
    ['public.users.invited_by -> public.users.id', 'rows'],
  ]);
});

test('update strategy: rows written between backfill and swap, across an interrupted run, swap right', async () => {
  const planFile = await makePlan('update');
  const session = await openApply({ plan: planFile, databaseUrl: db.url });
  try {
    await session.before?.run();
    const [expand, backfill] = session.stages;
    await session.runStage(expand!);
    await session.runStage(backfill!);
  } finally {
    await session.close(); // the run stops here, as after a crash: the plan stays `applying`
  }
  // The application goes on with integers: a new row, a re-pointed one, a cleared one, a deleted parent.
  await db.sql`INSERT INTO users (name, invited_by) VALUES ('fay', 2)`;
  await db.sql`UPDATE users SET invited_by = 5 WHERE name = 'cleo'`;
  await db.sql`UPDATE users SET invited_by = NULL WHERE name = 'brian'`;
  await db.sql`INSERT INTO users (name, invited_by) VALUES ('gil', 4)`;
  await db.sql`DELETE FROM users WHERE name = 'dan'`; // gil's invited_by becomes NULL (ON DELETE SET NULL)
  const expected = await parentsByInteger(1000);
  expect(expected).toEqual(['1->null', '2->null', '3->5', '5->null', '6->2', '7->null']);

  const report = await apply({ plan: planFile, databaseUrl: db.url });
  expect(report.resumed).toBe(true);
  expect(report.ok).toBe(true);
  expect(await parentsByInteger(1000)).toEqual(expected);
  expect((await verify({ plan: planFile, databaseUrl: db.url })).ok).toBe(true);
});
