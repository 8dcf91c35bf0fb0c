import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { readCatalog } from '../../src/catalog/read-catalog.js';
import type { Plan } from '../../src/planner/plan-schema.js';
import { sealPlan } from '../../src/planner/seal.js';
import { type CliRun, runUuidmig } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { fixturePath, loadFixture } from '../helpers/fixtures.js';
import { snapshotRows } from '../helpers/row-snapshot.js';

/**
 * The plan that runs is the plan that was reviewed: a plan edited after uuidmig plan wrote it (in its
 * JSON, its migration files, or both with digests recomputed) is refused before anything is written,
 * even its id, so the genuine plan still applies afterwards.
 */
let db: TestDatabase;
let dir: string;
let planFile: string;
let genuine: string;
const uuidmig = (...args: string[]): Promise<CliRun> => runUuidmig([...args, '--database-url', db.url], { cwd: dir });

beforeEach(async (ctx) => {
  db = await createTestDatabase(ctx.task.name);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uuidmig-tamper-'));
  await loadFixture(db.sql, 'self-reference');
  expect((await uuidmig('plan', '--schema', fixturePath('self-reference', 'schema.ts'))).code).toBe(0);
  planFile = path.join(dir, 'plans', fs.readdirSync(path.join(dir, 'plans'))[0]!);
  genuine = fs.readFileSync(planFile, 'utf8');
});
afterEach(async () => {
  await db.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const INJECTED = "; UPDATE public.users SET name = 'PWNED'; GRANT ALL ON public.users TO PUBLIC";

function editPlan(edit: (plan: Plan) => void, reseal = false): void {
  const plan = JSON.parse(genuine) as Plan;
  edit(plan);
  fs.writeFileSync(planFile, JSON.stringify(reseal ? sealPlan(plan) : plan, null, 2));
}

const migrationFile = () => {
  const folder = path.join(dir, 'migrations', path.basename(planFile, '.json'));
  return path.join(folder, fs.readdirSync(folder).find((f) => f.endsWith('.sql'))!);
};

/** Refused with exit 2 before anything was written; the genuine plan then applies. */
async function expectRefused(command: string[], reason: RegExp): Promise<void> {
  const before = await snapshotRows(db.sql, await readCatalog(db.sql));
  const r = await uuidmig(...command);
  expect(r.code, r.stdout).toBe(2);
  expect(r.stderr).toMatch(reason);
  expect(r.stderr).toContain('nothing was run. Make the plan again with uuidmig plan, and review its migration files.');
  expect(await db.sql`SELECT to_regnamespace('uuidmig') IS NULL AS untouched`).toEqual([{ untouched: true }]);
  expect(await snapshotRows(db.sql, await readCatalog(db.sql))).toEqual(before);
  const grants = await db.sql`SELECT count(*)::int AS n FROM information_schema.role_table_grants
    WHERE table_name = 'users' AND grantee = 'PUBLIC'`;
  expect(grants).toEqual([{ n: 0 }]);
}

test('SQL appended to a step in the plan JSON: refused by the stage digest, by apply and by its dry run', async () => {
  editPlan((plan) => {
    plan.stages[0]!.steps[5]!.sql += INJECTED;
  });
  const reason = new RegExp(
    /The plan file .* was changed after uuidmig plan wrote it: /.source +
      /the statements of stage 0000 rewrite_users do not match the stage's digest/.source,
  );
  await expectRefused(['apply', '--plan', planFile], reason);
  await expectRefused(['apply', '--dry-run', '--plan', planFile], reason);
  fs.writeFileSync(planFile, genuine);
  const applied = await uuidmig('apply', '--plan', planFile);
  expect(applied.code, applied.stderr).toBe(0);
});

test('the same edit with every digest recomputed: refused, it differs from the reviewed migration file', async () => {
  editPlan((plan) => {
    plan.stages[0]!.steps[5]!.sql += INJECTED;
  }, true);
  await expectRefused(
    ['apply', '--plan', planFile],
    /does not match the migrations reviewed in .*: 0000_rewrite_users\.sql carries another digest than stage 0000/,
  );
});

test('an edited migration file, and an edited definition the rollback would rebuild from', async () => {
  fs.appendFileSync(migrationFile(), `--> statement-breakpoint\nGRANT ALL ON public.users TO PUBLIC;\n`);
  await expectRefused(
    ['apply', '--plan', planFile],
    /the statements in 0000_rewrite_users\.sql were edited after uuidmig plan wrote them/,
  );
  editPlan((plan) => {
    plan.catalog.tables[0]!.indexes[0]!.definition += INJECTED;
  });
  await expectRefused(['apply', '--plan', planFile], /its content does not match the plan's digest/);
});
