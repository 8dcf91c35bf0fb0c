import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { quoteIdent } from '../../src/db/quote.js';
import { apply } from '../../src/executor/apply.js';
import { rollback } from '../../src/executor/rollback.js';
import { runUuidmig } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { fixturePath, loadFixture } from '../helpers/fixtures.js';
import { plan } from '../helpers/plan.js';

/**
 * The tests above run as a superuser, who bypasses row-level security. A table's owner does not when
 * it is FORCEd: the migration's own reads would silently miss the rows the policies hide. Run as the
 * owner, every row must still come through apply and rollback.
 */
let db: TestDatabase;
let dir: string;
let role: string;
let ownerUrl: string;

beforeEach(async (ctx) => {
  db = await createTestDatabase(ctx.task.name);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uuidmig-owner-'));
  role = `uuidmig_owner_${randomBytes(3).toString('hex')}`;
  await db.sql.unsafe(`CREATE ROLE ${quoteIdent(role)} LOGIN PASSWORD 'owner-pw'`);
  await db.sql.unsafe(
    [
      `GRANT CREATE ON DATABASE ${quoteIdent(db.name)} TO ${quoteIdent(role)};`,
      `GRANT CREATE ON SCHEMA public TO ${quoteIdent(role)}`,
    ].join(' '),
  );
  const u = new URL(db.url);
  u.username = role;
  u.password = 'owner-pw';
  ownerUrl = u.toString();
});
afterEach(async () => {
  await db.sql.unsafe(
    [
      `REASSIGN OWNED BY ${quoteIdent(role)} TO postgres;`,
      `DROP OWNED BY ${quoteIdent(role)};`,
      `DROP ROLE ${quoteIdent(role)}`,
    ].join(' '),
  );
  await db.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('under FORCE ROW LEVEL SECURITY, the owner migrates every row, not just the visible ones', async () => {
  await loadFixture(db.sql, 'rls-policies');
  await db.sql.unsafe(
    `ALTER TABLE users OWNER TO ${quoteIdent(role)}; ALTER TABLE documents OWNER TO ${quoteIdent(role)}`,
  );
  // As the owner, the FORCEd policies hide brian's document (brian is not active).
  const owner = await import('postgres').then((m) => m.default(ownerUrl, { max: 1, onnotice: () => {} }));
  try {
    expect((await owner`SELECT count(*)::int AS n FROM documents`)[0]!.n).toBe(2);
    const made = await plan({ schema: fixturePath('rls-policies', 'schema.ts'), databaseUrl: ownerUrl, out: dir });
    expect(made.blockers).toEqual([]);
    const applied = await apply({ plan: made.planFile!, databaseUrl: ownerUrl });
    expect(applied.differences.filter((d) => d.differs.length)).toEqual([]);
    const [all] = await db.sql`SELECT count(*)::int AS n, count(owner_id)::int AS linked FROM documents`;
    expect(all).toEqual({ n: 3, linked: 3 });
    const [forced] = await db.sql`SELECT relforcerowsecurity FROM pg_class WHERE relname = 'documents'`;
    expect(forced!.relforcerowsecurity).toBe(true);
    const undone = await rollback({ plan: made.planFile!, databaseUrl: ownerUrl });
    expect(undone.ok).toBe(true);
    expect((await db.sql`SELECT count(*)::int AS n FROM documents WHERE owner_id IN (1, 2)`)[0]!.n).toBe(3);
  } finally {
    await owner.end();
  }
});

describe('privileges are checked before anything is written', () => {
  const asRole = (...args: string[]) => runUuidmig([...args, '--database-url', ownerUrl], { cwd: dir });
  const bookkeeping = async () => (await db.sql`SELECT to_regnamespace('uuidmig') IS NOT NULL AS made`)[0]!.made;

  test('a user who may create schemas but owns no table: exit 3 naming each table and its owner', async () => {
    await loadFixture(db.sql, 'self-reference');
    await db.sql.unsafe(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${quoteIdent(role)}`);
    const planned = await asRole('plan', '--schema', fixturePath('self-reference', 'schema.ts'));
    expect(planned.code, planned.stderr).toBe(0);
    for (const args of [['apply'], ['apply', '--dry-run']]) {
      const r = await asRole(...args);
      expect(r.code, r.stdout).toBe(3);
      expect(r.stderr).toContain(
        `uuidmig: The database user "${role}" cannot apply this plan: it does not own users (owner postgres), and ` +
          "only an owner may alter, drop and rebuild them. Connect as the tables' owner (or a member of its role), " +
          'or grant what is missing; nothing was changed.',
      );
    }
    expect(await bookkeeping()).toBe(false);
  });

  test('an owner without TEMP: plan warns and runs; apply refuses naming TEMP, with nothing created', async () => {
    await loadFixture(db.sql, 'self-reference');
    await db.sql.unsafe(
      `ALTER TABLE users OWNER TO ${quoteIdent(role)}; REVOKE TEMP ON DATABASE ${quoteIdent(db.name)} FROM PUBLIC`,
    );
    const planned = await asRole('plan', '--schema', fixturePath('self-reference', 'schema.ts'));
    expect(planned.code, planned.stderr).toBe(0);
    expect(planned.stdout).toContain('This database user may not create temporary tables (TEMP)');
    const r = await asRole('apply');
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(
      `cannot apply this plan: it may not create temporary tables (TEMP on database ${db.name})`,
    );
    expect(await bookkeeping()).toBe(false);
    await db.sql.unsafe(`GRANT TEMP ON DATABASE ${quoteIdent(db.name)} TO ${quoteIdent(role)}`);
    const applied = await asRole('apply');
    expect(applied.code, applied.stderr).toBe(0);
  });
});
