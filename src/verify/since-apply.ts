import type { Sql } from '../db/connect.js';
import { qualifyTable, quoteIdent } from '../db/quote.js';
import { displayTable, sameTable, tableKey } from '../model/types.js';
import { planChanges } from '../planner/plan-changes.js';
import type { Plan } from '../planner/plan-schema.js';
import type { CheckRow } from './check-schema.js';
import { referenceCheckSql } from './check-sql.js';

type Queryable = Pick<Sql, 'unsafe'>;

/** What the application did to a table or a reference between apply and now. */
export interface ChangeSinceApply {
  kind: CheckRow['kind'];
  name: string;
  rowsAtApply: number;
  rowsNow: number;
  /** Tables whose key converted: rows written since apply (keys above the largest of apply's time). */
  inserted: number | null;
  /** ...and rows of apply's time that are gone. */
  deleted: number | null;
  /**
   * `none`; `rows`: rows inserted or deleted, every row of apply's time points where it did;
   * `repointed`: some rows of apply's time point at other parents; `changed`: rows were deleted from a
   * reference's table (or it has no converted key), so re-pointing cannot be told apart from them.
   */
  change: 'none' | 'rows' | 'repointed' | 'changed';
}

const INTEGER = /^-?\d+$/;

/**
 * After a rollback (integer keys again): what changed since apply, told apart where the data allows.
 * A table whose key converted has its largest key of apply's time on record: rows above it were
 * inserted since, the missing ones below it deleted. A reference whose table lost no row of apply's
 * time compares its fingerprint over exactly those rows: a difference means rows were re-pointed.
 */
export async function changesSinceApply(
  sql: Queryable,
  plan: Plan,
  before: CheckRow[],
  now: CheckRow[],
): Promise<ChangeSinceApply[]> {
  const find = (list: CheckRow[], kind: CheckRow['kind'], name: string) =>
    list.find((c) => c.kind === kind && c.name === name);
  const result: ChangeSinceApply[] = [];
  for (const changes of planChanges(plan)) {
    const kept = new Map<string, { where: string; deleted: number }>();
    for (const table of changes.tables) {
      const [b, n] = [find(before, 'table', displayTable(table)), find(now, 'table', displayTable(table))];
      if (!b || !n) continue;
      const key = changes.changes.find((ch) => ch.role === 'key' && sameTable(ch.table, table));
      let inserted: number | null = null;
      let deleted: number | null = null;
      if (key && b.maxKey != null && INTEGER.test(b.maxKey)) {
        const where = `c.${quoteIdent(key.column.name)} <= ${b.maxKey}`;
        const [row] = await sql.unsafe<{ n: string }[]>(
          `SELECT count(*)::text AS n FROM ${qualifyTable(table)} AS c WHERE ${where}`,
        );
        inserted = n.rows - Number(row!.n);
        deleted = b.rows - Number(row!.n);
        kept.set(tableKey(table), { where, deleted });
      }
      const change = n.rows === b.rows && !inserted && !deleted ? 'none' : 'rows';
      result.push({ kind: 'table', name: b.name, rowsAtApply: b.rows, rowsNow: n.rows, inserted, deleted, change });
    }
    for (const ref of plan.references.filter((r) => changes.references.some((x) => x.id === r.id))) {
      const [b, n] = [find(before, 'reference', ref.id), find(now, 'reference', ref.id)];
      if (!b || !n) continue;
      const base = { kind: 'reference' as const, name: ref.id, rowsAtApply: b.rows, rowsNow: n.rows };
      if (b.fingerprint === n.fingerprint && b.rows === n.rows && b.orphans === n.orphans) {
        result.push({ ...base, inserted: null, deleted: null, change: 'none' });
        continue;
      }
      const survivors = kept.get(tableKey(ref.child));
      let change: ChangeSinceApply['change'] = 'changed';
      if (survivors && survivors.deleted === 0) {
        const child = changes.tables.find((t) => sameTable(t, ref.child))!;
        const sqlText = referenceCheckSql(ref, child, changes, 'integer', survivors.where);
        const [row] = await sql.unsafe<{ fingerprint: string }[]>(sqlText);
        change = String(row!.fingerprint) === b.fingerprint ? 'rows' : 'repointed';
      }
      result.push({ ...base, inserted: null, deleted: null, change });
    }
  }
  return result;
}
