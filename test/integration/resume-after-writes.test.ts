import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { apply, openApply } from '../../src/executor/apply.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { fixturePath, loadFixture } from '../helpers/fixtures.js';
import { plan } from '../helpers/plan.js';

/**
 * A resumed apply reads the tables after the application wrote between its runs: every stage proved
 * its rows before it committed, so rows moved since are the application's, reported, and apply is ok.
 */
let db: TestDatabase;
let dir: string;
beforeEach(async (ctx) => {
  db = await createTestDatabase(ctx.task.name);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uuidmig-resume-writes-'));
});
afterEach(async () => {
  await db.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('apply resumed after the application moved a row of a committed stage: ok, the move reported', async () => {
  await loadFixture(db.sql, 'cycle-components');
  const made = await plan({ schema: fixturePath('cycle-components', 'schema.ts'), databaseUrl: db.url, out: dir });
  const session = await openApply({ plan: made.planFile!, databaseUrl: db.url });
  try {
    await session.before?.run();
    await session.runStage(session.stages[0]!); // players' rewrite commits; the process dies here
  } finally {
    await session.close();
  }
  // The application, between the two runs, moves brian to the blue team.
  await db.sql`UPDATE players SET team_id = (SELECT id FROM teams WHERE name = 'blue') WHERE name = 'brian'`;
  const resumed = await apply({ plan: made.planFile!, databaseUrl: db.url });
  expect([resumed.resumed, resumed.ok, resumed.afterFrom]).toEqual([true, true, 'read']);
  expect(resumed.sinceApply.filter((c) => c.change === 'repointed').map((c) => [c.name, c.moved])).toEqual([
    ['public.players.team_id -> public.teams.id', 1],
  ]);
});
