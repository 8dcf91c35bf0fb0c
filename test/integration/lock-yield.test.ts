import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { apply } from '../../src/executor/apply.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { fixturePath, loadFixture } from '../helpers/fixtures.js';
import { plan } from '../helpers/plan.js';

/**
 * A stage's LOCK TABLE that waits for one table while holding another can close a cycle with an
 * application transaction (a child row's foreign-key check queued behind it). PostgreSQL cancels
 * whichever waited deadlock_timeout first; the lock's budget (below deadlock_timeout) makes that never
 * the application: the stage yields, backs off and tries again.
 */
let db: TestDatabase;
let dir: string;
beforeEach(async (ctx) => {
  db = await createTestDatabase(ctx.task.name);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uuidmig-yield-'));
  await loadFixture(db.sql, 'composite-fk');
});
afterEach(async () => {
  await db.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test("the application's transaction is never the deadlock victim: the stage yields and retries", async () => {
  const made = await plan({ schema: fixturePath('composite-fk', 'schema.ts'), databaseUrl: db.url, out: dir });
  const b = await db.sql.reserve();
  const a = await db.sql.reserve();
  try {
    await b`BEGIN`;
    await b`INSERT INTO projects (tenant_id, name) VALUES (1, 'held by b')`;
    await a`BEGIN`;
    await a`UPDATE tasks SET title = title WHERE id = 1`;
    const applying = apply({ plan: made.planFile!, databaseUrl: db.url, settings: { retryDelayMs: 200 } });
    // The stage now waits for projects, which b holds.
    for (;;) {
      const [waiting] = await db.sql`SELECT count(*)::int AS n FROM pg_locks
        WHERE NOT granted AND mode = 'AccessExclusiveLock' AND relation = 'projects'::regclass`;
      if (waiting!.n) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    // a's foreign-key check queues behind the stage's request for projects; then b lets projects go.
    const inserting = a`INSERT INTO tasks (tenant_id, project_id, title) VALUES (1, 1, 'added by a')`.execute();
    await new Promise((r) => setTimeout(r, 200));
    await b`COMMIT`;
    await inserting; // no "deadlock detected"
    await a`COMMIT`;
    const report = await applying;
    expect(report.ok).toBe(true);
    expect(report.stages[0]!.lockRetries).toBeGreaterThanOrEqual(1);
    const [row] = await db.sql`SELECT count(*)::int AS n FROM tasks WHERE title = 'added by a'`;
    expect(row!.n).toBe(1);
  } finally {
    a.release();
    b.release();
  }
}, 60_000);
