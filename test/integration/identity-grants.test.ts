import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { readCatalog } from '../../src/catalog/read-catalog.js';
import { apply } from '../../src/executor/apply.js';
import { rollback } from '../../src/executor/rollback.js';
import type { Strategy } from '../../src/planner/plan-schema.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { fixturePath, loadFixture } from '../helpers/fixtures.js';
import { plan } from '../helpers/plan.js';
import { snapshotRows, translatedRows } from '../helpers/row-snapshot.js';

/**
 * The rewrite makes an identity again on the legacy column (PostgreSQL cannot move one), and rollback
 * makes it again on the key: each time the sequence is new, and it must come out with the grants and
 * comment the old one had (key-types grants on both identity sequences and comments one). The other
 * strategies rename the column, and the sequence stays; they are held to the same.
 */
let db: TestDatabase;
let dir: string;

beforeEach(async (ctx) => {
  db = await createTestDatabase(ctx.task.name);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uuidmig-identity-'));
});
afterEach(async () => {
  await db.drop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Every sequence's ACL as PostgreSQL stores it (its order too), each privilege exploded, and its comment. */
const sequences = () =>
  db.sql<{ name: string; acl: string | null; grants: string[]; comment: string | null }[]>`
    SELECT s.relname AS name, s.relacl::text AS acl, obj_description(s.oid, 'pg_class') AS comment,
           ARRAY(SELECT format('%s %s %s %s', g.grantor::regrole, g.grantee, g.privilege_type, g.is_grantable)
                 FROM aclexplode(s.relacl) AS g ORDER BY 1) AS grants
    FROM pg_class AS s WHERE s.relkind = 'S' AND s.relnamespace = 'public'::regnamespace ORDER BY 1`;

for (const strategy of ['rewrite', 'update', 'online'] as Strategy[]) {
  test(`${strategy}: identity sequences keep exactly their grants and comment through apply and rollback`, async () => {
    await loadFixture(db.sql, 'key-types');
    const made = await plan({ schema: fixturePath('key-types', 'schema.ts'), databaseUrl: db.url, out: dir, strategy });
    expect(made.blockers).toEqual([]);
    // The DDL check found rollback left the schema as pg_dump printed it before (no second apply needed).
    if (made.ddlCheck) expect(made.ddlCheck.passes).toEqual(['apply', 'rollback', 'finalize']);
    const catalog = await readCatalog(db.sql);
    const devices = catalog.tables.find((t) => t.name === 'devices')!.columns.find((c) => c.name === 'id')!;
    expect(devices.sequence).toEqual({
      schema: 'public',
      name: 'devices_id_seq',
      grants: [
        { grantee: 'uuidmig_device_writer', privilege: 'SELECT', grantable: false },
        { grantee: 'uuidmig_device_writer', privilege: 'USAGE', grantable: false },
        { grantee: 'uuidmig_auditor', privilege: 'SELECT', grantable: true },
      ],
      comment: null,
    });
    const before = await sequences();
    expect(before.find((s) => s.name === 'devices_id_seq')!.acl).toMatch(
      /uuidmig_device_writer=rU\/.*uuidmig_auditor=r\*/,
    );
    expect(before.find((s) => s.name === 'sessions_id_seq')!.comment).toBe('session numbers, kept by legacy_id');
    const rows = await snapshotRows(db.sql, catalog);

    expect((await apply({ plan: made.planFile!, databaseUrl: db.url })).ok).toBe(true);
    const [moved] = await db.sql<{ seq: string }[]>`SELECT pg_get_serial_sequence('devices', 'legacy_id') AS seq`;
    expect(moved!.seq).toBe('public.devices_id_seq');
    expect(await sequences()).toEqual(before);
    expect(Object.fromEntries(await translatedRows(db.sql, catalog, made.plan))).toEqual(Object.fromEntries(rows));

    expect((await rollback({ plan: made.planFile!, databaseUrl: db.url })).ok).toBe(true);
    expect(await sequences()).toEqual(before);
    expect(Object.fromEntries(await snapshotRows(db.sql, catalog))).toEqual(Object.fromEntries(rows));
    const again = await readCatalog(db.sql);
    expect(again.tables.flatMap((t) => t.columns.map((c) => c.sequence))).toEqual(
      catalog.tables.flatMap((t) => t.columns.map((c) => c.sequence)),
    );
  });
}
