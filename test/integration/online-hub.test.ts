import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { apply } from '../../src/executor/apply.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { plan } from '../helpers/plan.js';

/**
 * A hub that 60 tables reference still swaps online in one short transaction: one lock statement for
 * the 61 tables, no statement that reads a table, every child proven at one snapshot after it.
 */
const CHILDREN = 60;
const pgCore = path.join(path.dirname(createRequire(import.meta.url).resolve('drizzle-orm')), 'pg-core/index.js');
let db: TestDatabase;
let dir: string;
beforeEach(async (ctx) => {
  db = await createTestDatabase(ctx.task.name);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uuidmig-hub-'));
});
afterEach(async () => {
  await db.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a hub with 60 referencing tables swaps in one transaction that reads no table', async () => {
  const names = Array.from({ length: CHILDREN }, (_, i) => `child_${String(i + 1).padStart(2, '0')}`);
  await db.sql.unsafe(
    [
      'CREATE TABLE accounts (id serial PRIMARY KEY, name text NOT NULL)',
      'INSERT INTO accounts (name) SELECT g::text FROM generate_series(1, 500) g',
      ...names.flatMap((n) => [
        `CREATE TABLE ${n} (id serial PRIMARY KEY, account_id integer NOT NULL REFERENCES accounts (id))`,
        `CREATE INDEX ${n}_account_id_idx ON ${n} (account_id)`,
        `INSERT INTO ${n} (account_id) SELECT 1 + g % 500 FROM generate_series(1, 40) g`,
      ]),
    ].join(';\n'),
  );
  const schema = path.join(dir, 'schema.ts');
  fs.writeFileSync(
    schema,
    [
      `import { index, integer, pgTable, text, uuid } from ${JSON.stringify(pgCore)};`,
      "export const accounts = pgTable('accounts', { id: uuid('id').primaryKey().defaultRandom(), " +
        "name: text('name').notNull() });",
      ...names.map(
        (n) =>
          `export const ${n} = pgTable('${n}', { id: uuid('id').primaryKey().defaultRandom(), ` +
          `accountId: uuid('account_id').notNull().references(() => accounts.id) }, ` +
          `(t) => [index('${n}_account_id_idx').on(t.accountId)]);`,
      ),
    ].join('\n'),
  );
  const made = await plan({ schema, databaseUrl: db.url, out: dir, strategy: 'online' });
  expect(made.blockers).toEqual([]);
  const swaps = made.plan.stages.filter((s) => s.kind === 'swap');
  const hub = swaps.find((s) => s.name === 'swap_accounts')!;
  expect(hub.steps.filter((s) => s.kind === 'lock')).toHaveLength(1);
  expect(hub.steps.find((s) => s.kind === 'lock')!.sql.match(/"child_\d+"/g)).toHaveLength(CHILDREN);
  // Every statement of the swap is a catalog change: no UPDATE, no index build, no validation.
  expect(hub.steps.filter((s) => /^(UPDATE|INSERT|CREATE (UNIQUE )?INDEX)|VALIDATE/.test(s.sql))).toEqual([]);
  const report = await apply({ plan: made.planFile!, databaseUrl: db.url });
  expect(report.ok).toBe(true);
  expect(report.agreement.filter((a) => a.column.endsWith('account_id'))).toHaveLength(CHILDREN);
  expect(report.stages.find((s) => s.stageId === hub.id)!.lockRetries).toBe(0);
  const [fks] = await db.sql`SELECT count(*)::int AS n FROM pg_constraint
    WHERE contype = 'f' AND confrelid = 'accounts'::regclass AND convalidated`;
  expect(fks!.n).toBe(CHILDREN);
}, 240_000);
