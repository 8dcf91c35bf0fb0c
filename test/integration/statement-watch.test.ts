import { afterAll, beforeAll, expect, test } from 'vitest';
import { type StatementState, statementWatch } from '../../src/executor/statement-watch.js';
import type { Step } from '../../src/planner/plan-schema.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

/**
 * A statement past its first second is watched from another connection: its time every second, and
 * an index build's phase and blocks from pg_stat_progress_create_index. Watching never fails it.
 */
let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase('statement_watch');
  // An index whose every row takes a millisecond to compute: a build that lasts seconds on 2,000 rows.
  await db.sql.unsafe(`
    CREATE FUNCTION slow(x int) RETURNS int IMMUTABLE LANGUAGE plpgsql
      AS $$ BEGIN PERFORM pg_sleep(0.001); RETURN x; END $$;
    CREATE TABLE t AS SELECT g AS x, repeat('x', 500) AS pad FROM generate_series(1, 2000) g;
  `);
});
afterAll(() => db.drop());

const step = { id: '0000.001', description: 'the statement' } as Step;

test('a long index build shows its phase and blocks; a sleep only its time; both run to the end', async () => {
  const conn = await db.sql.reserve();
  try {
    const [{ pid }] = (await conn`SELECT pg_backend_pid() AS pid`) as unknown as [{ pid: number }];
    const watch = statementWatch(db.sql, pid, 500, 250);
    const seen: StatementState[] = [];
    await watch(
      step,
      (_s, state) => seen.push(state),
      () => conn.unsafe('CREATE INDEX t_slow ON t (slow(x))'),
    );
    const building = seen.filter((s) => s.phase?.startsWith('building index'));
    expect(building.length).toBeGreaterThan(0);
    expect(building.some((s) => s.unit === 'blocks' && s.total! > 0 && s.done! <= s.total!)).toBe(true);
    expect(seen.every((s, i) => i === 0 || s.elapsedMs > seen[i - 1]!.elapsedMs)).toBe(true);

    const slept: StatementState[] = [];
    await watch(
      step,
      (_s, state) => slept.push(state),
      () => conn.unsafe('SELECT pg_sleep(1.2)'),
    );
    expect(slept.length).toBeGreaterThan(0);
    expect(slept.every((s) => s.phase === null && s.elapsedMs >= 500)).toBe(true);

    const quick: StatementState[] = [];
    await watch(
      step,
      (_s, state) => quick.push(state),
      () => conn.unsafe('SELECT 1'),
    );
    await new Promise((r) => setTimeout(r, 700));
    expect(quick).toEqual([]); // done before its first reading: nothing shown, nothing left running
  } finally {
    conn.release();
  }
  const [index] = await db.sql`SELECT count(*)::int AS n FROM pg_indexes WHERE indexname = 't_slow'`;
  expect(index!.n).toBe(1);
});
