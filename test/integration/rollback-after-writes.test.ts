import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { jsonOutputSchemas } from '../../src/index.js';
import { type CliRun, runUuidmig } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { fixturePath, loadFixture } from '../helpers/fixtures.js';

/**
 * The application keeps working between apply and rollback: rows it inserted, deleted or re-pointed
 * are not damage. Rollback proves its own work inside its transaction and reports the rest apart.
 */
let db: TestDatabase;
let dir: string;
const uuidmig = (...args: string[]): Promise<CliRun> => runUuidmig([...args, '--database-url', db.url], { cwd: dir });

beforeEach(async (ctx) => {
  db = await createTestDatabase(ctx.task.name);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uuidmig-rollback-'));
  await loadFixture(db.sql, 'self-reference');
  expect((await uuidmig('plan', '--schema', fixturePath('self-reference', 'schema.ts'))).code).toBe(0);
  expect((await uuidmig('apply')).code).toBe(0);
});
afterEach(async () => {
  await db.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const idOf = async (name: string) => (await db.sql`SELECT id FROM users WHERE name = ${name}`)[0]!.id;

test('inserted and re-pointed rows: exit 0, every integer right, the changes reported apart', async () => {
  await db.sql`INSERT INTO users (name, invited_by) VALUES ('fay', ${await idOf('ada')})`;
  await db.sql`UPDATE users SET invited_by = ${await idOf('eve')} WHERE name = 'cleo'`;
  const r = await uuidmig('rollback', '--json');
  expect(r.code, r.stderr).toBe(0);
  const report = jsonOutputSchemas.rollback.parse(JSON.parse(r.stdout));
  expect(report.verification).toEqual({ ok: true, differences: [] });
  expect(report.sinceApply.map((c) => [c.name, c.rowsAtApply, c.rowsNow, c.inserted, c.deleted, c.change])).toEqual([
    ['public.users', 5, 6, 1, 0, 'rows'],
    ['public.users.invited_by -> public.users.id', 5, 6, null, null, 'repointed'],
  ]);
  // The rows written after apply got their integers too: fay's from the sequence, pointing at ada.
  const rows = await db.sql`SELECT u.name, p.name AS inviter FROM users u LEFT JOIN users p ON p.id = u.invited_by
    ORDER BY u.id`;
  expect(rows.map((x) => [x.name, x.inviter])).toEqual([
    ['ada', null],
    ['brian', 'ada'],
    ['cleo', 'eve'],
    ['dan', 'brian'],
    ['eve', null],
    ['fay', 'ada'],
  ]);
  expect(r.stderr).toContain('public.users.invited_by -> public.users.id: 6 rows hold the integer of the parent');
});

test('a deleted row is told as deleted; the text report says what changed since apply', async () => {
  await db.sql`DELETE FROM users WHERE name = 'dan'`;
  const r = await uuidmig('rollback');
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toContain('Every row holds the integer of the parent its uuid pointed to');
  expect(r.stdout).toContain("Since apply (the application's writes, not the rollback's):");
  expect(r.stdout).toContain('  table public.users: 5 -> 4 rows (0 inserted, 1 deleted)');
  expect(r.stdout).toContain(
    '  public.users.invited_by -> public.users.id: 5 -> 4 rows, rows written since apply that cannot be told from ' +
      'the rows of apply time (deleted ones, or no key)',
  );
});

test('a restore that goes wrong fails its proof: exit 4, the stage rolled back, still on uuid keys', async () => {
  // A trigger made after the plan (so not held off) corrupts the integer put back for a new row.
  await db.sql`INSERT INTO users (name, invited_by) VALUES ('fay', ${await idOf('ada')})`;
  await db.sql.unsafe(`CREATE FUNCTION corrupt() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN NEW.invited_by__uuidmig_old := 4; RETURN NEW; END $$`);
  await db.sql`CREATE TRIGGER corrupt BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION corrupt()`;
  const r = await uuidmig('rollback');
  expect(r.code).toBe(4);
  expect(r.stderr).toContain('failed a check inside its transaction, and the stage was rolled back');
  expect(r.stderr).toContain('the integers put back would not match the uuids they replace');
  const [type] = await db.sql`SELECT format_type(atttypid, atttypmod) AS t FROM pg_attribute
    WHERE attrelid = 'users'::regclass AND attname = 'id'`;
  expect(type!.t).toBe('uuid');
});
