import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { readGolden } from '../helpers/fixtures.js';
import { expectPlanPreservesRows, planFixture } from '../helpers/plan-fixture.js';

/**
 * Each fixture: the exact summary and SQL against committed golden files, and the same SQL run on a
 * real database (in a transaction, rolled back) with every row compared before and after.
 */
const cases = [
  'self-reference',
  'composite-fk',
  'key-types',
  'quoted-names',
  'camel-case',
  'second-schema',
  'text-key',
  'repair',
  'deferrable-fk',
  'view-on-key',
  'views-grants',
  'rls-policies',
  'triggers',
  'constraints-indexes',
  'partitioned',
  'partitions-pulled',
  'inheritance',
  'cycle-components',
  'rules',
  'app-supplied-keys',
  'hostile-names',
  'no-pk',
] as const;

let db: TestDatabase;
beforeEach(async (ctx) => {
  db = await createTestDatabase(ctx.task.name);
});
afterEach(async () => db.drop());

describe('planner golden files', () => {
  for (const name of cases) {
    test(name, async () => {
      const { result, summary, sql } = await planFixture(db, name);
      expect(result.blockers).toEqual([]);
      expect(summary).toBe(readGolden(name, 'summary.txt', summary));
      expect(sql).toBe(readGolden(name, 'plan.sql', sql));
      await expectPlanPreservesRows(db, result);
    });
  }

  test('relation-orphans: --orphans null keeps the old values of orphans in post_id_legacy', async () => {
    const name = 'relation-orphans';
    const { result, summary, sql } = await planFixture(db, name, 'null');
    expect(result.blockers).toEqual([]);
    expect(result.plan.references.map((r) => [r.id, r.sources, r.orphans])).toEqual([
      ['public.comments.post_id -> public.posts.id', ['drizzle-relation'], 2],
    ]);
    expect(summary).toBe(readGolden(name, 'summary-null.txt', summary));
    expect(sql).toBe(readGolden(name, 'plan-null.sql', sql));
    await expectPlanPreservesRows(db, result);
  });

  test('relation-orphans: --orphans fail blocks with the exact count', async () => {
    const { result, summary } = await planFixture(db, 'relation-orphans', 'fail');
    expect(result.blockers.map((b) => b.message)).toEqual([
      'public.comments.post_id -> public.posts.id: 2 row(s) point at no public.posts row; ' +
        'fix them, or pass --orphans null (set to NULL, old value kept in post_id_legacy) or --orphans keep.',
    ]);
    expect(summary).toBe(readGolden('relation-orphans', 'summary-fail.txt', summary));
  });

  test('lost-mapping: an integer reference to a uuid key with no legacy column blocks the plan', async () => {
    const { result, summary } = await planFixture(db, 'lost-mapping');
    // One sentence per parent, naming every column that holds its old ids.
    expect(result.blockers.map((b) => [b.kind, b.table.name, b.columns])).toEqual([['lost-mapping', 'roles', []]]);
    expect(result.blockers[0]!.message).toBe(
      "public.roles's key is already uuid, and no integer column of it holds the old ids (none is named " +
        'legacy_id, none is kept unique), so the 1 column(s) that still hold its old integer ids cannot be repaired ' +
        'from this database: public.forum_structure.min_role_id; restore ' +
        'the old ids into a column of public.roles (from a backup taken before the switch, or a mapping table kept ' +
        'by the script that switched it) and pass --legacy-column roles=<that column>.',
    );
    expect(summary).toBe(readGolden('lost-mapping', 'summary.txt', summary));
  });
});
