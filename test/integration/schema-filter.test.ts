import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { readCatalog } from '../../src/catalog/read-catalog.js';
import { apply } from '../../src/executor/apply.js';
import { rollback } from '../../src/executor/rollback.js';
import { verify } from '../../src/verify/verify.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { fixturePath, loadFixture } from '../helpers/fixtures.js';
import { plan } from '../helpers/plan.js';
import { snapshotRows, translatedRows } from '../helpers/row-snapshot.js';

/**
 * A config whose schemaFilter leaves schemas out: plan reads only its schemas, and apply (and each
 * stage's journal hash) compares the catalog read the same way, so a table outside them is no change.
 */
let db: TestDatabase;
let dir: string;
beforeEach(async (ctx) => {
  db = await createTestDatabase(ctx.task.name);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uuidmig-schema-filter-'));
});
afterEach(async () => {
  await db.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test("schemaFilter: a table outside the config's schemas does not stop apply", async () => {
  await loadFixture(db.sql, 'self-reference');
  await db.sql`CREATE SCHEMA other`;
  await db.sql`CREATE TABLE other.t (id serial PRIMARY KEY)`;
  const config = path.join(dir, 'drizzle.config.ts');
  const schema = fixturePath('self-reference', 'schema.ts');
  fs.writeFileSync(
    config,
    `export default { dialect: 'postgresql', schema: ${JSON.stringify(schema)}, schemaFilter: ['public'], ` +
      `dbCredentials: { url: ${JSON.stringify(db.url)} } };\n`,
  );
  const made = await plan({ config, out: dir });
  expect(made.blockers).toEqual([]);
  expect(made.plan.source.schemaFilter).toEqual(['public']);
  expect(made.plan.catalog.tables.map((t) => t.schema)).not.toContain('other');
  const catalog = await readCatalog(db.sql);
  const before = await snapshotRows(db.sql, catalog);
  expect((await apply({ plan: made.planFile!, databaseUrl: db.url })).ok).toBe(true);
  expect(Object.fromEntries(await translatedRows(db.sql, catalog, made.plan))).toEqual(Object.fromEntries(before));
  expect((await verify({ plan: made.planFile!, databaseUrl: db.url })).ok).toBe(true);
  expect((await rollback({ plan: made.planFile!, databaseUrl: db.url })).ok).toBe(true);
  expect(Object.fromEntries(await snapshotRows(db.sql, catalog))).toEqual(Object.fromEntries(before));
});
