import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { apply } from '../../src/executor/apply.js';
import { saveChecks } from '../../src/executor/bookkeeping.js';
import type { Plan } from '../../src/planner/plan-schema.js';
import { type CheckRow, runChecks } from '../../src/verify/run-checks.js';
import { verify } from '../../src/verify/verify.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { fixturePath, loadFixture } from '../helpers/fixtures.js';
import { plan } from '../helpers/plan.js';

/**
 * The fingerprint of each reference, in both formulas: 2 (integers hashed as integers, recorded with a
 * `.2` fraction) and 1 (text, what uuidmig recorded before), which verify still uses against a baseline
 * recorded in 1. Each catches one moved row, and tells a NULL reference from one set.
 */
let db: TestDatabase;
let dir: string;
beforeEach(async (ctx) => {
  db = await createTestDatabase(ctx.task.name);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uuidmig-fingerprints-'));
  await loadFixture(db.sql, 'composite-fk');
});
afterEach(async () => {
  await db.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const references = (rows: CheckRow[]) =>
  Object.fromEntries(rows.filter((r) => r.kind === 'reference').map((r) => [r.name, r]));

async function planned(): Promise<Plan> {
  const made = await plan({ schema: fixturePath('composite-fk', 'schema.ts'), databaseUrl: db.url, out: dir });
  expect(made.blockers).toEqual([]);
  return made.plan;
}

test('formulas 2 and 1 each catch a moved row, a swap and a NULL set; orphans are counted alike', async () => {
  const p = await planned();
  type Q = Pick<TestDatabase['sql'], 'unsafe'>;
  const take = async (q: Q) => ({
    v2: references(await runChecks(q, p)),
    v1: references(await runChecks(q, p, undefined, 1)),
  });
  const before = await take(db.sql);
  const names = Object.keys(before.v2);
  expect(names.length).toBeGreaterThanOrEqual(3);
  for (const name of names) {
    expect(before.v2[name]!.fingerprint).toMatch(/^-?\d+\.2$/);
    expect(before.v1[name]!.fingerprint).toMatch(/^-?\d+$/);
    expect(before.v2[name]!.orphans).toBe(before.v1[name]!.orphans);
  }
  /** The references whose fingerprint the statement changes, in each formula (rolled back after). */
  const changed = async (statement: string) => {
    const now = await db.sql
      .begin(async (tx) => {
        await tx.unsafe(statement);
        throw await take(tx);
      })
      .catch((taken: Awaited<ReturnType<typeof take>>) => taken);
    const differs = (v: 'v1' | 'v2') => names.filter((n) => now[v][n]!.fingerprint !== before[v][n]!.fingerprint);
    return { v2: differs('v2'), v1: differs('v1') };
  };
  const byPrefix = (prefix: string) => names.filter((n) => n.startsWith(prefix));
  // A member row's identity is (project_id, user_id): moving it changes both of its references.
  const members = byPrefix('public.project_members.');
  const tasks = byPrefix('public.tasks(');
  expect(members).toHaveLength(2);
  expect(tasks).toHaveLength(1);
  const moved = await changed('UPDATE project_members SET user_id = 3 WHERE project_id = 1 AND user_id = 1');
  expect(moved).toEqual({ v2: members, v1: members });
  // Two tasks swap their projects: every row is still there, each pointing elsewhere.
  const swapped = await changed(
    `UPDATE tasks SET project_id = CASE project_id WHEN 1 THEN 2 ELSE 1 END WHERE project_id IN (1, 2)`,
  );
  expect(swapped).toEqual({ v2: tasks, v1: tasks });
  // The unfiled task gets a project: its NULL and the value differ.
  expect(await changed(`UPDATE tasks SET project_id = 1 WHERE title = 'unfiled'`)).toEqual({ v2: tasks, v1: tasks });
});

test('verify compares with a baseline an earlier uuidmig recorded in formula 1 in that formula', async () => {
  const p = await planned();
  const old = await runChecks(db.sql, p, undefined, 1);
  await apply({ plan: p, databaseUrl: db.url });
  await saveChecks(db.sql, p.id, 'before', old);
  const ok = await verify({ plan: p, databaseUrl: db.url });
  expect(ok.ok).toBe(true);
  expect(ok.differences.filter((d) => d.differs.length)).toEqual([]);
  expect(ok.differences.find((d) => d.kind === 'reference')?.now?.fingerprint).toMatch(/^-?\d+$/);
  // A row moved since apply: verify names it, in formula 1 too.
  await db.sql`UPDATE project_members SET user_id = (SELECT id FROM users WHERE legacy_id = 3)
    WHERE user_id = (SELECT id FROM users WHERE legacy_id = 1)
      AND project_id = (SELECT id FROM projects WHERE legacy_id = 1)`;
  const moved = await verify({ plan: p, databaseUrl: db.url });
  const differ = moved.differences.filter((d) => d.differs.includes('fingerprint')).map((d) => d.name);
  expect(differ).toEqual([
    expect.stringMatching(/^public\.project_members\./),
    expect.stringMatching(/^public\.project_members\./),
  ]);
});
