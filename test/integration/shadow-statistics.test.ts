import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { openApply } from '../../src/executor/apply.js';
import type { Plan, Strategy } from '../../src/planner/plan-schema.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { fixturePath, loadFixture } from '../helpers/fixtures.js';
import { plan } from '../helpers/plan.js';

/**
 * The swap plans its queries on the shadow columns' statistics: taken between expand and backfill
 * (an ANALYZE, or autovacuum after the expand's writes), they say every shadow is NULL, and the swap's
 * refill, guards and foreign key rebuilds get nested loops under its lock. The backfill ends with an
 * ANALYZE of the shadows, so the statistics the swap reads are those of the filled columns.
 */
let db: TestDatabase;
let dir: string;
beforeEach(async (ctx) => {
  db = await createTestDatabase(ctx.task.name);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uuidmig-stats-'));
});
afterEach(async () => {
  await db.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** pg_stats' null fraction of each (table, column), the table's own rows (not its inheritance tree's). */
async function nullFractions(columns: [string, string][]): Promise<(number | null)[]> {
  return Promise.all(
    columns.map(async ([table, column]) => {
      const [row] = await db.sql<{ f: number }[]>`
        SELECT null_frac AS f FROM pg_stats
        WHERE schemaname = 'public' AND tablename = ${table} AND attname = ${column} AND NOT inherited`;
      return row ? Number(row.f) : null;
    }),
  );
}

/** Plan, run the stages up to the backfill with an ANALYZE after the expand, then the rest. */
async function applyWithAnalyzeAfterExpand(
  fixture: string,
  strategy: Strategy | undefined,
  shadows: [string, string][],
): Promise<{ plan: Plan; before: (number | null)[]; after: (number | null)[] }> {
  await loadFixture(db.sql, fixture);
  const made = await plan({ schema: fixturePath(fixture, 'schema.ts'), databaseUrl: db.url, out: dir, strategy });
  expect(made.blockers).toEqual([]);
  const session = await openApply({ plan: made.planFile!, databaseUrl: db.url });
  let before: (number | null)[] = [];
  let after: (number | null)[] = [];
  try {
    await session.before?.run();
    for (const stage of session.stages) {
      await session.runStage(stage);
      if (stage.kind === 'expand') {
        // What the user (or autovacuum) did between the expand and the backfill.
        await db.sql.unsafe(`ANALYZE ${[...new Set(shadows.map(([t]) => t))].join(', ')}`);
        before = await nullFractions(shadows);
      }
      if (stage.kind === 'backfill') after = await nullFractions(shadows);
    }
    expect((await session.after!.run()).ok).toBe(true);
  } finally {
    await session.close();
  }
  return { plan: made.plan, before, after };
}

const analyzeSteps = (p: Plan) =>
  p.stages
    .filter((s) => s.kind === 'backfill')
    .flatMap((s) => s.steps.filter((step) => step.sql.startsWith('ANALYZE ')))
    .map((step) => [step.sql, step.lock]);

test('update: statistics of the shadows are those of the filled columns after the backfill', async () => {
  const shadows: [string, string][] = [['users', 'invited_by__uuidmig_new']];
  const { plan: p, before, after } = await applyWithAnalyzeAfterExpand('self-reference', 'update', shadows);
  // Taken after the expand: all NULL. After the backfill: 2 of 5 rows invited by no one.
  expect(before).toEqual([1]);
  expect(after).toEqual([0.4]);
  expect(analyzeSteps(p)).toEqual([['ANALYZE "public"."users" ("invited_by__uuidmig_new")', 'SHARE UPDATE EXCLUSIVE']]);
});

test('inheritance under rewrite (updated in place): the children are analyzed for themselves', async () => {
  const shadows: [string, string][] = [
    ['vehicles', 'owner_id__uuidmig_new'],
    ['cars', 'owner_id__uuidmig_new'],
    ['trucks', 'owner_id__uuidmig_new'],
    ['trucks', 'maker_id__uuidmig_new'],
  ];
  const { plan: p, before, after } = await applyWithAnalyzeAfterExpand('inheritance', undefined, shadows);
  expect(before).toEqual([1, 1, 1, 1]);
  // vehicles: its one row has an owner; cars: one of two; trucks: both have owners, one a maker.
  expect(after).toEqual([0, 0.5, 0, 0.5]);
  expect(analyzeSteps(p).map(([sql]) => sql)).toEqual([
    'ANALYZE "public"."trucks" ("maker_id__uuidmig_new", "owner_id__uuidmig_new")',
    'ANALYZE "public"."vehicles" ("owner_id__uuidmig_new")',
    'ANALYZE "public"."cars" ("owner_id__uuidmig_new")',
  ]);
});

test('online: the backfill ends with the same ANALYZE, before the build and the swap', async () => {
  const shadows: [string, string][] = [['users', 'invited_by__uuidmig_new']];
  const { plan: p, before, after } = await applyWithAnalyzeAfterExpand('self-reference', 'online', shadows);
  expect(before).toEqual([1]);
  expect(after).toEqual([0.4]);
  const backfill = p.stages.find((s) => s.kind === 'backfill')!;
  expect(backfill.steps.at(-1)).toMatchObject({ lock: 'SHARE UPDATE EXCLUSIVE', transactional: false });
  expect(analyzeSteps(p)).toEqual([
    ['ANALYZE "public"."users" ("id__uuidmig_new", "invited_by__uuidmig_new")', 'SHARE UPDATE EXCLUSIVE'],
  ]);
});
