import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { apply } from '../../src/executor/apply.js';
import { rollback } from '../../src/executor/rollback.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { fixturePath, loadFixture } from '../helpers/fixtures.js';
import { plan } from '../helpers/plan.js';
import { expectPlanPreservesRows } from '../helpers/plan-fixture.js';

/** Problems `plan` must see before anything runs: each blocks with one sentence naming the object. */
let db: TestDatabase;
beforeEach(async (ctx) => {
  db = await createTestDatabase(ctx.task.name);
});
afterEach(async () => db.drop());

test('a legacy column name already in use blocks; --legacy-column picks another', async () => {
  await loadFixture(db.sql, 'self-reference');
  await db.sql`ALTER TABLE users ADD COLUMN legacy_id integer`;
  const schema = fixturePath('self-reference', 'schema.ts');
  const blocked = await plan({ schema, databaseUrl: db.url, write: false });
  expect(blocked.blockers.map((b) => b.message)).toEqual([
    'public.users already has a column "legacy_id", where the old id would be kept; ' +
      'pass --legacy-column with a free name (users=<name> for this table alone).',
  ]);
  const renamed = await plan({ schema, databaseUrl: db.url, write: false, legacyColumn: 'users=old_id' });
  expect(renamed.blockers).toEqual([]);
  expect(renamed.plan.stages.flatMap((s) => s.steps.map((x) => x.sql))).toContain(
    'ALTER TABLE "public"."users" ADD COLUMN "old_id" integer NOT NULL DEFAULT 0',
  );
  await expectPlanPreservesRows(db, renamed);
});

test('repair: each parent kept its old ids under its own name; found, or named per table', async () => {
  await loadFixture(db.sql, 'repair');
  await db.sql`ALTER TABLE posts RENAME COLUMN legacy_id TO old_id`;
  const schema = fixturePath('repair', 'schema.ts');
  // posts has one unique integer column: it is the mapping, found without being named.
  const found = await plan({ schema, databaseUrl: db.url, write: false });
  expect(found.blockers).toEqual([]);
  expect(found.plan.references.map((r) => [r.id, r.joinColumns])).toEqual([
    ['public.comments.author_id -> public.users.id', ['legacy_id']],
    ['public.comments.post_id -> public.posts.id', ['old_id']],
    ['public.posts.author_id -> public.users.id', ['legacy_id']],
  ]);
  await expectPlanPreservesRows(db, found);
  // Two unique integer columns: which one maps is the user's to say.
  await db.sql`ALTER TABLE posts ADD COLUMN import_no integer UNIQUE`;
  const ambiguous = await plan({ schema, databaseUrl: db.url, write: false });
  expect(ambiguous.blockers.map((b) => [b.kind, b.table.name])).toEqual([['lost-mapping', 'posts']]);
  expect(ambiguous.blockers[0]!.message).toContain(
    'several of its unique integer columns could hold the old ids (import_no, old_id) and --legacy-column names none',
  );
  const named = await plan({ schema, databaseUrl: db.url, write: false, legacyColumn: ['posts=old_id'] });
  expect(named.blockers).toEqual([]);
  await expectPlanPreservesRows(db, named);
  await expect(plan({ schema, databaseUrl: db.url, write: false, legacyColumn: ['nope=x'] })).rejects.toThrow(
    '--legacy-column nope=x names no table of this database.',
  );
});

test('a legacy column that maps one old id to two rows blocks the repair', async () => {
  await loadFixture(db.sql, 'repair');
  await db.sql`ALTER TABLE users DROP CONSTRAINT users_legacy_id_key`;
  await db.sql`INSERT INTO users (legacy_id, name) VALUES (2, 'brian again')`;
  const result = await plan({ schema: fixturePath('repair', 'schema.ts'), databaseUrl: db.url, write: false });
  expect(result.blockers.map((b) => b.message)).toEqual([
    'public.users.legacy_id holds 1 value(s) shared by more than one row, ' +
      'so children cannot be mapped back unambiguously; fix the duplicates first.',
  ]);
});

