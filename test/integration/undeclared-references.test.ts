import { afterEach, beforeEach, expect, test } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { fixturePath, loadFixture } from '../helpers/fixtures.js';
import { runLifecycle } from '../helpers/lifecycle.js';
import { plan } from '../helpers/plan.js';

/** Integer columns that hold ids of a converting key but are declared nowhere: listed, settled, converted. */
let db: TestDatabase;
beforeEach(async (ctx) => {
  db = await createTestDatabase(ctx.task.name);
});
afterEach(async () => db.drop());

const schema = fixturePath('undeclared-references', 'schema.ts');
const settled = {
  reference: ['forums.last_post_id=posts.id', 'users.active_frame=frames.id'],
  notAReference: ['likes.content_id', 'orders.external_id'],
};

test('plan lists each likely reference with its evidence, first, and how to settle it', async () => {
  await loadFixture(db.sql, 'undeclared-references');
  const result = await plan({ schema, databaseUrl: db.url, write: false });
  const likely = result.plan.warnings.filter((w) => w.kind === 'likely-reference');
  expect(result.plan.warnings.slice(0, likely.length)).toEqual(likely);
  expect(likely.map((w) => `${w.table.name}.${w.columns[0]}`)).toEqual([
    'forums.last_post_id',
    'likes.content_id',
    'orders.external_id',
    'users.active_frame',
  ]);
  expect(likely[0]!.message).toBe(
    'public.forums.last_post_id looks like a reference to public.posts.id, which becomes uuid, but nothing ' +
      "declares it (its name points at public.posts.id; it has the key's type (integer); of 2 sampled values, 100% " +
      'are public.posts.id values); after finalize it would point at nothing. Settle it: --reference ' +
      'forums.last_post_id=posts.id (it converts and is proven like any other reference) or --not-a-reference ' +
      'forums.last_post_id.',
  );
  expect(likely[3]!.message).toContain('its comment ("the frames row the user shows") names it');
  expect(likely[1]!.message).toContain('if it refers to several (a polymorphic id), it needs its own migration');
});

test('settled: --reference converts them like any other reference, --not-a-reference silences the rest', async () => {
  const made = await runLifecycle(db, 'undeclared-references', {
    plan: settled,
    afterApply: async () => {
      const [forum] = await db.sql`SELECT f.title, p.body FROM forums f JOIN posts p ON p.id = f.last_post_id
        WHERE f.title = 'help'`;
      expect(forum).toEqual({ title: 'help', body: 'e' });
    },
  });
  expect(made.warnings.filter((w) => w.kind === 'likely-reference' || w.kind === 'uuid-without-source')).toEqual([]);
  expect(made.references.filter((r) => r.sources.includes('option')).map((r) => r.id)).toEqual([
    'public.forums.last_post_id -> public.posts.id',
    'public.users.active_frame -> public.frames.id',
  ]);
});

test('a Drizzle reference (or --reference) that disagrees with the foreign key in the database is named', async () => {
  await loadFixture(db.sql, 'undeclared-references');
  await db.sql`CREATE TABLE archived_posts (id integer PRIMARY KEY)`;
  await db.sql`INSERT INTO archived_posts VALUES (1), (2), (3), (4), (5)`;
  await db.sql`ALTER TABLE posts ADD COLUMN quoted_id integer REFERENCES archived_posts (id)`;
  await db.sql`UPDATE posts SET quoted_id = 1`;
  const conflict = fixturePath('undeclared-references', 'conflict-schema.ts');
  const result = await plan({ schema: conflict, databaseUrl: db.url, write: false, ...settled });
  expect(result.plan.warnings.filter((w) => w.kind === 'conflicting-reference').map((w) => w.message)).toEqual([
    'The Drizzle schema says public.posts.quoted_id references public.posts.id, which becomes uuid, but the ' +
      "database's foreign key posts_quoted_id_fkey on it references public.archived_posts.id; one of them is wrong " +
      '(ids that merely overlap look like 0 orphans): fix the Drizzle schema or the foreign key before the migration.',
  ]);
  // Where the numbers do not overlap, the rows are fine by the foreign key: the blocker points at the
  // reference, and gives no advice to delete or null the rows.
  await db.sql`INSERT INTO archived_posts VALUES (999)`;
  await db.sql`UPDATE posts SET quoted_id = 999 WHERE id = 1`;
  const blocked = await plan({ schema: conflict, databaseUrl: db.url, write: false, ...settled });
  expect(blocked.blockers.map((b) => b.message)).toEqual([
    'public.posts.quoted_id -> public.posts.id: 1 row(s) point at no public.posts row through this reference, ' +
      "which the database's own foreign key on the same columns contradicts (see the warning): fix the reference " +
      'in the Drizzle schema (or --reference), not the rows, and plan again.',
  ]);
});

test('--reference and --not-a-reference name a column of this database, or say why not', async () => {
  await loadFixture(db.sql, 'undeclared-references');
  await expect(
    plan({ schema, databaseUrl: db.url, write: false, reference: ['forums.nope=posts.id'] }),
  ).rejects.toThrow(
    '--reference forums.nope names no column of this database (write table.column, or schema.table.column).',
  );
  await expect(plan({ schema, databaseUrl: db.url, write: false, reference: ['forums.last_post_id'] })).rejects.toThrow(
    '--reference forums.last_post_id needs the form child_table.column=parent_table.column.',
  );
});
