import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { readCatalog } from '../../src/catalog/read-catalog.js';
import { catalogHash } from '../../src/planner/plan-migration.js';
import { type CliRun, runUuidmig } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { fixturePath, loadFixture } from '../helpers/fixtures.js';
import { snapshotRows } from '../helpers/row-snapshot.js';

/** apply / verify through the real CLI: dry run, a moved row, a failing step and resume, the run lock. */
let db: TestDatabase;
let dir: string;
const uuidmig = (...args: string[]): Promise<CliRun> => runUuidmig([...args, '--database-url', db.url], { cwd: dir });

beforeEach(async (ctx) => {
  db = await createTestDatabase(ctx.task.name);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uuidmig-apply-'));
});
afterEach(async () => {
  await db.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function planFixture(name: string, ...flags: string[]): Promise<void> {
  await loadFixture(db.sql, name);
  const r = await uuidmig('plan', '--schema', fixturePath(name, 'schema.ts'), ...flags);
  expect(r.code, r.stderr).toBe(0);
}

describe('apply --dry-run', () => {
  test('prints every statement with its lock level and changes nothing, not even the uuidmig schema', async () => {
    await planFixture('self-reference');
    const before = catalogHash(await readCatalog(db.sql));
    const r = await uuidmig('apply', '--dry-run');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`apply would run all 2 stage(s) on database ${db.name}.`);
    // On a copy of the same schema (another name), the verdict names the database connected to.
    const copy = await createTestDatabase(`${db.name}_copy`);
    try {
      await loadFixture(copy.sql, 'self-reference');
      const onCopy = await runUuidmig(['apply', '--dry-run', '--database-url', copy.url], { cwd: dir });
      expect(onCopy.stdout).toContain(`apply would run all 2 stage(s) on database ${copy.name}.`);
    } finally {
      await copy.drop();
    }
    expect(r.stdout).toMatch(
      new RegExp(
        /0000\.\d{3} {2}ACCESS EXCLUSIVE {5}public\.users\n {6}/.source +
          /ALTER TABLE "public"\."users" ADD COLUMN "legacy_id" integer NOT NULL/.source,
      ),
    );
    expect(r.stdout).toMatch(
      /SHARE ROW EXCLUSIVE {2}public\.users\n {6}ALTER TABLE "public"\."users" ADD CONSTRAINT "users_invited_by_fkey"/,
    );
    const [schema] = await db.sql`SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = 'uuidmig'`;
    expect(schema!.n).toBe(0);
    expect(catalogHash(await readCatalog(db.sql))).toBe(before);
  });

  test('inheritance under rewrite: plan warns of the update strategy, the dry run describes its stages', async () => {
    await loadFixture(db.sql, 'inheritance');
    const planned = await uuidmig('plan', '--schema', fixturePath('inheritance', 'schema.ts'));
    expect(planned.code, planned.stderr).toBe(0);
    const warning =
      'public.vehicles has inheritance children (old-style INHERITS: public.cars, public.trucks): its component ' +
      'public.vehicles migrates by expand, backfill and swap, not by a rewrite';
    expect(planned.stdout).toMatch(/\nWarnings\n {2}public\.vehicles has inheritance children/);
    expect(planned.stdout).toContain(warning);
    expect(planned.stdout).toContain('the backfill updates every row in one transaction, so writers to those rows');
    // The plan asked for rewrite, and says so; its warnings say which component is updated in place.
    const file = fs.readdirSync(path.join(dir, 'plans'))[0]!;
    const saved = JSON.parse(fs.readFileSync(path.join(dir, 'plans', file), 'utf8'));
    expect(saved.options.strategy).toBe('rewrite');
    const found = saved.warnings.filter((w: { kind: string }) => w.kind === 'inheritance-update');
    expect(
      found.map((w: { table: unknown; message: string }) => [w.table, w.message.slice(0, warning.length)]),
    ).toEqual([[{ schema: 'public', name: 'vehicles' }, warning]]);
    const r = await uuidmig('apply', '--dry-run');
    expect(r.code, r.stderr).toBe(0);
    expect(saved.stages.map((s: { kind: string }) => s.kind)).toEqual(['expand', 'backfill', 'swap']);
    expect(r.stdout).toContain(
      'Component public.vehicles (inheritance children: expand, backfill and swap): the expand stage locks the ' +
        'tables ACCESS EXCLUSIVE',
    );
    expect(r.stdout).toContain('each swap locks its component ACCESS EXCLUSIVE');
    expect(r.stdout).not.toContain('rewrite stage');
    expect(r.stdout).not.toContain('validate stage');
  });
});

describe('verify', () => {
  test('one child row moved to another parent after apply: exit 1, the reference named', async () => {
    await planFixture('self-reference');
    const applied = await uuidmig('apply');
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toContain(
      'Every table has its rows and every reference points at the same parent as before.',
    );
    expect((await uuidmig('verify')).code).toBe(0);
    await db.sql`UPDATE users SET invited_by = (SELECT id FROM users WHERE name = 'eve') WHERE name = 'cleo'`;
    const r = await uuidmig('verify');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /public\.users\.invited_by -> public\.users\.id\s+5\s+0 \/ 0\s+differs\s+DIFFERS \(fingerprint\)/,
    );
    expect(r.stdout).toContain(
      'public.users.invited_by -> public.users.id: 5 rows, 1 row(s) of apply time point at other parents since ' +
        'apply (each stage proved every row before it committed: moved by a writer of this database; once you ' +
        'know it is the application, uuidmig finalize --accept-moved goes on)',
    );
    expect(r.stderr).toContain('uuidmig: Verify found differences between before and now (listed above) that rows');
    // finalize keeps the legacy columns, and says how to go on once the move is known to be the application's.
    const kept = await uuidmig('finalize', '--yes');
    expect(kept.code).toBe(1);
    expect(kept.stderr).toContain('uuidmig finalize --accept-moved goes on.');
    const done = await uuidmig('finalize', '--yes', '--accept-moved');
    expect(done.code, done.stderr).toBe(0);
    const [moved] = await db.sql`SELECT p.name FROM users u JOIN users p ON p.id = u.invited_by WHERE u.name = 'cleo'`;
    expect(moved!.name).toBe('eve');
  });

  test('a row inserted since apply, every row of apply time intact: exit 0, the writes reported', async () => {
    await planFixture('self-reference');
    expect((await uuidmig('apply')).code).toBe(0);
    await db.sql`INSERT INTO users (name, invited_by) SELECT 'zed', id FROM users WHERE name = 'ada'`;
    const r = await uuidmig('verify');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("Since apply (the application's writes):");
    // The table says what changed it, not DIFFERS: nothing of apply's time differs.
    expect(r.stdout).toMatch(/table public\.users\s+5 -> 6\s+rows written since apply/);
    expect(r.stdout).not.toContain('DIFFERS');
    expect(r.stdout).toContain('2 table(s) and reference(s) changed only by rows written since apply (below).');
    expect(r.stdout).toContain('table public.users: 5 -> 6 rows (1 inserted, 0 deleted)');
    expect(r.stdout).toContain('rows inserted or deleted; every row of apply time points where it did');
    expect(r.stdout).toContain("Verdict: ok. Every row of apply's time points at the same parent");
  });
});

