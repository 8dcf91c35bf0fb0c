import postgres from 'postgres';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { inspect } from '../../src/api/inspect.js';
import { connect } from '../../src/db/connect.js';
import { ensureBookkeeping, startRun } from '../../src/executor/bookkeeping.js';
import { DEFAULT_RUN_SETTINGS, runStage } from '../../src/executor/run-stage.js';
import type { Plan } from '../../src/planner/plan-schema.js';
import { loadDrizzleSchema } from '../../src/schema/load-schema.js';
import { shadowDisagreements } from '../../src/verify/shadow-agreement.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { fixturePath, loadFixture } from '../helpers/fixtures.js';

/**
 * The online strategy's first half: the expand's sync triggers and the batched backfill keep every
 * shadow right while writers insert, re-point and delete rows, and a backfill stopped partway goes on
 * from its last batch.
 */
let db: TestDatabase;
beforeEach(async (ctx) => {
  db = await createTestDatabase(ctx.task.name);
  await loadFixture(db.sql, 'self-reference');
  await db.sql`INSERT INTO users (name, invited_by) SELECT 'u' || g, 1 + g % 5 FROM generate_series(1, 12000) g`;
});
afterEach(async () => db.drop());

async function onlinePlan(): Promise<Plan> {
  const schema = await loadDrizzleSchema(fixturePath('self-reference', 'schema.ts'));
  const sql = await connect(db.url, { max: 1 });
  try {
    const settings = { fireTriggers: false, strategy: 'online' as const, legacyColumn: [], reference: [] };
    const made = await inspect(sql, schema, {
      ...settings,
      notAReference: [],
      orphans: 'fail',
      name: 'online',
      schemaFilter: [],
      now: new Date('2026-01-01T00:00:00Z'),
    });
    expect(made.blockers).toEqual([]);
    return made.plan;
  } finally {
    await sql.end();
  }
}

/** Bounded writers on their own connections: inserts, re-pointed references, deletes of their own rows. */
function startWriters(count: number) {
  let done = false;
  const writes = Array.from({ length: count }, () => 0);
  const running = writes.map(async (_, w) => {
    const sql = postgres(db.url, { max: 1, onnotice: () => {} });
    try {
      const mine: number[] = [];
      for (let i = 0; !done && i < 50_000; i++) {
        const [row] = await sql`INSERT INTO users (name, invited_by)
          SELECT ${`w${w}-${i}`}, id FROM users WHERE id = 1 + (${i}::bigint * 7919) % 12000 RETURNING id`;
        if (row) mine.push(row.id);
        await sql`UPDATE users SET invited_by = 1 + (${i}::bigint * 104729) % 12000
          WHERE id = 6 + (${i}::bigint * 31) % 11990`;
        if (i % 4 === 3 && mine.length) await sql`DELETE FROM users WHERE id = ${mine.shift()!}`;
        writes[w] = i + 1;
        await new Promise((r) => setTimeout(r, 10)); // a bounded rate, as an application's
      }
    } finally {
      await sql.end();
    }
  });
  return {
    writes,
    stop: async () => {
      done = true;
      await Promise.all(running);
    },
  };
}

async function run(plan: Plan, stageIndex: number, onBatch?: () => void) {
  const sql = postgres(db.url, { max: 1, onnotice: () => {} });
  const conn = await sql.reserve();
  try {
    await ensureBookkeeping(conn);
    const [record] = await conn`SELECT run FROM uuidmig.plans WHERE id = ${plan.id}`;
    const run = record ? Number(record.run) : await startRun(conn, plan, plan.source.catalogHash, null);
    const settings = { ...DEFAULT_RUN_SETTINGS, batchPauseMs: 5 };
    return await runStage(conn, plan.stages[stageIndex]!, { planId: plan.id, run, action: 'apply', settings, onBatch });
  } finally {
    conn.release();
    await sql.end();
  }
}

async function agreement(plan: Plan) {
  return db.sql.begin('ISOLATION LEVEL REPEATABLE READ READ ONLY', (tx) =>
    shadowDisagreements(tx, plan, plan.components[0]!.id),
  );
}

