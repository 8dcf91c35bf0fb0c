import { expect, test } from 'vitest';
import type { Plan } from '../../src/planner/plan-schema.js';
import { measure } from '../../src/rehearse/report.js';

const step = (id: string, lock: string, table: string | null) => ({ id, lock, table, description: id });

test('holds: in a transaction from the first ACCESS EXCLUSIVE to commit; outside one, each statement', () => {
  const plan = {
    stages: [
      {
        id: '0002',
        name: 'build_users',
        transactional: false,
        steps: [
          step('0002.001', 'ACCESS EXCLUSIVE', 'public.users'),
          step('0002.002', 'SHARE UPDATE EXCLUSIVE', 'public.users'),
        ],
      },
      {
        id: '0003',
        name: 'swap_users',
        transactional: true,
        steps: [
          step('0003.001', 'ACCESS EXCLUSIVE', 'public.users'),
          step('0003.002', 'ACCESS EXCLUSIVE', 'public.users'),
        ],
      },
    ],
  } as unknown as Plan;
  const timing = (stageId: string, ms: number, transactionMs: number, steps: [string, number, number][]) => ({
    stageId,
    ms,
    transactionMs,
    commitMs: 0,
    checkMs: 0,
    lockRetries: 0,
    steps: steps.map(([stepId, offsetMs, stepMs]) => ({ stepId, offsetMs, ms: stepMs, rows: null })),
  });
  const { holds, locks } = measure(plan, [
    {
      stage: timing('0002', 5000, 0, [
        ['0002.001', 0, 3],
        ['0002.002', 3, 4990],
      ]),
      startMs: 1000,
    },
    {
      stage: timing('0003', 400, 120, [
        ['0003.001', 0, 40],
        ['0003.002', 40, 60],
      ]),
      startMs: 7000,
    },
  ]);
  expect(holds).toEqual([
    { table: 'public.users', stage: '0002 build_users', startMs: 1000, ms: 3 },
    { table: 'public.users', stage: '0003 swap_users', startMs: 7280, ms: 120 },
  ]);
  expect(locks).toEqual([{ table: 'public.users', stage: '0003 swap_users', startMs: 7280, ms: 120 }]);
});
