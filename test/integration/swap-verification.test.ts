import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { apply, openApply } from '../../src/executor/apply.js';
import { planChanges } from '../../src/planner/plan-changes.js';
import type { Plan } from '../../src/planner/plan-schema.js';
import { emptiesTables, rewriteCopies } from '../../src/planner/rewrite-stage.js';
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
  const tablesBefore = await runChecks(db.sql, made.plan);
  const report = await apply({ plan: made.planFile!, databaseUrl: db.url });
  // verify-before, read from each rewrite stage's copies, is what the tables gave before apply.
  const byName = (rows: typeof tablesBefore) =>
    [...rows].sort((a, b) => `${a.kind}${a.name}`.localeCompare(`${b.kind}${b.name}`));
  expect(byName(report.before).map(({ maxKey, ...c }) => ({ ...c, maxKey: maxKey ?? null }))).toEqual(
    byName(tablesBefore).map(({ maxKey, ...c }) => ({ ...c, maxKey: maxKey ?? null })),
  );
  expect(report.afterFrom).toBe('in-lock');
  expect(report.ok).toBe(true);
  // Nothing wrote since: a fresh read of every check is exactly what the stages proved at their commit.
  expect(await runChecks(db.sql, made.plan)).toEqual(report.after);
  expect(report.after.filter((c) => c.kind === 'reference').length).toBe(made.plan.references.length);
});

/** A rewrite stage of the self-reference fixture with `extra` steps put in before the step `at` picks. */
async function tamperedRewrite(extra: string[], at: (s: Plan['stages'][number]['steps'][number]) => boolean) {
  await loadFixture(db.sql, 'self-reference');
  const made = await plan({ schema: fixturePath('self-reference', 'schema.ts'), databaseUrl: db.url, out: dir });
  const tampered = structuredClone(made.plan);
  const stage = tampered.stages.find((s) => s.kind === 'rewrite')!;
  const index = stage.steps.findIndex(at);
  stage.steps.splice(
    index,
    0,
    ...extra.map((sql, i) => ({ ...stage.steps[index]!, id: `${stage.id}.bug${i}`, kind: 'fill' as const, sql })),
  );
  return { plan: sealPlan(tampered), stage };
}

const applyFails = (p: Plan) =>
  apply({ plan: p, databaseUrl: db.url }).then(
    () => null,
    (e: unknown) => e as { exitCode: number; message: string },
  );

test('rewrite: a wrong parent written back fails the checks inside the lock', async () => {
  // The rows written back point cleo at ada instead of brian: the checks inside the lock see it.
  const { plan: p } = await tamperedRewrite(
    [`UPDATE users SET invited_by = (SELECT id FROM users WHERE name = 'ada') WHERE name = 'cleo'`],
    (s) => s.kind === 'constraint',
  );
  const error = await applyFails(p);
  expect(error?.exitCode).toBe(4);
  expect(error?.message).toContain('found public.users.invited_by -> public.users.id (fingerprint)');
  const [type] = await db.sql`SELECT format_type(atttypid, atttypmod) AS t FROM pg_attribute
    WHERE attrelid = 'users'::regclass AND attname = 'id'`;
  expect(type!.t).toBe('integer');
});

test('rewrite: a row lost in the rewrite is caught by the table counts', async () => {
  const { plan: p } = await tamperedRewrite([`DELETE FROM users WHERE name = 'eve'`], (s) => s.kind === 'constraint');
  const error = await applyFails(p);
  expect(error?.exitCode).toBe(4);
  expect(error?.message).toContain('public.users (rows)');
});

test('rewrite: a reference hashed with another key than its parent is caught', async () => {
  const { plan: p, stage } = await tamperedRewrite([], () => false);
  const altered = structuredClone(p);
  const rewrite = altered.stages.find((s) => s.id === stage.id)!;
  const at = rewrite.steps.findIndex((s) => s.kind === 'constraint');
  // cleo's uuid made from her inviter's integer, but under another key's number: it points at no one.
  const uuid = `pg_temp."uuidmig_${stage.id}_uuid"`;
  const sql = `UPDATE users SET invited_by = ${uuid}(7, invited_by__uuidmig_old) WHERE name = 'cleo'`;
  rewrite.steps.splice(at, 0, { ...rewrite.steps[at]!, id: `${rewrite.id}.bug`, kind: 'fill', sql });
  const error = await applyFails(sealPlan(altered));
  expect(error?.exitCode).toBe(4);
  expect(error?.message).toContain('found public.users.invited_by -> public.users.id (orphans, fingerprint)');
});

test('copy rewrite (a repair): verify-before is read from the copies (a copy with other values fails)', async () => {
  await loadFixture(db.sql, 'repair');
  const made = await plan({ schema: fixturePath('repair', 'schema.ts'), databaseUrl: db.url, out: dir });
  const altered = structuredClone(made.plan);
  const rewrite = altered.stages.find((s) => s.kind === 'rewrite' && s.steps.some(emptiesTables))!;
  const changes = planChanges(altered).find((c) => c.component.id === rewrite.component)!;
  const copy = rewriteCopies(changes, rewrite.id).get('public\u0000comments')!;
  const at = rewrite.steps.findIndex(emptiesTables);
  // The comment's new post uuid stays: read from the table, before and after would agree.
  const sql = `UPDATE ${copy} SET post_id = NULL WHERE body = 'nice'`;
  rewrite.steps.splice(at, 0, { ...rewrite.steps[at]!, id: `${rewrite.id}.bug`, kind: 'fill', sql });
  const error = await applyFails(sealPlan(altered));
  expect(error?.exitCode).toBe(4);
  expect(error?.message).toContain('public.comments.post_id');
});
