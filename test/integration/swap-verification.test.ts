import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { apply, openApply } from '../../src/executor/apply.js';
import { sealPlan } from '../../src/planner/seal.js';
import { runChecks } from '../../src/verify/run-checks.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { fixturePath, loadFixture } from '../helpers/fixtures.js';
import { plan } from '../helpers/plan.js';

/** The swap commits only if its component's fingerprints still match verify-before. */
let db: TestDatabase;
let dir: string;
beforeEach(async (ctx) => {
  db = await createTestDatabase(ctx.task.name);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uuidmig-swapcheck-'));
});
afterEach(async () => {
  await db.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a reference filled with the wrong parent is caught inside the swap, which rolls back (exit 4)', async () => {
  await loadFixture(db.sql, 'self-reference');
  // The update strategy, whose separate stages leave a moment to tamper between fill and swap.
  const made = await plan({
    schema: fixturePath('self-reference', 'schema.ts'),
    databaseUrl: db.url,
    out: dir,
    strategy: 'update',
  });
  // What a buggy swap would do: after the refill and the guard, cleo points at ada instead of brian.
  const tampered = structuredClone(made.plan);
  const swapStage = tampered.stages.find((s) => s.kind === 'swap')!;
  const at = swapStage.steps.findIndex((s) => s.kind === 'rename');
  swapStage.steps.splice(at, 0, {
    ...swapStage.steps[at]!,
    id: `${swapStage.id}.bug`,
    kind: 'fill',
    description: 'a buggy fill',
    sql: `UPDATE users SET invited_by__uuidmig_new = (SELECT id__uuidmig_new FROM users WHERE name = 'ada')
          WHERE name = 'cleo'`,
  });
  const session = await openApply({ plan: sealPlan(tampered), databaseUrl: db.url });
  try {
    await session.before?.run();
    const [expand, backfill, swap] = session.stages;
    await session.runStage(expand!);
    await session.runStage(backfill!);
    const error = await session.runStage(swap!).then(
      () => null,
      (e: unknown) => e as { exitCode: number; message: string },
    );
    expect(error?.exitCode).toBe(4);
    expect(error?.message).toContain('failed a check inside its transaction, and the stage was rolled back');
    expect(error?.message).toContain('verification inside the stage (against the baseline taken after its lock');
    expect(error?.message).toContain('found public.users.invited_by -> public.users.id (fingerprint)');
  } finally {
    await session.close();
  }
  const [type] = await db.sql`
    SELECT format_type(atttypid, atttypmod) AS t FROM pg_attribute
    WHERE attrelid = 'users'::regclass AND attname = 'id'`;
  expect(type!.t).toBe('integer');
});

test("apply's verify-after is what each stage checked in its lock: the committed tables, not read again", async () => {
  await loadFixture(db.sql, 'forum');
  const made = await plan({ schema: fixturePath('forum', 'schema'), databaseUrl: db.url, out: dir, orphans: 'null' });
  const report = await apply({ plan: made.planFile!, databaseUrl: db.url });
  expect(report.afterFrom).toBe('in-lock');
  expect(report.ok).toBe(true);
  // Nothing wrote since: a fresh read of every check is exactly what the stages proved at their commit.
  expect(await runChecks(db.sql, made.plan)).toEqual(report.after);
  expect(report.after.filter((c) => c.kind === 'reference').length).toBe(made.plan.references.length);
});
