import { afterEach, beforeEach, expect, test } from 'vitest';
import { readCatalog } from '../../src/catalog/read-catalog.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { planFixture } from '../helpers/plan-fixture.js';
import { inRolledBackTransaction } from '../helpers/rolled-back.js';
import { snapshotRows, translatedRows } from '../helpers/row-snapshot.js';

/** The row comparison the planner tests rely on must fail when one row points at another parent. */
let db: TestDatabase;
beforeEach(async () => {
  db = await createTestDatabase('row_comparison');
});
afterEach(async () => db.drop());

test('moving one child row to another parent is caught', async () => {
  const { result } = await planFixture(db, 'self-reference');
  const catalog = await readCatalog(db.sql);
  const before = await snapshotRows(db.sql, catalog);
  await inRolledBackTransaction(db.sql, async (tx) => {
    for (const stage of result.plan.stages) for (const step of stage.steps) await tx.unsafe(step.sql);
    expect(Object.fromEntries(await translatedRows(tx, catalog, result.plan))).toEqual(Object.fromEntries(before));
    await tx`UPDATE users SET invited_by = (SELECT id FROM users WHERE name = 'ada') WHERE name = 'cleo'`;
    const moved = await translatedRows(tx, catalog, result.plan);
    expect(Object.fromEntries(moved)).not.toEqual(Object.fromEntries(before));
    expect(moved.get('public.users')).toContain('{"id": 3, "name": "cleo", "invited_by": 1}');
  });
});
