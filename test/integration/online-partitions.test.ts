import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { apply } from '../../src/executor/apply.js';
import { DEFAULT_RUN_SETTINGS, runStage } from '../../src/executor/run-stage.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { fixturePath, loadFixture } from '../helpers/fixtures.js';
import { plan } from '../helpers/plan.js';

/**
 * A partitioned table online: each partition's indexes, keys and foreign keys are built beside the old
 * ones, the swap attaches them to the partitioned table without reading a row, and the foreign key
 * into it (which needs its new key) is added NOT VALID at the swap and validated by the stage after.
 */
let db: TestDatabase;
let dir: string;
beforeEach(async (ctx) => {
  db = await createTestDatabase(ctx.task.name);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uuidmig-online-parts-'));
  await loadFixture(db.sql, 'partitioned');
  await db.sql`INSERT INTO events (created_at, user_id, kind)
    SELECT date '2025-01-01' + (g % 700), 1 + g % 2, 'k' FROM generate_series(1, 3000) g`;
});
afterEach(async () => {
  await db.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('partitions: built per partition, attached by a swap that reads no row, the key into them validated', async () => {
  const made = await plan({
    schema: fixturePath('partitioned', 'schema.ts'),
    databaseUrl: db.url,
    out: dir,
    strategy: 'online',
  });
  expect(made.blockers).toEqual([]);
  const kinds = made.plan.stages.map((s) => s.kind);
  expect(kinds).toContain('validate');
  const swap = made.plan.stages.find((s) => s.kind === 'swap')!;
  expect(swap.steps.some((s) => /ATTACH PARTITION|PRIMARY KEY USING INDEX/.test(s.sql))).toBe(true);
  expect((await apply({ plan: made.planFile!, databaseUrl: db.url, until: 'build' })).stoppedBeforeSwap).toBe(true);
  const sql = postgres(db.url, { max: 1, onnotice: () => {} });
  const conn = await sql.reserve();
  let activity: { relname: string; seq_scan: number; idx_scan: number; written: number }[] = [];
  try {
    const [record] = await conn`SELECT run FROM uuidmig.plans WHERE id = ${made.plan.id}`;
    await runStage(conn, swap, {
      planId: made.plan.id,
      run: Number(record!.run),
      action: 'apply',
      settings: DEFAULT_RUN_SETTINGS,
      beforeCommit: async (tx) => {
        activity = await tx.unsafe(
          `SELECT relname, seq_scan::int, coalesce(idx_scan, 0)::int AS idx_scan,
             (n_tup_ins + n_tup_upd + n_tup_del)::int AS written FROM pg_stat_xact_user_tables
             WHERE schemaname <> 'uuidmig' ORDER BY relname`,
        );
      },
    });
  } finally {
    conn.release();
    await sql.end();
  }
  expect(activity.map((a) => a.relname)).toEqual(expect.arrayContaining(['events_2025', 'events_2026', 'users']));
  expect(activity.filter((a) => a.seq_scan || a.idx_scan || a.written)).toEqual([]);
  const finished = await apply({ plan: made.planFile!, databaseUrl: db.url });
  expect(finished.ok).toBe(true);
  expect(finished.stages.map((x) => x.stageId)).toEqual(
    made.plan.stages.filter((s) => s.kind === 'validate').map((s) => s.id),
  );
  const constraints = await db.sql`SELECT conrelid::regclass::text AS t, conname, contype, convalidated,
      conparentid <> 0 AS attached FROM pg_constraint
    WHERE conrelid::regclass::text IN ('events', 'events_2025', 'events_2026', 'event_notes') AND contype IN ('p', 'f')
    ORDER BY 1, 2`;
  // VALIDATE marks the foreign key itself; PostgreSQL 15 leaves its per-partition clones (into the
  // referenced table's partitions, conparentid set) as they were added, though the scan covered them.
  expect(constraints.filter((c) => !c.convalidated && !(c.t === 'event_notes' && c.attached))).toEqual([]);
  expect(constraints.filter((c) => c.t.startsWith('events_') && c.contype === 'p').every((c) => c.attached)).toBe(true);
  const [pk] = await db.sql`SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conname = 'events_pkey'`;
  expect(pk!.def).toBe('PRIMARY KEY (id, created_at)');
  const [type] = await db.sql`SELECT format_type(atttypid, atttypmod) AS t FROM pg_attribute
    WHERE attrelid = 'events_2026'::regclass AND attname = 'id'`;
  expect(type!.t).toBe('uuid');
}, 120_000);

test("a partition's own index on a converting column follows it to the uuid column", async () => {
  const other = await createTestDatabase('partitions-pulled-own-index');
  try {
    await loadFixture(other.sql, 'partitions-pulled');
    const schema = fixturePath('partitions-pulled', 'schema.ts');
    const made = await plan({ schema, databaseUrl: other.url, out: dir, strategy: 'online' });
    expect(made.blockers).toEqual([]);
    expect((await apply({ plan: made.planFile!, databaseUrl: other.url })).ok).toBe(true);
    const [index] = await other.sql`SELECT a.attname, format_type(a.atttypid, a.atttypmod) AS type
      FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
      WHERE i.indexrelid = 'payments_2026_account'::regclass`;
    expect(index).toEqual({ attname: 'account_id', type: 'uuid' });
  } finally {
    await other.drop();
  }
}, 120_000);