test('orphans in a NOT NULL column block --orphans null', async () => {
  await loadFixture(db.sql, 'relation-orphans');
  await db.sql`DELETE FROM comments WHERE post_id IS NULL`;
  await db.sql`ALTER TABLE comments ALTER COLUMN post_id SET NOT NULL`;
  const result = await plan({
    schema: fixturePath('relation-orphans', 'schema.ts'),
    databaseUrl: db.url,
    write: false,
    orphans: 'null',
  });
  expect(result.blockers.map((b) => b.message)).toEqual([
    'public.comments.post_id is NOT NULL and 2 row(s) have no parent, ' +
      'so --orphans null cannot set them to NULL; fix those rows first.',
  ]);
  // Without --orphans, the refusal does not offer the policies a NOT NULL column cannot take.
  const failed = await plan({
    schema: fixturePath('relation-orphans', 'schema.ts'),
    databaseUrl: db.url,
    write: false,
  });
  expect(failed.blockers.map((b) => b.message)).toEqual([
    'public.comments.post_id -> public.posts.id: 2 row(s) point at no public.posts row; fix them (delete them, or ' +
      'point them at a row): public.comments.post_id is NOT NULL, so neither --orphans null nor --orphans keep can ' +
      'take them.',
  ]);
});

test('a database that already matches the schema has nothing to do', async () => {
  await loadFixture(db.sql, 'text-key');
  const result = await plan({ schema: fixturePath('text-key', 'schema.ts'), databaseUrl: db.url, write: false });
  expect(result.plan.stages.map((s) => s.kind)).toEqual(['rewrite', 'validate']);
  await db.sql`DROP TABLE posts, settings, users`;
  const empty = await plan({ schema: fixturePath('text-key', 'schema.ts'), databaseUrl: db.url, write: false });
  expect(empty.plan.stages).toEqual([]);
  expect(empty.plan.warnings.map((w) => w.kind)).toEqual([
    'table-not-in-database',
    'table-not-in-database',
    'table-not-in-database',
  ]);
});

test('a composite reference partly NULL with its converting column set blocks, naming its query', async () => {
  await loadFixture(db.sql, 'composite-fk');
  await db.sql`ALTER TABLE tasks ALTER COLUMN tenant_id DROP NOT NULL`;
  // MATCH SIMPLE checks neither row: project 2 exists (in tenant 1), project 999 does not.
  await db.sql`INSERT INTO tasks (tenant_id, project_id, title) VALUES (NULL, 2, 'partial'), (NULL, 999, 'dangling')`;
  const schema = fixturePath('composite-fk', 'schema.ts');
  for (const orphans of ['fail', 'null'] as const) {
    const blocked = await plan({ schema, databaseUrl: db.url, write: false, orphans });
    expect(blocked.blockers.map((b) => [b.kind, b.table.name, b.columns])).toEqual([
      ['partly-null-reference', 'tasks', ['project_id']],
    ]);
    const message = blocked.blockers[0]!.message;
    expect(message).toBe(
      'public.tasks(tenant_id, project_id) -> public.projects(tenant_id, id): 2 row(s) of public.tasks hold ' +
        'project_id while another column of the reference is NULL, so their foreign key checks no parent for them ' +
        '(MATCH SIMPLE), and uuidmig, which finds each uuid through the whole reference, would find none. Find ' +
        'them with SELECT * FROM "public"."tasks" AS c WHERE (c."project_id" IS NOT NULL AND ' +
        '(c."tenant_id" IS NULL)); fill in the missing column, set project_id to NULL, or give project_id a ' +
        'reference of its own onto its key (a foreign key, or .references() in the Drizzle schema), then plan again.',
    );
    // The query it gives finds exactly those rows.
    const query = message.slice(message.indexOf('SELECT'), message.indexOf('; fill in'));
    const found = await db.sql.unsafe<{ title: string }[]>(`${query} ORDER BY title`);
    expect(found.map((r) => r.title)).toEqual(['dangling', 'partial']);
  }
  // project_id given a reference of its own onto projects.id: it is filled from that one, so the partial
  // row keeps project 2, and only the dangling one is left, an orphan like any other.
  const ownReference = fs
    .readFileSync(schema, 'utf8')
    .replace("projectId: uuid('project_id'),", "projectId: uuid('project_id').references(() => projects.id),");
  await withSchema(ownReference, async (file) => {
    const own = await plan({ schema: file, databaseUrl: db.url, write: false });
    expect(own.blockers.map((b) => [b.kind, b.reference])).toEqual([
      ['orphans', 'public.tasks.project_id -> public.projects.id'],
    ]);
    // Set aside, the dangling row keeps 999 in project_id_legacy; every other row reads back as it was.
    await expectPlanPreservesRows(db, await plan({ schema: file, databaseUrl: db.url, write: false, orphans: 'null' }));
  });
  // Done as the message says: each row fixed, and a task with a tenant and no project (1, NULL) stays.
  await db.sql`UPDATE tasks AS t SET tenant_id = p.tenant_id FROM projects AS p
    WHERE p.id = t.project_id AND t.tenant_id IS NULL`;
  await db.sql`UPDATE tasks SET project_id = NULL WHERE tenant_id IS NULL`;
  const fixed = await plan({ schema, databaseUrl: db.url, write: false });
  expect(fixed.blockers).toEqual([]);
  await expectPlanPreservesRows(db, fixed);
});

