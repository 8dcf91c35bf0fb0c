import { expect } from 'vitest';
import type { PlanResult } from '../../src/api/plan.js';
import { readCatalog } from '../../src/catalog/read-catalog.js';
import type { OrphanPolicy } from '../../src/planner/plan-schema.js';
import { renderStageSql } from '../../src/render/migrations.js';
import { renderSummary } from '../../src/render/summary.js';
import type { TestDatabase } from './database.js';
import { fixturePath, loadFixture } from './fixtures.js';
import { plan } from './plan.js';
import { inRolledBackTransaction } from './rolled-back.js';
import { snapshotRows, translatedRows } from './row-snapshot.js';

export const FIXED_NOW = new Date('2026-01-02T03:04:05Z');

export interface FixturePlan {
  result: PlanResult;
  summary: string;
  sql: string;
}

/** Load a fixture, plan it (nothing written), and render what `uuidmig plan` would print and write. */
export async function planFixture(
  db: TestDatabase,
  name: string,
  orphans: OrphanPolicy = 'fail',
): Promise<FixturePlan> {
  await loadFixture(db.sql, name);
  const result = await plan({
    schema: fixturePath(name, 'schema.ts'),
    databaseUrl: db.url,
    orphans,
    write: false,
    now: FIXED_NOW,
  });
  const summary = renderSummary(result.plan, result.blockers)
    .replace(`database ${db.name} `, 'database <test database> ')
    .replace(/\(PostgreSQL [^)]+\)/, '(PostgreSQL <version>)');
  const sql = result.plan.stages.map((s) => renderStageSql(result.plan, s)).join('\n');
  return { result, summary, sql };
}

/**
 * Run every stage's statements in one transaction, compare every row with its copy from before
 * (uuids translated back through the legacy columns), then roll back: the SQL must run, and it must
 * keep every row and every relationship.
 */
export async function expectPlanPreservesRows(db: TestDatabase, result: PlanResult): Promise<void> {
  const catalog = await readCatalog(db.sql);
  const before = await snapshotRows(db.sql, catalog);
  await inRolledBackTransaction(db.sql, async (tx) => {
    for (const stage of result.plan.stages) for (const step of stage.steps) await tx.unsafe(step.sql);
    const after = await translatedRows(tx, catalog, result.plan);
    expect(Object.fromEntries(after)).toEqual(Object.fromEntries(before));
  });
  // Rolled back: the database is as it was.
  expect(Object.fromEntries(await snapshotRows(db.sql, catalog))).toEqual(Object.fromEntries(before));
}
