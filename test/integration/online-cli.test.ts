import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { type CliRun, ddlCheckArgs, runUuidmig } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { fixturePath, loadFixture } from '../helpers/fixtures.js';

/**
 * The online strategy through the real CLI, as the README tells it: plan, a dry run, apply --until
 * build, status, apply (the swap), verify at one snapshot (text and JSON), rollback, apply, finalize.
 */
let db: TestDatabase;
let dir: string;
const uuidmig = (...args: string[]): Promise<CliRun> => runUuidmig([...args, '--database-url', db.url], { cwd: dir });

beforeEach(async (ctx) => {
  db = await createTestDatabase(ctx.task.name);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uuidmig-online-cli-'));
  await loadFixture(db.sql, 'forum');
});
afterEach(async () => {
  await db.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const typeOf = async (table: string, column: string) =>
  (
    await db.sql`SELECT format_type(atttypid, atttypmod) AS t FROM pg_attribute
      WHERE attrelid = ${table}::regclass AND attname = ${column}`
  )[0]!.t;

test('plan, dry run, apply --until build, status, apply, verify, rollback, apply, finalize', async () => {
  const planned = await uuidmig(
    'plan',
    '--schema',
    fixturePath('forum', 'schema'),
    '--strategy',
    'online',
    '--orphans',
    'null',
    '--batch-size',
    '500',
    ...ddlCheckArgs(),
  );
  expect(planned.code, planned.stderr).toBe(0);
  expect(planned.stdout).toMatch(/build_users/);

  const dry = await uuidmig('apply', '--dry-run');
  expect(dry.code, dry.stderr).toBe(0);
  expect(dry.stdout).toContain('Online: the application keeps writing throughout.');
  expect(dry.stdout).toMatch(/CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS/);

  const built = await uuidmig('apply', '--until', 'build', '--yes', '--batch-pause', '1');
  expect(built.code, built.stderr).toBe(0);
  expect(built.stdout).toContain('Built (stopped before the swap, as asked) plan');
  expect(built.stdout).toContain('every uuid agrees with the integer it replaces');
  expect(await typeOf('users', 'id')).toBe('integer');

  const status = await uuidmig('status');
  expect(status.stdout).toContain('built, waiting for the swap (apply --until build)');

  const swapped = await uuidmig('apply', '--yes');
  expect(swapped.code, swapped.stderr).toBe(0);
  expect(swapped.stdout).toContain('every uuid agrees with the integer it replaces');
  expect(await typeOf('users', 'id')).toBe('uuid');

  const verified = await uuidmig('verify');
  expect(verified.code, verified.stderr).toBe(0);
  expect(verified.stdout).toMatch(/\(applied, online\): at one snapshot/);
  const json = JSON.parse((await uuidmig('verify', '--json')).stdout);
  expect(json).toMatchObject({ command: 'verify', scope: 'snapshot', ok: true });
  expect(json.agreement.every((a: { rows: number }) => a.rows === 0)).toBe(true);

  const undone = await uuidmig('rollback', '--yes');
  expect(undone.code, undone.stderr).toBe(0);
  expect(await typeOf('users', 'id')).toBe('integer');
  expect((await uuidmig('apply', '--yes')).code).toBe(0);
  const finalized = await uuidmig('finalize', '--yes');
  expect(finalized.code, finalized.stderr).toBe(0);
  const [left] = await db.sql`SELECT count(*)::int AS n FROM pg_trigger WHERE tgname = 'uuidmig_sync'`;
  expect(left!.n).toBe(0);
  expect((await uuidmig('verify')).code).toBe(0);
}, 240_000);

test('--until build is for online plans', async () => {
  const planned = await uuidmig(
    'plan',
    '--schema',
    fixturePath('forum', 'schema'),
    '--orphans',
    'null',
    '--skip-ddl-check',
  );
  expect(planned.code, planned.stderr).toBe(0);
  const r = await uuidmig('apply', '--until', 'build', '--yes');
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('--until build is for online plans');
  expect((await uuidmig('apply', '--until', 'swap', '--yes')).stderr).toContain('--until takes "build"');
});
