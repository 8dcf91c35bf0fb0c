import type { Sql } from '../db/connect.js';
import { qualifyTable, quoteIdent } from '../db/quote.js';
import { displayTable } from '../model/types.js';
import { planChanges } from '../planner/plan-changes.js';
import type { Plan } from '../planner/plan-schema.js';
import type { CheckDifference, CheckRow } from './check-schema.js';
import { tableCountSql } from './check-sql.js';

type Queryable = Pick<Sql, 'unsafe'>;
type Reference = Plan['references'][number];

/** Rows, and rows whose reference is set but leads to no parent through the uuid. */
function referenceSql(ref: Reference): string {
  const allSet = ref.columns.map((c) => `c.${quoteIdent(c)} IS NOT NULL`).join(' AND ');
  const match = ref.columns.map((c, i) => `p.${quoteIdent(ref.parentColumns[i]!)} = c.${quoteIdent(c)}`).join(' AND ');
  const parent = `SELECT 1 FROM ${qualifyTable(ref.parent)} AS p WHERE ${match}`;
  return `SELECT count(*) AS rows, count(*) FILTER (WHERE ${allSet} AND NOT EXISTS (${parent})) AS orphans
FROM ${qualifyTable(ref.child)} AS c`;
}

/** The name of the foreign key a reference has after apply: its own, or the one the Drizzle schema declares. */
const foreignKeyOf = (ref: Reference): string | null => ref.constraint?.name ?? ref.declared?.name ?? null;

/**
 * After finalize the legacy integers are gone, so the row-by-row proof ended there (verify-after,
 * before finalize, was the last). What can still be checked: every table's rows, every reference's
 * orphans through its uuid (0: the migration matched every row or set it aside), and that each
 * reference's foreign key exists and is valid.
 */
export async function runFinalizedChecks(sql: Queryable, plan: Plan): Promise<CheckRow[]> {
  const checks: CheckRow[] = [];
  for (const changes of planChanges(plan)) {
    for (const table of changes.tables) {
      const [row] = await sql.unsafe<{ rows: bigint | number }[]>(tableCountSql(table));
      const rows = Number(row!.rows);
      checks.push({ kind: 'table', name: displayTable(table), rows, orphans: null, fingerprint: null });
    }
    for (const ref of plan.references.filter((r) => changes.references.some((x) => x.id === r.id))) {
      const [row] = await sql.unsafe<{ rows: bigint | number; orphans: bigint | number }[]>(referenceSql(ref));
      const name = foreignKeyOf(ref);
      const foreignKey = name ? await foreignKeyState(sql, ref, name) : undefined;
      const counts = { rows: Number(row!.rows), orphans: Number(row!.orphans) };
      checks.push({ kind: 'reference', name: ref.id, ...counts, fingerprint: null, foreignKey });
    }
  }
  return checks;
}

async function foreignKeyState(sql: Queryable, ref: Reference, name: string): Promise<CheckRow['foreignKey']> {
  const [row] = await sql.unsafe<{ validated: boolean }[]>(
    `SELECT convalidated AS validated FROM pg_constraint
     WHERE conrelid = $1::regclass AND conname = $2 AND contype = 'f'`,
    [qualifyTable(ref.child), name],
  );
  if (!row) return 'missing';
  return row.validated ? 'valid' : 'not valid';
}

/** The references whose foreign key was NOT VALID when the plan was made: the migration keeps it so. */
export const notValidWhenPlanned = (plan: Plan): Set<string> =>
  new Set(plan.references.filter((r) => r.constraint?.validated === false).map((r) => r.id));

/**
 * Compare after finalize: the same rows as before, no orphan through the uuid, every foreign key
 * valid (or NOT VALID as it was when planned: `notValidBefore`, reference ids). Fingerprints are not
 * compared: they need the legacy integers finalize dropped.
 */
export function compareFinalized(
  before: CheckRow[],
  now: CheckRow[],
  notValidBefore: Set<string> = new Set(),
): CheckDifference[] {
  return now.map((n) => {
    const b = before.find((c) => c.kind === n.kind && c.name === n.name) ?? null;
    const differs: string[] = [];
    // Row counts are shown, not judged: after finalize the application's writes are its own business.
    if (!b) differs.push('missing');
    if (n.kind === 'reference' && (n.orphans ?? 0) > 0) differs.push('orphans');
    const asPlanned = n.foreignKey === 'not valid' && notValidBefore.has(n.name);
    if (n.foreignKey && n.foreignKey !== 'valid' && !asPlanned) differs.push('foreign key');
    return { kind: n.kind, name: n.name, before: b, now: n, differs };
  });
}
