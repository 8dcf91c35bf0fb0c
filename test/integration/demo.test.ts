import { expect, test } from 'vitest';
import { runUuidmig } from '../helpers/cli.js';

/** `uuidmig demo`, exactly as the README says, on its own embedded server: the main job, end to end. */
test('uuidmig demo runs the whole journey and every verification passes', async () => {
  const r = await runUuidmig(['demo']);
  // stderr holds progress only (the load, a statement past its first second), never an error.
  expect(r.stderr.split('\n').filter(Boolean)).toContain('uuidmig: loading the forum (scale 1, about 100000 rows) ...');
  expect(r.stderr.split('\n').filter((l) => l && !l.startsWith('uuidmig: '))).toEqual([]);
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/Created database forum_demo: 11 tables with integer keys, \d{5,} rows\./);
  expect(r.stdout).toMatch(
    new RegExp(
      /refused with --orphans fail:\n {3}/.source +
        /- public\.notifications\.post_id -> public\.posts\.id: 455 row\(s\) point at no public\.posts row/.source,
    ),
  );
  for (const step of [
    '3. uuidmig apply',
    '4. uuidmig verify',
    '5. uuidmig rollback',
    '6. uuidmig verify',
    '7. uuidmig apply (again)',
    '8. uuidmig verify',
  ]) {
    expect(r.stdout).toMatch(new RegExp(`${step.replace(/[.()]/g, '\\$&')} \\(\\d+\\.\\d\\d s\\): ok`));
  }
  // The stages named as apply and rollback name them.
  const stages =
    'stage 0000 rewrite_users \\(1/2\\): \\d+\\.\\d\\d s, stage 0001 validate_users \\(2/2\\): \\d+\\.\\d\\d s';
  expect(r.stdout).toMatch(new RegExp(` {3}${stages}; verify-before and verify-after taken`));
  const undone =
    String.raw`stage 0001 rollback_users \(1/2\): \d+\.\d\d s, ` +
    String.raw`stage 0001\.1 rollback_users \(2/2\): \d+\.\d\d s`;
  expect(r.stdout).toMatch(new RegExp(`integer keys again, row for row: ${undone}`));
  expect(r.stdout).toMatch(/public\.posts\.thread_id -> public\.threads\.id\s+50000\s+0 \/ 0\s+match\s+ok/);
  expect(r.stdout).toContain('Every row kept its parent through apply, rollback and apply again.');
}, 180_000);

test('demo refuses a nonsense scale', async () => {
  const r = await runUuidmig(['demo', '--scale', 'lots']);
  expect(r.code).toBe(2);
  expect(r.stderr).toBe('uuidmig: --scale takes a number above 0 and at most 100, not "lots".\n');
});
