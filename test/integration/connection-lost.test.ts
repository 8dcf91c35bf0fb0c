import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { readCatalog } from '../../src/catalog/read-catalog.js';
import { type CliRun, runUuidmig } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { fixturePath, loadFixture } from '../helpers/fixtures.js';
import { snapshotRows } from '../helpers/row-snapshot.js';

/**
 * The server ends our session in the middle of a stage (pg_terminate_backend, as a failover or a
 * restart would): exit 4 with one sentence, the stage rolled back by the server, and the same command
 * run again resumes and finishes, every row where it was.
 */
let db: TestDatabase;
let dir: string;
const uuidmig = (...args: string[]): Promise<CliRun> => runUuidmig([...args, '--database-url', db.url], { cwd: dir });

beforeEach(async (ctx) => {
  db = await createTestDatabase(ctx.task.name);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uuidmig-lost-'));
  await loadFixture(db.sql, 'self-reference');
  expect((await uuidmig('plan', '--schema', fixturePath('self-reference', 'schema.ts'))).code).toBe(0);
});
afterEach(async () => {
  await db.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/**
 * Run `command` while another session holds users; once its stage waits on LOCK TABLE (seen in
 * pg_stat_activity), end its backend, then let the lock go.
 */
async function terminatedDuringStage(command: string): Promise<CliRun> {
  const blocker = postgres(db.url, { max: 1, onnotice: () => {} });
  let release!: () => void;
  let locked!: () => void;
  const isLocked = new Promise<void>((resolve) => (locked = resolve));
  const released = new Promise<void>((resolve) => (release = resolve));
  const held = blocker.begin(async (tx) => {
    await tx`LOCK TABLE users IN ACCESS SHARE MODE`;
    locked();
    await released;
  });
  await isLocked;
  try {
    const run = uuidmig(command, '--lock-timeout', '1min');
    for (let ended = false; !ended; ) {
      const waiting = await db.sql`SELECT pid FROM pg_stat_activity
        WHERE wait_event_type = 'Lock' AND query LIKE 'LOCK TABLE%' AND datname = current_database()`;
      for (const w of waiting) ended = (await db.sql`SELECT pg_terminate_backend(${w.pid}) AS ok`)[0]!.ok;
      if (!ended) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return await run;
  } finally {
    release();
    await held;
    await blocker.end();
  }
}

const status = async () => (await db.sql`SELECT status FROM uuidmig.plans`)[0]!.status;

test('apply: exit 4, one sentence, no stack trace; apply again resumes and finishes', async () => {
  const before = await snapshotRows(db.sql, await readCatalog(db.sql));
  const r = await terminatedDuringStage('apply');
  expect(r.code, r.stderr).toBe(4);
  expect(r.stderr).toMatch(
    new RegExp(
      /uuidmig: The connection to the server was lost during stage 0000 rewrite_users \(.+\), /.source +
        /so the server rolled the stage back; run uuidmig apply again to resume\.\n$/.source,
    ),
  );
  expect(r.stderr).not.toMatch(/TypeError|at .*\.js:\d+/);
  // Nothing of the stage committed: the keys are integers, every row as it was.
  expect(await snapshotRows(db.sql, await readCatalog(db.sql))).toEqual(before);
  expect(await status()).toBe('applying');
  const again = await uuidmig('apply');
  expect(again.code, again.stderr).toBe(0);
  expect(again.stdout).toContain('(resumed)');
  expect((await uuidmig('verify')).code).toBe(0);
});

test('rollback: exit 4, the uuid keys untouched; rollback again finishes, every row as before apply', async () => {
  const before = await snapshotRows(db.sql, await readCatalog(db.sql));
  expect((await uuidmig('apply')).code).toBe(0);
  const r = await terminatedDuringStage('rollback');
  expect(r.code).toBe(4);
  expect(r.stderr).toContain('so the server rolled the stage back; run uuidmig rollback again to resume.');
  const [type] = await db.sql`SELECT format_type(atttypid, atttypmod) AS t FROM pg_attribute
    WHERE attrelid = 'users'::regclass AND attname = 'id'`;
  expect(type!.t).toBe('uuid');
  const again = await uuidmig('rollback');
  expect(again.code, again.stderr).toBe(0);
  expect(await snapshotRows(db.sql, await readCatalog(db.sql))).toEqual(before);
});
