import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { readCatalog } from '../../src/catalog/read-catalog.js';
import { loadPlan } from '../../src/executor/load-plan.js';
import { ddlCheckArgs, runUuidmig } from '../helpers/cli.js';
import { adminUrl, createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { fixturePath, loadFixture } from '../helpers/fixtures.js';
import { snapshotRows, translatedRows } from '../helpers/row-snapshot.js';

/**
 * kill -9 in the middle of an online backfill, a concurrent build that failed and left its index
 * INVALID, then `uuidmig apply` again: it resumes at the batch after the last one journaled, drops
 * the invalid index and builds it again, swaps, and every row keeps its parent.
 */
const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'uuidmig.js');
let db: TestDatabase;
let out: string;
beforeEach(async (ctx) => {
  db = await createTestDatabase(ctx.task.name);
  await loadFixture(db.sql, 'forum');
  out = fs.mkdtempSync(path.join(os.tmpdir(), 'uuidmig-online-resume-'));
});
afterEach(async () => {
  await db.drop();
  fs.rmSync(out, { recursive: true, force: true });
});

test('kill -9 mid-backfill, an INVALID index from a failed build, then apply resumes and finishes exact', async () => {
  const env = { DATABASE_URL: db.url };
  const planned = await runUuidmig(
    [
      'plan',
      '--schema',
      fixturePath('forum', 'schema'),
      '--strategy',
      'online',
      '--orphans',
      'null',
      ...ddlCheckArgs(),
    ],
    { cwd: out, env: { ...env, UUIDMIG_DDL_CHECK_URL: adminUrl() } },
  );
  expect(planned.code, planned.stderr).toBe(0);
  const planFile = path.join(out, 'plans', fs.readdirSync(path.join(out, 'plans'))[0]!);
  const plan = loadPlan(planFile);
  const catalog = await readCatalog(db.sql);
  const before = await snapshotRows(db.sql, catalog);

  // Slow batches (--batch-pause), killed once a few have committed.
  const child = spawn(process.execPath, [BIN, 'apply', '--plan', planFile, '--yes', '--batch-pause', '150'], {
    cwd: out,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: 'ignore',
  });
  const exited = new Promise((r) => child.on('exit', r));
  for (let batches = 0; batches < 3; ) {
    await new Promise((r) => setTimeout(r, 50));
    const rows = await db.sql`SELECT count(*)::int AS n FROM uuidmig.journal WHERE batch_bound IS NOT NULL`.catch(
      () => [{ n: 0 }],
    );
    batches = rows[0]!.n;
  }
  child.kill('SIGKILL');
  await exited;
  const [journaled] = await db.sql`SELECT count(*)::int AS n FROM uuidmig.journal WHERE batch_bound IS NOT NULL`;
  expect(journaled!.n).toBeGreaterThanOrEqual(3);

  // A concurrent build that failed (duplicate values) leaves an INVALID index under the name the build uses.
  await db.sql
    .unsafe('CREATE UNIQUE INDEX CONCURRENTLY "posts_pkey__uuidmig_new" ON posts ((1))')
    .catch((e: Error) => expect(e.message).toMatch(/could not create unique index/));
  const [invalid] =
    await db.sql`SELECT indisvalid FROM pg_index WHERE indexrelid = 'posts_pkey__uuidmig_new'::regclass`;
  expect(invalid!.indisvalid).toBe(false);

  const status = await runUuidmig(['status'], { cwd: out, env });
  expect(status.stdout).toMatch(/apply was interrupted/);

  const resumed = await runUuidmig(['apply', '--plan', planFile, '--yes'], { cwd: out, env });
  expect(resumed.code, resumed.stderr).toBe(0);
  expect(resumed.stdout).toMatch(/resumed/);
  expect(resumed.stdout).toMatch(/every uuid agrees with the integer it replaces/);
  const batchesAgain = await db.sql`SELECT step_id, min(batch_bound) AS first FROM uuidmig.journal
    WHERE batch_bound IS NOT NULL GROUP BY step_id`;
  expect(batchesAgain.length).toBeGreaterThan(0);

  // The index the swap attached is the rebuilt one: valid, unique, on the uuid key.
  const [pk] = await db.sql`SELECT i.indisvalid, i.indisprimary, pg_get_indexdef(i.indexrelid) AS def
    FROM pg_index i WHERE i.indexrelid = 'posts_pkey'::regclass`;
  expect(pk).toMatchObject({ indisvalid: true, indisprimary: true });
  expect(pk!.def).toMatch(/\(id\)/);
  expect(Object.fromEntries(await translatedRows(db.sql, catalog, plan))).toEqual(Object.fromEntries(before));
  const verified = await runUuidmig(['verify', '--plan', planFile], { cwd: out, env });
  expect(verified.code, verified.stdout + verified.stderr).toBe(0);
}, 180_000);
