import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { UuidmigError } from '../../src/errors.js';
import { apply } from '../../src/executor/apply.js';
import { openRollback, rollback } from '../../src/executor/rollback.js';
import { runSettingsFor, runStage, StepFailedError } from '../../src/executor/run-stage.js';
import type { Plan } from '../../src/planner/plan-schema.js';
import { onlineAgreement } from '../../src/verify/shadow-agreement.js';
import { verify } from '../../src/verify/verify.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { fixturePath, loadFixture } from '../helpers/fixtures.js';
import { plan } from '../helpers/plan.js';

/**
 * The online strategy on the forum while the application writes, the whole way: writers insert users
 * and posts, re-point posts and delete them, through every stage and across the swap, in statements
 * that name parents by their own unique columns (so they run the same on integer and uuid keys).
 * No writer may fail, no acknowledged write may be lost or lead to another parent, and the swap's
 * transaction reads no table and writes no row.
 */
let db: TestDatabase;
let out: string;
beforeEach(async (ctx) => {
  db = await createTestDatabase(ctx.task.name);
  await loadFixture(db.sql, 'forum');
  out = fs.mkdtempSync(path.join(os.tmpdir(), 'uuidmig-online-'));
});
afterEach(async () => {
  await db.drop();
  fs.rmSync(out, { recursive: true, force: true });
});

async function onlinePlan(): Promise<{ plan: Plan; file: string }> {
  const made = await plan({
    schema: fixturePath('forum', 'schema'),
    databaseUrl: db.url,
    out,
    strategy: 'online',
    orphans: 'null',
    batchSize: 300,
  });
  expect(made.blockers).toEqual([]);
  return { plan: made.plan, file: made.planFile! };
}

interface Acknowledged {
  /** post body -> the thread title and author email it was last acknowledged with (null: deleted). */
  posts: Map<string, { thread: string; author: string } | null>;
  /** user email -> inviter email. */
  users: Map<string, string>;
  errors: string[];
}

