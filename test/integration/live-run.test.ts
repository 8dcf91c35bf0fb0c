import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { openApply } from '../../src/executor/apply.js';
import { jsonOutputSchemas } from '../../src/index.js';
import { type CliRun, runUuidmig } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { fixturePath, loadFixture } from '../helpers/fixtures.js';

/**
 * status, verify and apply --dry-run tell a live run (it holds the migration lock) from one that was
 * interrupted (`applying`, nobody holding it), and never compare checks in the middle of a run.
 */
let db: TestDatabase;
let dir: string;
const uuidmig = (...args: string[]): Promise<CliRun> => runUuidmig([...args, '--database-url', db.url], { cwd: dir });

beforeEach(async (ctx) => {
  db = await createTestDatabase(ctx.task.name);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uuidmig-live-run-'));
  await loadFixture(db.sql, 'self-reference');
  expect((await uuidmig('plan', '--schema', fixturePath('self-reference', 'schema.ts'))).code).toBe(0);
});
afterEach(async () => {
  await db.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('before any apply, status shows the plan apply would take, or that there is none, and what to run', async () => {
  const [file] = fs.readdirSync(path.join(dir, 'plans'));
  const r = await uuidmig('status');
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toContain(`plan ${file!.replace('.json', '')} (planned, plans/${file})\n  not applied`);
  expect(r.stdout).toContain('next: uuidmig rehearse, then uuidmig apply');
  fs.rmSync(path.join(dir, 'plans'), { recursive: true });
  const none = await uuidmig('status');
  expect(none.stdout).toContain('No plan was applied to this database yet: run uuidmig plan, then uuidmig apply.');
  expect(await db.sql`SELECT to_regnamespace('uuidmig') AS s`).toEqual([{ s: null }]);
});

test('an interrupted run: status says interrupted and resume, dry run says apply would resume', async () => {
  const planFile = path.join(dir, 'plans', fs.readdirSync(path.join(dir, 'plans'))[0]!);
  const session = await openApply({ plan: planFile, databaseUrl: db.url });
  await session.before?.run();
  await session.close(); // the process dies here: the plan says `applying`, nobody holds the lock
  const r = await uuidmig('status', '--json');
  expect(r.code, r.stderr).toBe(0);
  const report = jsonOutputSchemas.status.parse(JSON.parse(r.stdout));
  expect(report.running).toBeNull();
  expect(report.plans.map((p) => [p.status, p.committed, p.stages, p.state, p.next])).toEqual([
    [
      'applying',
      0,
      2,
      'apply was interrupted (no run holds the lock): 0 of 2 stage(s) committed',
      'uuidmig apply (it resumes after the last committed stage), or uuidmig rollback',
    ],
  ]);
  const dry = await uuidmig('apply', '--dry-run');
  expect(dry.stdout).toContain('apply would resume the interrupted run: 2 stage(s) left.');
  // Where apply reads verify-before, and which guards it may leave unsent, are said with the statements.
  expect(dry.stdout).toMatch(/\n {2}\(here apply reads verify-before inside the transaction: .*\n {2}0000\.\d+ /);
  expect(dry.stdout).toContain('-- apply does not send this guard when verify-before counted no orphan');
  // A run that failed: the same stages are left, and the stage that failed fails again until its cause is fixed.
  await db.sql`UPDATE uuidmig.plans SET status = 'failed'`;
  const failed = await uuidmig('apply', '--dry-run');
  expect(failed.stdout).toContain("apply would go on after the failed run's last committed stage: 2 stage(s) left.");
  expect(failed.stdout).toContain('until its cause is fixed (uuidmig status shows it) it fails the same way');
});

test('a live run: status names it, verify and the dry run refuse to judge it, nothing is saved', async () => {
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
  const applying = uuidmig('apply', '--lock-timeout', '1min');
  try {
    // apply holds the migration lock and waits for users inside its stage.
    let pid: number | undefined;
    while (pid === undefined) {
      const rows = await db.sql`SELECT pid FROM pg_stat_activity
        WHERE wait_event_type = 'Lock' AND query LIKE 'LOCK TABLE%' AND datname = current_database()`;
      pid = rows[0]?.pid;
      if (pid === undefined) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const status = await uuidmig('status');
    expect(status.code, status.stderr).toBe(0);
    expect(status.stdout).toContain(`A uuidmig run is in progress now: backend pid ${pid} (uuidmig`);
    expect(status.stdout).toMatch(/apply is running now, in backend pid \d+; 0 of 2 stage\(s\) committed/);
    expect(status.stdout).toContain(`SELECT pg_terminate_backend(${pid}) stops it, and its stage rolls back`);

    const verify = await uuidmig('verify');
    expect(verify.code).toBe(1);
    expect(verify.stderr).toContain(`uuidmig: A uuidmig run is in progress on this database now: backend pid ${pid}`);
    expect(verify.stderr).toContain('run uuidmig verify when it has finished (uuidmig status shows where it stands).');
    expect(await db.sql`SELECT count(*)::int AS n FROM uuidmig.checks WHERE phase = 'verify'`).toEqual([{ n: 0 }]);

    const dry = await uuidmig('apply', '--dry-run');
    expect(dry.code).toBe(1); // a dry run that would refuse exits as apply would
    expect(dry.stdout).toContain('apply would refuse: A uuidmig run is in progress on this database now');
  } finally {
    release();
    await held;
    await blocker.end();
  }
  const applied = await applying;
  expect(applied.code, applied.stderr).toBe(0);
  const after = await uuidmig('status');
  expect(after.stdout).toContain('next: uuidmig verify, then uuidmig finalize (or uuidmig rollback)');
  expect((await uuidmig('verify')).code).toBe(0);
});
