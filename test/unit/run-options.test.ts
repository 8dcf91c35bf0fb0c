import { expect, test } from 'vitest';
import { runSettings } from '../../src/cli/run-options.js';
import { UsageError } from '../../src/errors.js';
import { batchPause } from '../../src/executor/run-outside.js';
import { runSettingsFor } from '../../src/executor/run-stage.js';
import type { Plan } from '../../src/planner/plan-schema.js';

const flags = { statementTimeout: '1h' };
const planOf = (strategy: string) => ({ options: { strategy } }) as unknown as Plan;

test('--batch-pause: "auto", a number of ms, or one plain error', () => {
  expect(runSettings({ ...flags, batchPause: 'auto' }).batchPauseMs).toBe('auto');
  expect(runSettings({ ...flags, batchPause: '0' }).batchPauseMs).toBe(0);
  expect(runSettings({ ...flags, batchPause: '250' }).batchPauseMs).toBe(250);
  for (const bad of ['soon', '-1', '1.5', '60001']) {
    expect(() => runSettings({ ...flags, batchPause: bad })).toThrow(UsageError);
    expect(() => runSettings({ ...flags, batchPause: bad })).toThrow(
      `--batch-pause takes "auto" or milliseconds from 0 to 60000, not "${bad}".`,
    );
  }
});

test('online plans pause twice as long as each batch took unless told otherwise; other plans never pause', () => {
  expect(runSettingsFor(planOf('online')).batchPauseMs).toBe('auto');
  expect(runSettingsFor(planOf('online'), { batchPauseMs: 0 }).batchPauseMs).toBe(0);
  expect(runSettingsFor(planOf('rewrite')).batchPauseMs).toBe(0);
  expect(batchPause('auto', 180)).toBe(360);
  expect(batchPause('auto', 0)).toBe(0);
  // A batch slowed by a stall does not stop the walk for long.
  expect(batchPause('auto', 9000)).toBe(2000);
  expect(batchPause(250, 9000)).toBe(250);
  expect(batchPause(0, 180)).toBe(0);
});