test('a plan whose apply stopped halfway blocks a new plan until it is finished or rolled back', async () => {
  await loadFixture(db.sql, 'composite-fk');
  await db.sql`ALTER TABLE tasks ALTER COLUMN tenant_id DROP NOT NULL`;
  const schema = fixturePath('composite-fk', 'schema.ts');
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'uuidmig-unfinished-'));
  try {
    const first = await plan({ schema, databaseUrl: db.url, out });
    // A row its guard refuses, written since the plan: the run stops, recorded as failed.
    await db.sql`INSERT INTO tasks (tenant_id, project_id, title) VALUES (NULL, 2, 'partly null')`;
    await expect(apply({ plan: first.planFile!, databaseUrl: db.url })).rejects.toThrow(/are set while another/);
    await db.sql`DELETE FROM tasks WHERE title = 'partly null'`;
    const again = await plan({ schema, databaseUrl: db.url, write: false });
    const id = first.plan.id;
    expect(again.blockers.map((b) => [b.kind, b.message])).toEqual([
      [
        'unfinished-plan',
        `Plan ${id} stopped before its end on this database (status failed; some of its stages may have ` +
          `committed), so a new plan would start from a mixed state; finish it with uuidmig apply --plan ` +
          `plans/${id}.json, or undo it with uuidmig rollback --plan plans/${id}.json, then plan again.`,
      ],
    ]);
    expect((await rollback({ plan: first.planFile!, databaseUrl: db.url })).ok).toBe(true);
    expect((await plan({ schema, databaseUrl: db.url, write: false })).blockers).toEqual([]);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});

test('a relation giving a composite reference column another parent blocks, naming both', async () => {
  await loadFixture(db.sql, 'composite-fk');
  // As drizzle-kit pull writes it for the composite key: tenant_id onto projects.id. Tenant ids 1 and 2
  // are project ids too, so the reference would find 0 orphans.
  const schema = fs
    .readFileSync(fixturePath('composite-fk', 'schema.ts'), 'utf8')
    .replace("from 'drizzle-orm/pg-core';", "from 'drizzle-orm/pg-core';\nimport { relations } from 'drizzle-orm';")
    .concat(
      'export const tasksRelations = relations(tasks, ({ one }) => ({\n' +
        '  project: one(projects, { fields: [tasks.tenantId], references: [projects.id] }),\n}));\n',
    );
  const blocked = await withSchema(schema, (file) => plan({ schema: file, databaseUrl: db.url, write: false }));
  expect(blocked.blockers.map((b) => [b.kind, b.message])).toEqual([
    [
      'two-keys',
      [
        'public.tasks.tenant_id is given two parent columns: public.projects.tenant_id (through',
        'public.tasks(tenant_id, project_id) -> public.projects(tenant_id, id), its foreign key,',
        "the Drizzle schema's .references()) and public.projects.id (through public.tasks.tenant_id ->",
        "public.projects.id, the Drizzle schema's relation); a column holds one column's values, so one of",
        'these references is wrong (drizzle-kit pull writes a relation on one column of a composite foreign',
        'key onto the wrong parent column): fix it, then plan again.',
      ].join(' '),
    ],
  ]);
});

/** `text` as a schema file in a project of its own (this repository's node_modules), for `work`. */
async function withSchema<T>(text: string, work: (file: string) => Promise<T>): Promise<T> {
  const project = fs.mkdtempSync(path.join(os.tmpdir(), 'uuidmig-schema-'));
  try {
    fs.symlinkSync(path.resolve(fixturePath(''), '..', '..', 'node_modules'), path.join(project, 'node_modules'));
    fs.writeFileSync(path.join(project, 'schema.ts'), text);
    return await work(path.join(project, 'schema.ts'));
  } finally {
    fs.rmSync(project, { recursive: true, force: true });
  }
}
