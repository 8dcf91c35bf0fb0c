import { expect, test } from 'vitest';
import type { Step } from '../../src/planner/plan-schema.js';
import { batchProgress, formatSeconds } from '../../src/render/batch-progress.js';
import { statementProgress } from '../../src/render/statement-progress.js';

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

test("a long statement: its time, an index build's phase and share with the phase's time left, throttled", () => {
  let clock = 0;
  const lines: string[] = [];
  const report = statementProgress(
    (l) => lines.push(l),
    5000,
    () => clock,
  );
  const build = { id: '0001.004', description: 'create index posts_pkey__uuidmig_new' } as Step;
  const phase = 'building index: scanning table';
  const state = (ms: number, done: number) => ({ elapsedMs: ms, phase, done, total: 1000, unit: 'blocks' as const });
  clock = 1000;
  report(build, state(1000, 100));
  clock = 2000;
  report(build, state(2000, 200)); // within five seconds of the last line
  clock = 6000;
  report(build, state(6000, 600));
  const fill = { id: '0001.005', description: 'fill public.posts', estimatedRows: 5_000_000 } as Step;
  report(fill, { elapsedMs: 1000, phase: null, done: null, total: null, unit: null });
  expect(lines).toEqual([
    '0001.004 create index posts_pkey__uuidmig_new: running 1 s, building index: scanning table: 10% of 1000 blocks',
    '0001.004 create index posts_pkey__uuidmig_new: running 6 s, building index: scanning table: 60% of 1000 blocks ' +
      '(this phase about 4 s left)',
    '0001.005 fill public.posts: running 1 s (about 5000000 rows)',
  ]);
});