describe('verify after finalize', () => {
  test('checks rows, orphans and foreign keys, says the row-by-row proof ended, notices a dropped key', async () => {
    await planFixture('self-reference');
    for (const command of ['apply', 'finalize']) expect((await uuidmig(command)).code).toBe(0);
    const ok = await uuidmig('verify');
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('verify plan');
    expect(ok.stdout).toMatch(/public\.users\.invited_by -> public\.users\.id\s+5\s+0 \/ 0\s+foreign key valid\s+ok/);
    expect(ok.stdout).toContain('the row-by-row proof ended at finalize');
    // The application's rows since are its own: counted, not judged.
    await db.sql`INSERT INTO users (name) VALUES ('zed')`;
    expect((await uuidmig('verify')).code).toBe(0);
    await db.sql`ALTER TABLE users DROP CONSTRAINT users_invited_by_fkey`;
    const r = await uuidmig('verify');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/foreign key missing\s+DIFFERS \(foreign key\)/);
    expect(r.stderr).toContain('the migration was finalized, so fix them in place');
  });
});

describe('a step that fails', () => {
  test('rolls its stage back (exit 4, statement and error printed), then apply resumes', async () => {
    await loadFixture(db.sql, 'relation-orphans');
    await db.sql`DELETE FROM comments WHERE post_id IN (3, 99)`;
    const planned = await uuidmig('plan', '--schema', fixturePath('relation-orphans', 'schema.ts'));
    expect(planned.code, planned.stderr).toBe(0);
    // Written after planning: a comment whose post does not exist. The swap's guard must stop it.
    await db.sql`INSERT INTO comments (post_id, body) VALUES (4242, 'late orphan')`;
    const catalog = await readCatalog(db.sql);
    const before = await snapshotRows(db.sql, catalog);
    const failed = await uuidmig('apply');
    expect(failed.code).toBe(4);
    expect(failed.stderr).toMatch(
      new RegExp(
        /uuidmig: Stage 0000 rewrite_posts stopped at its guard \(step 0000\.\d{3}, public\.comments\) and /.source +
          /was rolled back, so the database is as it was before that stage: 1 row\(s\) of /.source +
          /public\.comments\.post_id have no parent, written since the plan\. Fix or delete those rows, /.source +
          /or plan again .*, then run uuidmig apply again \(or uuidmig rollback to undo the stages /.source +
          /committed before it\)\./.source,
      ),
    );
    // One sentence: not the guard's SQL.
    expect(failed.stderr).not.toContain('DO $uuidmig$');
    // The swap did not happen: keys are integers, and every original column holds what it held.
    const [type] = await db.sql`
      SELECT format_type(atttypid, atttypmod) AS t FROM pg_attribute
      WHERE attrelid = 'posts'::regclass AND attname = 'id'`;
    expect(type!.t).toBe('integer');
    const now = await snapshotRows(db.sql, catalog);
    const strip = (rows: string[]) =>
      rows
        .map((r) =>
          JSON.stringify(Object.fromEntries(Object.entries(JSON.parse(r)).filter(([k]) => !k.includes('__uuidmig_')))),
        )
        .sort();
    expect(Object.fromEntries([...now].map(([t, rows]) => [t, strip(rows)]))).toEqual(
      Object.fromEntries([...before].map(([t, rows]) => [t, strip(rows)])),
    );
    const [journal] = await db.sql`SELECT stage_id, status, error FROM uuidmig.journal WHERE status = 'failed'`;
    expect(journal).toMatchObject({ stage_id: '0000', status: 'failed' });

    await db.sql`DELETE FROM comments WHERE post_id = 4242`;
    const resumed = await uuidmig('apply');
    expect(resumed.code, resumed.stderr + resumed.stdout).toBe(0);
    expect(resumed.stdout).toContain('(resumed)');
    expect(resumed.stdout).toMatch(/ {2}stage 0000 rewrite_\w+ \(1\/\d\): \d+\.\d\d s\n/);
    expect((await uuidmig('verify')).code).toBe(0);
  });
});