function startWriters(count: number) {
  const seen: Acknowledged = { posts: new Map(), users: new Map(), errors: [] };
  let done = false;
  const running = Array.from({ length: count }, async (_, w) => {
    // No prepared statements: a cached plan of a column whose type changes fails once after the swap.
    const sql = postgres(db.url, { max: 1, prepare: false, onnotice: () => {} });
    try {
      for (let i = 0; !done && i < 100_000; i++) {
        const author = `user ${1 + ((i * 7 + w) % 300)}@example.com`.replace('user ', 'user');
        const thread = `thread ${1 + ((i * 11 + w) % 200)}`;
        const body = `w${w}-${i}`;
        try {
          const [row] = await sql`INSERT INTO posts (thread_id, author_id, body)
            SELECT t.id, u.id, ${body} FROM threads t, users u WHERE t.title = ${thread} AND u.email = ${author}
            RETURNING 1 AS ok`;
          if (row) seen.posts.set(body, { thread, author });
          if (i % 3 === 2) {
            const earlier = `w${w}-${i - 1}`;
            const to = `user${1 + ((i * 13) % 300)}@example.com`;
            const moved = await sql`UPDATE posts SET author_id = (SELECT id FROM users WHERE email = ${to})
              WHERE body = ${earlier}`;
            const was = seen.posts.get(earlier);
            if (moved.count && was) seen.posts.set(earlier, { ...was, author: to });
          }
          if (i % 5 === 4) {
            const gone = `w${w}-${i - 2}`;
            const deleted = await sql`DELETE FROM posts WHERE body = ${gone}`;
            if (deleted.count) seen.posts.set(gone, null);
          }
          if (i % 7 === 0) {
            const email = `new-${w}-${i}@example.com`;
            const [user] = await sql`INSERT INTO users (email, name, invited_by)
              SELECT ${email}, 'new', id FROM users WHERE email = ${author} RETURNING 1 AS ok`;
            if (user) seen.users.set(email, author);
          }
        } catch (error) {
          seen.errors.push(`${body}: ${(error as Error).message}`);
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    } finally {
      await sql.end();
    }
  });
  return {
    seen,
    stop: async () => {
      done = true;
      await Promise.all(running);
    },
  };
}

test('online apply under writers: none fails, no acknowledged write is lost or re-pointed', async () => {
  const { plan: made, file } = await onlinePlan();
  expect(made.stages.map((s) => s.kind)).toEqual(
    made.components.flatMap(() => ['expand', 'backfill', 'build', 'swap']),
  );
  const writers = startWriters(4);
  await new Promise((r) => setTimeout(r, 300));
  const report = await apply({ plan: file, databaseUrl: db.url, settings: { batchPauseMs: 5 } });
  await new Promise((r) => setTimeout(r, 300));
  await writers.stop();
  expect(writers.seen.errors).toEqual([]);
  expect(report.ok).toBe(true);
  expect(report.agreement.every((a) => a.rows === 0)).toBe(true);
  expect(writers.seen.posts.size).toBeGreaterThan(50);

  // Every acknowledged post is there with the thread and author it was last given; deleted ones are gone.
  const posts = await db.sql<{ body: string; thread: string; author: string | null }[]>`
    SELECT p.body, t.title AS thread, u.email AS author
    FROM posts p JOIN threads t ON t.id = p.thread_id LEFT JOIN users u ON u.id = p.author_id
    WHERE p.body LIKE 'w%'`;
  const found = new Map(posts.map((p) => [p.body, { thread: p.thread, author: p.author }]));
  const expected = [...writers.seen.posts].filter(([, v]) => v !== null);
  expect(expected.filter(([body, v]) => JSON.stringify(found.get(body)) !== JSON.stringify(v))).toEqual([]);
  expect([...writers.seen.posts].filter(([body, v]) => v === null && found.has(body))).toEqual([]);
  const users = await db.sql<{ email: string; inviter: string }[]>`
    SELECT u.email, i.email AS inviter FROM users u JOIN users i ON i.id = u.invited_by WHERE u.email LIKE 'new-%'`;
  expect(Object.fromEntries(users.map((u) => [u.email, u.inviter]))).toEqual(Object.fromEntries(writers.seen.users));
  // The integers kept beside the uuids agree too (the reverse sync), so rollback would be exact.
  const [kept] = await db.sql`SELECT count(*)::int AS n FROM posts p JOIN threads t ON t.id = p.thread_id
    WHERE p.thread_id__uuidmig_old IS DISTINCT FROM t.legacy_id`;
  expect(kept!.n).toBe(0);
  expect((await verify({ plan: file, databaseUrl: db.url })).ok).toBe(true);
}, 240_000);

test('the swap reads no table and writes no row: its transaction statistics stay at zero', async () => {
  const { plan: made, file } = await onlinePlan();
  const built = await apply({ plan: file, databaseUrl: db.url, until: 'build' });
  expect(built.stoppedBeforeSwap).toBe(true);
  const sql = postgres(db.url, { max: 1, onnotice: () => {} });
  const conn = await sql.reserve();
  try {
    const [record] = await conn`SELECT run FROM uuidmig.plans WHERE id = ${made.id}`;
    for (const swap of made.stages.filter((s) => s.kind === 'swap')) {
      let activity: { relname: string; seq_scan: number; idx_scan: number; written: number }[] = [];
      const tables = made.components.find((c) => c.id === swap.component)!.tables.map((t) => t.name);
      await runStage(conn, swap, {
        planId: made.id,
        run: Number(record!.run),
        action: 'apply',
        // As apply runs it: the statements after the lock in one round trip.
        settings: runSettingsFor(made),
        beforeCommit: async (tx) => {
          activity = await tx.unsafe(
            `SELECT relname, seq_scan::int, coalesce(idx_scan, 0)::int AS idx_scan,
               (n_tup_ins + n_tup_upd + n_tup_del)::int AS written
             FROM pg_stat_xact_user_tables WHERE relname = ANY ($1::text[]) ORDER BY relname`,
            [tables],
          );
        },
      });
      expect(activity.length).toBe(tables.length);
      expect(activity.filter((a) => a.seq_scan || a.idx_scan || a.written)).toEqual([]);
    }
  } finally {
    conn.release();
    await sql.end();
  }
  const finished = await apply({ plan: file, databaseUrl: db.url });
  expect(finished.ok).toBe(true);
  expect((await onlineAgreement(db.sql, made)).every((a) => a.rows === 0)).toBe(true);
}, 240_000);

test("a statement that fails in the swap's one round trip is named, and the swap is rolled back", async () => {
  const { plan: made, file } = await onlinePlan();
  expect((await apply({ plan: file, databaseUrl: db.url, until: 'build' })).stoppedBeforeSwap).toBe(true);
  const swap = made.stages.find((s) => s.kind === 'swap')!;
  const failing = { ...swap.steps.at(-1)!, id: `${swap.id}.999`, sql: 'SELECT 1 / 0' };
  const sql = postgres(db.url, { max: 1, onnotice: () => {} });
  const conn = await sql.reserve();
  try {
    const [record] = await conn`SELECT run FROM uuidmig.plans WHERE id = ${made.id}`;
    const settings = runSettingsFor(made);
    expect(settings.batchHeld).toBe(true);
    const context = { planId: made.id, run: Number(record!.run), action: 'apply' as const, settings };
    const error = await runStage(conn, { ...swap, steps: [...swap.steps, failing] }, context).catch((e) => e);
    expect(error).toBeInstanceOf(StepFailedError);
    expect((error as StepFailedError).failure.step?.id).toBe(failing.id);
    expect((error as StepFailedError).message).toContain('division by zero');
  } finally {
    conn.release();
    await sql.end();
  }
  // Nothing of the swap committed: the shadows are still beside the integer keys.
  const [shadow] = await db.sql`SELECT count(*)::int AS n FROM information_schema.columns
    WHERE table_name = 'users' AND column_name = 'id__uuidmig_new'`;
  expect(shadow!.n).toBe(1);
  expect((await apply({ plan: file, databaseUrl: db.url })).ok).toBe(true);
}, 240_000);

test('online rollback under writers: built beside, swapped back in a moment, every write kept', async () => {
  const { file } = await onlinePlan();
  expect((await apply({ plan: file, databaseUrl: db.url })).ok).toBe(true);
  const session = await openRollback({ plan: file, databaseUrl: db.url });
  const back = session.stages.filter((s) => s.kind === 'rollback');
  await session.close();
  // Outside a transaction the integers' keys, indexes and foreign keys are built; the swap back only renames.
  expect(back.map((s) => s.transactional)).toEqual(back.map((_, i) => i % 2 === 1));
  for (const swapBack of back.filter((s) => s.transactional))
    expect(swapBack.steps.filter((s) => /^(UPDATE|INSERT|CREATE (UNIQUE )?INDEX)|VALIDATE/.test(s.sql))).toEqual([]);
  const writers = startWriters(4);
  await new Promise((r) => setTimeout(r, 300));
  const undone = await rollback({ plan: file, databaseUrl: db.url });
  await new Promise((r) => setTimeout(r, 300));
  await writers.stop();
  expect(writers.seen.errors).toEqual([]);
  expect(undone.ok).toBe(true);
  const [type] = await db.sql`SELECT format_type(atttypid, atttypmod) AS t FROM pg_attribute
    WHERE attrelid = 'posts'::regclass AND attname = 'thread_id'`;
  expect(type!.t).toBe('bigint');
  const posts = await db.sql<{ body: string; thread: string; author: string | null }[]>`
    SELECT p.body, t.title AS thread, u.email AS author
    FROM posts p JOIN threads t ON t.id = p.thread_id LEFT JOIN users u ON u.id = p.author_id
    WHERE p.body LIKE 'w%'`;
  const found = new Map(posts.map((p) => [p.body, { thread: p.thread, author: p.author }]));
  const expected = [...writers.seen.posts].filter(([, v]) => v !== null);
  expect(expected.length).toBeGreaterThan(20);
  expect(expected.filter(([body, v]) => JSON.stringify(found.get(body)) !== JSON.stringify(v))).toEqual([]);
  const [valid] = await db.sql`SELECT count(*) FILTER (WHERE NOT convalidated)::int AS n FROM pg_constraint
    WHERE conrelid = 'posts'::regclass AND contype = 'f'`;
  expect(valid!.n).toBe(0);
}, 240_000);

test("the sync trigger fires after the table's own BEFORE triggers, so a value one fills gets its uuid", async () => {
  // Named after uuidmig_sync: PostgreSQL fires BEFORE row triggers in name order.
  await db.sql.unsafe(`CREATE FUNCTION fill_thread() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
      IF NEW.thread_id IS NULL THEN NEW.thread_id := (SELECT id FROM threads ORDER BY title, id LIMIT 1); END IF;
      RETURN NEW; END $$`);
  await db.sql`CREATE TRIGGER zz_fill_thread BEFORE INSERT ON posts FOR EACH ROW EXECUTE FUNCTION fill_thread()`;
  const { plan: made, file } = await onlinePlan();
  expect((await apply({ plan: file, databaseUrl: db.url, until: 'build' })).stoppedBeforeSwap).toBe(true);
  const [sync] = await db.sql<{ names: string[] }[]>`SELECT array_agg(tgname::text ORDER BY tgname) AS names
    FROM pg_trigger WHERE tgrelid = 'posts'::regclass AND NOT tgisinternal`;
  expect(sync!.names).toEqual(['zz_fill_thread', 'zz_fill_thread_uuidmig_sync']);
  // NOT NULL is checked after the BEFORE triggers: the row leaves thread_id to its trigger.
  await db.sql`INSERT INTO posts (author_id, body) VALUES (NULL, 'filled by its trigger')`;
  expect((await onlineAgreement(db.sql, made)).filter((a) => a.rows > 0)).toEqual([]);
  expect((await apply({ plan: file, databaseUrl: db.url })).ok).toBe(true);
  const [post] = await db.sql`SELECT t.title FROM posts p JOIN threads t ON t.id = p.thread_id
    WHERE p.body = 'filled by its trigger'`;
  const [first] = await db.sql`SELECT title FROM threads ORDER BY title, legacy_id LIMIT 1`;
  expect(post!.title).toBe(first!.title);
}, 240_000);

test('a write the sync trigger did not see stops the swap with one sentence (exit 1), nothing swapped', async () => {
  const { file } = await onlinePlan();
  expect((await apply({ plan: file, databaseUrl: db.url, until: 'build' })).stoppedBeforeSwap).toBe(true);
  await db.sql.begin(async (tx) => {
    await tx`SET LOCAL session_replication_role = replica`;
    // Its integer says the first thread, its uuid the last: what a trigger changing thread_id later leaves.
    await tx`INSERT INTO posts (thread_id, thread_id__uuidmig_new, body)
      SELECT (SELECT min(id) FROM threads), (SELECT id__uuidmig_new FROM threads ORDER BY id DESC LIMIT 1), 'unseen'`;
  });
  const failed = await apply({ plan: file, databaseUrl: db.url }).catch((e: unknown) => e);
  expect(failed).toBeInstanceOf(UuidmigError);
  expect((failed as UuidmigError).exitCode).toBe(1);
  expect((failed as Error).message).toMatch(
    /^Before the swap, 1 row\(s\) of public\.posts\.thread_id hold a uuid that disagrees with their integer/,
  );
  const [type] = await db.sql`SELECT format_type(atttypid, atttypmod) AS t FROM pg_attribute
    WHERE attrelid = 'posts'::regclass AND attname = 'thread_id'`;
  expect(type!.t).toBe('bigint');
}, 240_000);
