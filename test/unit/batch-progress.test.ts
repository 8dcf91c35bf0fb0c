import { expect, test } from 'vitest';
import { batchProgress, formatSeconds } from '../../src/cli/batch-progress.js';
import type { Step } from '../../src/planner/plan-schema.js';

const step = {
  id: '0001.003',
  table: 'public.posts',
  estimatedRows: 100_000,
} as Step;

test('a batched step reports rows, rate and time left, at most every two seconds', () => {
  let clock = 0;
  const lines: string[] = [];
  const report = batchProgress(
    (l) => lines.push(l),
    () => clock,
  );
  report(step, 5000); // starts the step's clock
  clock = 1000;
  report(step, 10_000); // too soon
  clock = 2000;
  report(step, 20_000);
  clock = 3000;
  report(step, 25_000);
  clock = 4000;
  report(step, 40_000);
  expect(lines).toEqual([
    '0001.003 public.posts: 20000 rows so far (10000 rows/s, about 8 s left)',
    '0001.003 public.posts: 40000 rows so far (10000 rows/s, about 6 s left)',
  ]);
  expect([formatSeconds(59.2), formatSeconds(125), formatSeconds(7300)]).toEqual(['60 s', '2 min 5 s', '2 h 2 min']);
});
