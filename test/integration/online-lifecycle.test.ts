import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { runLifecycle } from '../helpers/lifecycle.js';

/** The fixtures the online strategy converts, through apply -> verify -> rollback -> apply -> finalize. */
let db: TestDatabase;
beforeEach(async (ctx) => {
  db = await createTestDatabase(ctx.task.name);
});
afterEach(async () => db.drop());

describe('--strategy online, the whole journey row for row', () => {
  for (const fixture of [
    'self-reference',
    'composite-fk',
    'key-types',
    'quoted-names',
    'camel-case',
    'second-schema',
    'repair',
    'deferrable-fk',
    'cycle-components',
    'hostile-names',
    'constraints-indexes',
    'triggers',
    'rls-policies',
    'partitioned',
    'partitions-pulled',
    'text-key',
    'no-pk',
  ]) {
    test(fixture, async () => {
      const plan = await runLifecycle(db, fixture, { strategy: 'online' });
      expect(plan.stages.map((s) => s.kind)).toContain('build');
    });
  }
  for (const orphans of ['null', 'keep'] as const) {
    test(`relation-orphans with --orphans ${orphans}`, async () => {
      await runLifecycle(db, 'relation-orphans', { strategy: 'online', orphans });
    });
  }
});
