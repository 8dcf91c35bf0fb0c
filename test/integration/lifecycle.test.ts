import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { runLifecycle } from '../helpers/lifecycle.js';

/** Every fixture through apply -> verify -> rollback -> verify -> apply -> verify -> finalize. */
let db: TestDatabase;
beforeEach(async (ctx) => void (db = await createTestDatabase(ctx.task.name)));
afterEach(async () => db.drop());

describe('the whole journey, row for row', () => {
  for (const fixture of ['self-reference', 'composite-fk', 'key-types', 'quoted-names', 'camel-case', 'second-schema', 'text-key', 'repair', 'deferrable-fk', 'view-on-key']) {
    test(fixture, async () => {
      const plan = await runLifecycle(db, fixture);
      expect(plan.stages.length).toBeGreaterThan(0);
    });
  }

  test('relation-orphans with --orphans null', async () => {
    await runLifecycle(db, 'relation-orphans', 'null');
    const rows = await db.sql`SELECT body FROM comments WHERE post_id IS NULL ORDER BY body`;
    expect(rows.map((r) => r.body)).toEqual(['no post', 'orphan from an old import', 'orphan of a deleted post']);
  });

  test('relation-orphans with --orphans keep keeps the old values after finalize', async () => {
    await runLifecycle(db, 'relation-orphans', 'keep');
    const rows = await db.sql`SELECT post_id_legacy FROM comments WHERE post_id_legacy IS NOT NULL ORDER BY 1`;
    expect(rows.map((r) => r.post_id_legacy)).toEqual([3, 99]);
  });
});