describe('refusals', () => {
  test('a second run while one holds the lock names the holder (exit 1)', async () => {
    await planFixture('self-reference');
    const holder = postgres(db.url, { max: 1, onnotice: () => {}, connection: { application_name: 'other-uuidmig' } });
    try {
      await holder`SELECT pg_advisory_lock(${0x75756964}, ${0x6d696700})`;
      const r = await uuidmig('apply');
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        new RegExp(
          /Another uuidmig run holds the migration lock on this database: /.source +
            /backend pid \d+ \(other-uuidmig, user postgres, connected since .+\); wait for it to finish/.source,
        ),
      );
    } finally {
      await holder.end();
    }
  });

  test('a plan made for another database state, and a plan already applied', async () => {
    await planFixture('self-reference');
    await db.sql`ALTER TABLE users ADD COLUMN nickname text`;
    const changed = await uuidmig('apply');
    expect(changed.code).toBe(1);
    expect(changed.stderr).toContain(
      'was made for a different database state (its tables, columns, keys or indexes changed since it was planned); ' +
        'run uuidmig plan again.',
    );
    await db.sql`ALTER TABLE users DROP COLUMN nickname`;
    expect((await uuidmig('apply')).code).toBe(0);
    const again = await uuidmig('apply');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('is already applied to this database');
  });

  test('a lock held too long: retried with backoff, then exit 4 when retries run out', async () => {
    await planFixture('self-reference');
    const blocker = postgres(db.url, { max: 1, onnotice: () => {} });
    const watcher = postgres(db.url, { max: 1, onnotice: () => {} });
    /** Hold a lock on users until `release()`; resolves once the lock is held. */
    const holdLock = async () => {
      let locked!: () => void;
      let release!: () => void;
      const isLocked = new Promise<void>((resolve) => (locked = resolve));
      const released = new Promise<void>((resolve) => (release = resolve));
      const done = blocker.begin(async (tx) => {
        await tx`LOCK TABLE users IN ACCESS SHARE MODE`;
        locked();
        await released;
      });
      await isLocked;
      return {
        release: async () => {
          release();
          await done;
        },
      };
    };
    /** The transactions that have waited on users' lock so far (one per attempt: each retry is a new one). */
    const waitingAttempts = new Set<string>();
    const waitForAttempts = async (count: number, finished: () => boolean) => {
      while (waitingAttempts.size < count && !finished()) {
        const rows = await watcher<{ started: string }[]>`
          SELECT a.pid || ':' || a.xact_start AS started FROM pg_locks l JOIN pg_stat_activity a USING (pid)
          WHERE NOT l.granted AND l.relation = 'users'::regclass`;
        for (const r of rows) waitingAttempts.add(r.started);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };
    try {
      // Held for as long as apply runs: with no retries it gives up at its first lock timeout.
      const held = await holdLock();
      const r = await uuidmig('apply', '--lock-timeout', '100ms', '--lock-retries', '0');
      await held.release();
      expect(r.code).toBe(4);
      expect(r.stderr).toContain('canceling statement due to lock timeout');
      expect(r.stderr).toContain('Another session held a lock too long');
      // Released once two attempts have waited on it (seen in pg_locks): the retry after that succeeds.
      const heldAgain = await holdLock();
      let finished = false;
      const retried = uuidmig('apply', '--lock-timeout', '100ms', '--lock-retries', '20').finally(
        () => (finished = true),
      );
      await waitForAttempts(2, () => finished);
      await heldAgain.release();
      const result = await retried;
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toMatch(/lock retries/);
    } finally {
      await blocker.end();
      await watcher.end();
    }
  });

  test('bad timeouts and pauses are usage errors', async () => {
    const r = await uuidmig('apply', '--plan', 'x.json', '--lock-timeout', 'soon');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('uuidmig: --lock-timeout takes a duration such as 500ms, 5s, 2min or 1h, not "soon".\n');
    const pause = await uuidmig('apply', '--plan', 'x.json', '--batch-pause', 'soon');
    expect(pause.code).toBe(2);
    expect(pause.stderr).toBe('uuidmig: --batch-pause takes "auto" or milliseconds from 0 to 60000, not "soon".\n');
  });
});
