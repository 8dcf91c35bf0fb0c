import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { runUuidmig } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { fixturePath, loadFixture } from '../helpers/fixtures.js';

/** One options contract: --config read the same way by every command, unused options refused, stdout kept. */
let db: TestDatabase;
let project: string;
let elsewhere: string;

beforeAll(async () => {
  db = await createTestDatabase('options_contract');
  await loadFixture(db.sql, 'self-reference');
  project = fs.mkdtempSync(path.join(os.tmpdir(), 'uuidmig-project-'));
  elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'uuidmig-elsewhere-'));
  // A config that prints while it loads, as real ones do (dotenv banners, a logged URL).
  fs.writeFileSync(
    path.join(project, 'drizzle.config.ts'),
    [
      "console.log('loading the drizzle config');",
      'export default {',
      "  dialect: 'postgresql',",
      `  schema: ${JSON.stringify(fixturePath('self-reference', 'schema.ts'))},`,
      `  dbCredentials: { url: ${JSON.stringify(db.url)} },`,
      '};',
      '',
    ].join('\n'),
  );
});

afterAll(async () => {
  await db.drop();
  for (const dir of [project, elsewhere]) fs.rmSync(dir, { recursive: true, force: true });
});

test('a command refuses an option it does not use, in one sentence with exit 2', async () => {
  for (const [args, option] of [
    [['apply', '--schema', 'schema.ts'], '--schema'],
    [['verify', '--yes'], '--yes'],
    [['plan', '--yes'], '--yes'],
    [['status', '--plan', 'p.json'], '--plan'],
  ] as const) {
    const r = await runUuidmig([...args], { cwd: elsewhere });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`uuidmig: Unknown option '${option}'; see uuidmig --help.\n`);
  }
});

test('--config gives every command its database and plans folder; what a config prints stays off stdout', async () => {
  const config = path.join(project, 'drizzle.config.ts');
  const planned = await runUuidmig(['plan', '--config', config, '--json'], { cwd: elsewhere });
  expect(planned.code).toBe(0);
  expect(JSON.parse(planned.stdout).command).toBe('plan');
  expect(planned.stderr).toContain('loading the drizzle config');
  // The plan is written beside the config, and found there from any folder.
  expect(fs.readdirSync(path.join(project, 'plans'))).toHaveLength(1);
  expect(fs.existsSync(path.join(elsewhere, 'plans'))).toBe(false);

  const dryRun = await runUuidmig(['apply', '--config', config, '--dry-run', '--json'], { cwd: elsewhere });
  expect(dryRun.code).toBe(0);
  expect(JSON.parse(dryRun.stdout).command).toBe('apply --dry-run');
  for (const command of ['apply', 'verify', 'rollback', 'apply', 'finalize']) {
    const args = command === 'verify' ? [command] : [command, '--yes'];
    const r = await runUuidmig([...args, '--config', config, '--json'], { cwd: elsewhere });
    expect({ command, code: r.code, error: r.code ? r.stdout : '' }).toEqual({ command, code: 0, error: '' });
    expect(JSON.parse(r.stdout).command).toBe(command);
  }
  const status = await runUuidmig(['status', '--config', config, '--json'], { cwd: elsewhere });
  expect(status.code).toBe(0);
  expect(JSON.parse(status.stdout).plans[0].state).toMatch(/finalized/);
}, 240_000);
