import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import type { PlanOptions } from '../../src/api/plan.js';
import { readCatalog } from '../../src/catalog/read-catalog.js';
import { qualify } from '../../src/db/quote.js';
import { apply } from '../../src/executor/apply.js';
import { finalize } from '../../src/executor/finalize.js';
import { rollback } from '../../src/executor/rollback.js';
import type { OrphanPolicy, Plan, Strategy } from '../../src/planner/plan-schema.js';
import type { CheckDifference } from '../../src/verify/run-checks.js';
import { verify } from '../../src/verify/verify.js';
import type { TestDatabase } from './database.js';
import { loadFixture } from './fixtures.js';
import { plan } from './plan.js';
import { type RowSnapshot, snapshotRows, translatedRows } from './row-snapshot.js';

const expectNoDifferences = (differences: CheckDifference[]) =>
  expect(differences.filter((d) => d.differs.length).map((d) => `${d.name}: ${d.differs.join(', ')}`)).toEqual([]);

/** Rows of every table, each row's JSON without the given columns (those finalize drops). */
async function rowsWithout(db: TestDatabase, plan: Plan, dropped: Set<string>): Promise<Record<string, unknown[]>> {
  const out: Record<string, unknown[]> = {};
  for (const t of plan.catalog.tables.filter((x) => !x.parent)) {
    const rows = await db.sql.unsafe<{ row: Record<string, unknown> }[]>(
      `SELECT to_jsonb(c) AS row FROM ${qualify(t.schema, t.name)} AS c`,
    );
    out[`${t.schema}.${t.name}`] = rows
      .map((r) => Object.fromEntries(Object.entries(r.row).filter(([k]) => !dropped.has(k))))
      .map((r) => JSON.stringify(r))
      .sort();
  }
  return out;
}

/**
 * The shared runner (pgroll's pattern): apply -> verify -> rollback -> verify -> apply -> verify ->
 * finalize, comparing every row with its copy from before after each step (uuids translated back
 * through the legacy columns while they exist; exact rows after the rollback).
 */
export interface LifecycleOptions {
  orphans?: OrphanPolicy;
  strategy?: Strategy;
  /** Checks on the applied database (after each apply); what it writes it must undo. */
  afterApply?: () => Promise<void>;
  /** More options for plan: --reference, --legacy-column, ... */
  plan?: Partial<PlanOptions>;
}

export async function runLifecycle(db: TestDatabase, fixture: string, options: LifecycleOptions = {}): Promise<Plan> {
  const { orphans = 'fail', strategy = 'rewrite', afterApply } = options;
  await loadFixture(db.sql, fixture);
  const out = fs.mkdtempSync(path.join(os.tmpdir(), `uuidmig-${fixture}-`));
  try {
    const made = await plan({
      schema: path.join(path.dirname(new URL(import.meta.url).pathname), '..', 'fixtures', fixture, 'schema.ts'),
      databaseUrl: db.url,
      orphans,
      out,
      strategy,
      ...options.plan,
    });
    expect(made.blockers).toEqual([]);
    const planFile = made.planFile!;
    const catalog = await readCatalog(db.sql);
    const before: RowSnapshot = await snapshotRows(db.sql, catalog);
    const expectTranslatedRows = async () =>
      expect(Object.fromEntries(await translatedRows(db.sql, catalog, made.plan))).toEqual(Object.fromEntries(before));

    // Every foreign key comes out of apply as valid as it went in (a rewrite adds them NOT VALID and
    // validates them in the stage after it; one NOT VALID before stays so). Online, a foreign key into a
    // partitioned table is validated after the swap, and PostgreSQL (before 18) leaves the copies it
    // keeps for each partition marked not valid: only the key itself is compared there.
    const online = strategy === 'online';
    const notValid = async () =>
      (
        await db.sql<{ n: string }[]>`SELECT conrelid::regclass::text || ' ' || conname AS n FROM pg_constraint
          WHERE contype = 'f' AND NOT convalidated AND connamespace::regnamespace::text <> 'uuidmig'
            AND (conparentid = 0 OR NOT ${online}) ORDER BY 1`
      ).map((r) => r.n);
    const notValidBefore = await notValid();

    const first = await apply({ plan: planFile, databaseUrl: db.url });
    expectNoDifferences(first.differences);
    expect(await notValid()).toEqual(notValidBefore);
    await expectTranslatedRows();
    await afterApply?.();
    expect((await verify({ plan: planFile, databaseUrl: db.url })).ok).toBe(true);

    const undone = await rollback({ plan: planFile, databaseUrl: db.url });
    expectNoDifferences(undone.differences);
    expect(Object.fromEntries(await snapshotRows(db.sql, catalog))).toEqual(Object.fromEntries(before));
    // Rollback adds its foreign keys NOT VALID too, and validates them in the stage after.
    expect(await notValid()).toEqual(notValidBefore);
    const structure = (c: typeof catalog) => c.tables.map((t) => ({ ...t, rowEstimate: null }));
    expect(structure(await readCatalog(db.sql))).toEqual(structure(catalog));
    expect((await readCatalog(db.sql)).views).toEqual(catalog.views);
    expect((await verify({ plan: planFile, databaseUrl: db.url })).ok).toBe(true);

    const second = await apply({ plan: planFile, databaseUrl: db.url });
    expectNoDifferences(second.differences);
    await expectTranslatedRows();
    await afterApply?.();
    expect((await verify({ plan: planFile, databaseUrl: db.url })).ok).toBe(true);

    const beforeFinalize = await rowsWithout(db, made.plan, new Set());
    const done = await finalize({ plan: planFile, databaseUrl: db.url });
    const dropped = new Set(done.dropped.map((d) => d.column));
    const afterFinalize = await rowsWithout(db, made.plan, new Set());
    expect(afterFinalize).toEqual(
      Object.fromEntries(
        Object.entries(beforeFinalize).map(([t, rows]) => [
          t,
          (rows as string[])
            .map((r) =>
              JSON.stringify(Object.fromEntries(Object.entries(JSON.parse(r)).filter(([k]) => !dropped.has(k)))),
            )
            .sort(),
        ]),
      ),
    );
    // After finalize, verify checks what it still can: rows, orphans through the uuids, foreign keys.
    const last = await verify({ plan: planFile, databaseUrl: db.url });
    expect(last.scope).toBe('finalized');
    expectNoDifferences(last.differences);
    await expect(rollback({ plan: planFile, databaseUrl: db.url })).rejects.toThrow(
      /was finalized: the legacy columns that map the uuids back to integers are gone, so it cannot be rolled back/,
    );
    return made.plan;
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
}
