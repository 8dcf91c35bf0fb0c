import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import * as uuidmigApi from '../../src/index.js';
import { type CliRun, runUuidmig } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { fixturePath, loadFixture } from '../helpers/fixtures.js';

/** Every command's --json output is one document on stdout that its exported zod schema accepts. */
let db: TestDatabase;
let dir: string;
const uuidmig = (...args: string[]): Promise<CliRun> => runUuidmig([...args, '--database-url', db.url], { cwd: dir });

beforeEach(async (ctx) => {
  db = await createTestDatabase(ctx.task.name);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uuidmig-json-'));
});
afterEach(async () => {
  await db.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const { jsonOutputSchemas: schemas } = uuidmigApi;

describe('--json', () => {
  test('plan, apply --dry-run, apply, verify, rollback, apply, finalize: each a valid document', async () => {
    await loadFixture(db.sql, 'self-reference');
    const planned = await uuidmig('plan', '--schema', fixturePath('self-reference', 'schema.ts'), '--json');
    expect(planned.code, planned.stderr).toBe(0);
    const plan = schemas.plan.parse(JSON.parse(planned.stdout));
    expect(plan).toMatchObject({ version: 1, command: 'plan', blocked: false, blockers: [] });
    expect(plan.planFile).toMatch(/plans\/\d{14}_uuid_keys\.json$/);

    const dry = schemas['apply --dry-run'].parse(JSON.parse((await uuidmig('apply', '--dry-run', '--json')).stdout));
    expect(dry).toMatchObject({ command: 'apply --dry-run', refused: false, planId: plan.plan.id });

    const applied = await uuidmig('apply', '--json');
    expect(applied.code, applied.stderr).toBe(0);
    const apply = schemas.apply.parse(JSON.parse(applied.stdout));
    expect(apply).toMatchObject({ command: 'apply', resumed: false, verification: { ok: true } });
    expect(apply.stages.map((s) => s.stageId)).toEqual(['0000', '0001']);

    const verify = schemas.verify.parse(JSON.parse((await uuidmig('verify', '--json')).stdout));
    expect(verify).toMatchObject({ command: 'verify', status: 'applied', ok: true });

    const rolled = schemas.rollback.parse(JSON.parse((await uuidmig('rollback', '--json')).stdout));
    expect(rolled).toMatchObject({ command: 'rollback', verification: { ok: true } });
    expect(rolled.stages.map((s) => s.stageId)).toEqual(['0001', '0001.1']);

    expect((await uuidmig('apply', '--json')).code).toBe(0);
    const finalized = schemas.finalize.parse(JSON.parse((await uuidmig('finalize', '--json')).stdout));
    expect(finalized.dropped).toEqual([
      { table: 'public.users', column: 'legacy_id' },
      { table: 'public.users', column: 'invited_by__uuidmig_old' },
    ]);
  });

  test('a failure is a JSON error on stdout and the same sentence on stderr', async () => {
    const cases: [string[], number][] = [
      [['plan', '--bogus', '--json'], 2],
      [['plan', '--schema', 'x.ts', '--json', '--database-url', 'postgres://u:p%zz@127.0.0.1:1/db'], 2],
      [
        [
          'plan',
          '--schema',
          fixturePath('self-reference', 'schema.ts'),
          '--json',
          '--database-url',
          'postgres://u:pw@127.0.0.1:1/db',
        ],
        3,
      ],
      [['verify', '--plan', 'no-such-plan.json', '--json'], 2],
    ];
    for (const [args, code] of cases) {
      const r = await runUuidmig(args, { cwd: dir });
      expect(r.code, r.stderr).toBe(code);
      const error = schemas.error.parse(JSON.parse(r.stdout));
      expect(error.error.code).toBe(code);
      expect(error.command).toBe(args[0]);
      expect(r.stderr).toBe(`uuidmig: ${error.error.message}\n`);
      expect(r.stdout + r.stderr).not.toContain('p%zz');
    }
  });

  test('a result that exits 1 (verification differs) prints its own document, not an error after it', async () => {
    await loadFixture(db.sql, 'self-reference');
    expect((await uuidmig('plan', '--schema', fixturePath('self-reference', 'schema.ts'))).code).toBe(0);
    expect((await uuidmig('apply')).code).toBe(0);
    await db.sql`UPDATE users SET invited_by = (SELECT id FROM users WHERE name = 'eve') WHERE name = 'cleo'`;
    const r = await uuidmig('verify', '--json');
    expect(r.code).toBe(1);
    const verify = schemas.verify.parse(JSON.parse(r.stdout));
    expect(verify.ok).toBe(false);
    expect(verify.differences.filter((d) => d.differs.length).map((d) => d.differs)).toEqual([['fingerprint']]);
  });
});
