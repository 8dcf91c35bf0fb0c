import { afterEach, beforeEach, expect, test } from 'vitest';
import { cancelAutovacuum } from '../../src/executor/autovacuum.js';
import type { Stage } from '../../src/planner/plan-schema.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

/**
 * A table a backfill just rewrote is the first autovacuum picks, and its worker holds SHARE UPDATE
 * EXCLUSIVE for as long as it runs: a swap's short lock tries would all fail behind it. On a lock
 * timeout the stage cancels an autovacuum worker on its tables (PostgreSQL does the same after
 * deadlock_timeout, with every writer queued behind the request that second).
 */
let db: TestDatabase;
beforeEach(async (ctx) => {
  db = await createTestDatabase(ctx.task.name);
});
afterEach(async () => {
  await db.sql`ALTER SYSTEM RESET autovacuum_naptime`;
  await db.sql`SELECT pg_reload_conf()`;
  await db.drop();
});

test('on a lock timeout, an autovacuum worker holding a table of the stage is cancelled', async () => {
  // A table with dead rows and a vacuum slowed to a crawl, so its worker is there to be found.
  await db.sql.unsafe(`CREATE TABLE "Hot Table" (id int PRIMARY KEY, v text) WITH (autovacuum_vacuum_threshold = 0,
    autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_cost_delay = 100, autovacuum_vacuum_cost_limit = 1)`);
  await db.sql.unsafe(`INSERT INTO "Hot Table" SELECT i, repeat('x', 200) FROM generate_series(1, 20000) AS i`);
  await db.sql.unsafe(`UPDATE "Hot Table" SET v = repeat('y', 200)`);
  await db.sql`ALTER SYSTEM SET autovacuum_naptime = '1s'`;
  await db.sql`SELECT pg_reload_conf()`;
  const worker = async () =>
    (
      await db.sql`SELECT a.pid FROM pg_stat_activity AS a JOIN pg_locks AS l ON l.pid = a.pid
        WHERE a.backend_type = 'autovacuum worker' AND l.relation = '"Hot Table"'::regclass`
    )[0]?.pid as number | undefined;
  let pid: number | undefined;
  for (let i = 0; i < 300 && !pid; i++) {
    pid = await worker();
    if (!pid) await new Promise((r) => setTimeout(r, 100));
  }
  expect(pid, 'an autovacuum worker on the table within 30 s').toBeDefined();

  const stage = { steps: [{ table: 'public."Hot Table"' }, { table: null }] } as unknown as Stage;
  const conn = await db.sql.reserve();
  try {
    expect(await cancelAutovacuum(conn, stage)).toBe(1);
  } finally {
    conn.release();
  }
  let gone = false;
  for (let i = 0; i < 50 && !gone; i++) {
    const [row] = await db.sql`SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = ${pid!}`;
    gone = row!.n === 0 || (await worker()) !== pid;
    if (!gone) await new Promise((r) => setTimeout(r, 100));
  }
  expect(gone).toBe(true);
  // A stage that names none of the tables cancels nothing.
  const other = await db.sql.reserve();
  try {
    expect(await cancelAutovacuum(other, { steps: [{ table: null }] } as unknown as Stage)).toBe(0);
  } finally {
    other.release();
  }
}, 60_000);
