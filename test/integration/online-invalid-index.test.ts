import postgres from 'postgres';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { ensureBookkeeping } from '../../src/executor/bookkeeping.js';
import { DEFAULT_RUN_SETTINGS, runStage } from '../../src/executor/run-stage.js';
import type { Stage } from '../../src/planner/plan-schema.js';
import { stage, step } from '../../src/planner/step.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

/**
 * A concurrent build that ends INVALID (cancelled halfway, or IF NOT EXISTS finding a failed one) is
 * never taken as built: the step drops it and builds it again.
 */
let db: TestDatabase;
beforeEach(async (ctx) => {
  db = await createTestDatabase(ctx.task.name);
  await db.sql`CREATE TABLE things (id int NOT NULL, code int NOT NULL)`;
  await db.sql`INSERT INTO things SELECT g, g % 10 FROM generate_series(1, 1000) g`;
});
afterEach(async () => db.drop());

test('an INVALID index under the name a build step makes is dropped and built again', async () => {
  // A failed build (duplicates) leaves an INVALID index named things_id_key.
  await db.sql.unsafe('CREATE UNIQUE INDEX CONCURRENTLY things_id_key ON things (code)').catch(() => {});
  const table = { schema: 'public', name: 'things' };
  const build: Stage = stage(
    '0000',
    'build',
    'things',
    'c1',
    [
      {
        ...step(
          'index',
          'build a unique index on id',
          'CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS things_id_key ON things (id)',
          'SHARE UPDATE EXCLUSIVE',
          table,
        ),
        creates: 'things_id_key',
      },
    ],
    false,
  );
  const sql = postgres(db.url, { max: 1, onnotice: () => {} });
  const conn = await sql.reserve();
  try {
    await ensureBookkeeping(conn);
    await conn`INSERT INTO uuidmig.plans (id, plan_hash, catalog_hash, plan, status, run)
      VALUES ('p', 'h', 'c', '{}'::jsonb, 'applying', 1)`;
    const timing = await runStage(conn, build, {
      planId: 'p',
      run: 1,
      action: 'apply',
      settings: { ...DEFAULT_RUN_SETTINGS, retryDelayMs: 10 },
    });
    expect(timing.lockRetries).toBe(1);
  } finally {
    conn.release();
    await sql.end();
  }
  const [index] = await db.sql`SELECT indisvalid, pg_get_indexdef(indexrelid) AS def FROM pg_index
    WHERE indexrelid = 'things_id_key'::regclass`;
  expect(index!.indisvalid).toBe(true);
  expect(index!.def).toMatch(/\(id\)$/);
});
