import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { readCatalog } from '../../src/catalog/read-catalog.js';
import { apply } from '../../src/executor/apply.js';
import { openRollback, rollback } from '../../src/executor/rollback.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { fixturePath, loadFixture } from '../helpers/fixtures.js';
import { plan } from '../helpers/plan.js';
import { snapshotRows } from '../helpers/row-snapshot.js';

/**
 * Rollback takes its foreign keys back as a rewrite adds them: NOT VALID under its lock (its own checks
 * prove the rows before it commits), validated in the stage after, while writes go on; a rollback that
 * stopped between the two validates them when run again.
 */
let db: TestDatabase;
let dir: string;
beforeEach(async (ctx) => {
  db = await createTestDatabase(ctx.task.name);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uuidmig-rollback-validate-'));
});
afterEach(async () => {
  await db.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

const notValid = async () =>
  (
    await db.sql<{ n: string }[]>`SELECT conrelid::regclass::text || ' ' || conname AS n FROM pg_constraint
      WHERE contype = 'f' AND NOT convalidated AND connamespace::regnamespace::text <> 'uuidmig' ORDER BY 1`
  ).map((r) => r.n);

test('foreign keys come back NOT VALID under the lock, validated after; an interrupted rollback ends it', async () => {
  await loadFixture(db.sql, 'composite-fk');
  const made = await plan({ schema: fixturePath('composite-fk', 'schema.ts'), databaseUrl: db.url, out: dir });
  const catalog = await readCatalog(db.sql);
  const before = await snapshotRows(db.sql, catalog);
  expect(await notValid()).toEqual([]);
  expect((await apply({ plan: made.planFile!, databaseUrl: db.url })).ok).toBe(true);

  const session = await openRollback({ plan: made.planFile!, databaseUrl: db.url });
  const [undo, validate] = session.stages;
  expect([session.stages.length, undo!.transactional, validate!.transactional, validate!.id]).toEqual([
    2,
    true,
    false,
    `${undo!.id}.1`,
  ]);
  const added = undo!.steps.filter((s) => / FOREIGN KEY /.test(s.sql));
  expect(added.length).toBeGreaterThan(0);
  expect(added.every((s) => s.sql.endsWith(' NOT VALID'))).toBe(true);
  const validated = validate!.steps.map((s) => s.sql.replace(/^.* VALIDATE CONSTRAINT /, ''));
  for (const s of added) expect(validated).toContain(/ADD CONSTRAINT ("(?:[^"]|"")+")/.exec(s.sql)![1]);
  // Stopped after the rollback stage committed, before the validations.
  try {
    await session.runStage(undo!);
  } finally {
    await session.close();
  }
  expect((await notValid()).length).toBe(added.length);
  expect(Object.fromEntries(await snapshotRows(db.sql, catalog))).toEqual(Object.fromEntries(before));

  expect((await rollback({ plan: made.planFile!, databaseUrl: db.url })).ok).toBe(true);
  expect(await notValid()).toEqual([]);
  expect(Object.fromEntries(await snapshotRows(db.sql, catalog))).toEqual(Object.fromEntries(before));
});