test('expand and a batched backfill under writers: every shadow agrees with the integers at one snapshot', async () => {
  const plan = await onlinePlan();
  expect(plan.stages.map((s) => [s.name, s.transactional])).toEqual([
    ['expand_users', true],
    ['backfill_users', false],
    ['build_users', false],
    ['swap_users', true],
  ]);
  const writers = startWriters(3);
  try {
    while (writers.writes.some((n) => n < 3)) await new Promise((r) => setTimeout(r, 5));
    await run(plan, 0);
    const atExpand = writers.writes.reduce((a, b) => a + b, 0);
    const backfill = await run(plan, 1);
    // Two walks that wrote rows, then the ANALYZE of the shadows (no rows of its own), writers or not.
    expect(backfill.steps.map((s) => (s.rows === null ? null : s.rows > 0))).toEqual([true, true, null]);
    expect(writers.writes.reduce((a, b) => a + b, 0)).toBeGreaterThan(atExpand); // they wrote during it
  } finally {
    await writers.stop();
  }
  expect(await agreement(plan)).toEqual([
    { column: 'public.users.id', rows: 0 },
    { column: 'public.users.invited_by', rows: 0 },
  ]);
  // Writes after the backfill keep them right too (the triggers), including a re-pointed row.
  await db.sql`INSERT INTO users (name, invited_by) VALUES ('late', 3)`;
  await db.sql`UPDATE users SET invited_by = 4 WHERE name = 'cleo'`;
  expect((await agreement(plan)).every((d) => d.rows === 0)).toBe(true);
  // The check can fail: one shadow pointing at another parent is counted.
  await db.sql`UPDATE users SET invited_by__uuidmig_new = (SELECT id__uuidmig_new FROM users WHERE id = 1)
    WHERE name = 'dan'`;
  expect(await agreement(plan)).toEqual([
    { column: 'public.users.id', rows: 0 },
    { column: 'public.users.invited_by', rows: 1 },
  ]);
});

test('a backfill stopped partway goes on from the batch after the last one journaled', async () => {
  const plan = await onlinePlan();
  await run(plan, 0);
  let batches = 0;
  const stopped = await run(plan, 1, () => {
    if (++batches === 2) throw new Error('the process dies here');
  }).catch((e: Error) => e);
  expect((stopped as Error).message).toBe('the process dies here');
  const resumed = await run(plan, 1);
  // 12005 keys in batches of 5000: two were journaled before the stop, the third comes now; then the
  // references' walk (every row: one walk fills all of a table's references).
  expect(resumed.steps[0]!.rows).toBe(2005);
  const journaled = await db.sql`SELECT step_id, count(*)::int AS batches, sum(rows)::int AS rows
    FROM uuidmig.journal WHERE batch_bound IS NOT NULL GROUP BY step_id ORDER BY step_id`;
  expect(journaled.map((r) => [r.batches, r.rows])).toEqual([
    [3, 12005],
    [3, 12005],
  ]);
  expect((await agreement(plan)).every((d) => d.rows === 0)).toBe(true);
});

test('a table without a primary key is walked by pages; rows that updates move behind it still agree', async () => {
  await db.sql`CREATE TABLE notes (user_ref integer REFERENCES users (id), body text NOT NULL)`;
  await db.sql`INSERT INTO notes SELECT 1 + g % 12000, 'n' || g FROM generate_series(1, 20000) g`;
  const plan = await onlinePlan();
  const fill = plan.stages[1]!.steps.find((s) => s.table === 'public.notes')!;
  expect(fill.description).toContain('no primary key: by page');
  await run(plan, 0);
  // While the backfill walks, a writer keeps rewriting notes' bodies: each UPDATE writes a new row
  // version wherever there is room, often behind the walk.
  let done = false;
  const mover = (async () => {
    const sql = postgres(db.url, { max: 1, onnotice: () => {} });
    for (let i = 0; !done; i++)
      await sql`UPDATE notes SET body = body || '.' WHERE body = ${`n${1 + ((i * 7919) % 20000)}`}`;
    await sql.end();
  })();
  try {
    await run(plan, 1);
  } finally {
    done = true;
    await mover;
  }
  expect((await agreement(plan)).filter((d) => d.rows > 0)).toEqual([]);
  const [unfilled] = await db.sql`SELECT count(*)::int AS n FROM notes WHERE user_ref__uuidmig_new IS NULL`;
  expect(unfilled!.n).toBe(0);
});
