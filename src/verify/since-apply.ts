import type { Sql } from '../db/connect.js';
import { qualifyTable, quoteIdent } from '../db/quote.js';
import { displayTable, sameTable, tableKey } from '../model/types.js';
import type { ColumnChange, ComponentChanges } from '../planner/component-changes.js';
import { planChanges } from '../planner/plan-changes.js';
import type { Plan } from '../planner/plan-schema.js';
import type { CheckDifference, CheckRow } from './check-schema.js';
import { formulaOf, referenceCheckSql } from './check-sql.js';
import { legacyValues } from './legacy-values.js';
import { componentState } from './run-checks.js';

type Queryable = Pick<Sql, 'unsafe'>;
type Reference = Plan['references'][number];

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
  /** Rows of apply's time that point at another parent now, counted row by row (uuid keys); else null. */
  moved: number | null;
}

const INTEGER = /^-?\d+$/;

/**
 * What changed since apply, told apart where the data allows, on either side of the swap (verify and
 * apply's verify-after see uuid keys, rollback integer keys again).
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
    const state = await componentState(sql, changes);
    const kept = new Map<string, { where: string; deleted: number }>();
    for (const table of changes.tables) {
      const [b, n] = [find(before, 'table', displayTable(table)), find(now, 'table', displayTable(table))];
      if (!b || !n) continue;
      const key = changes.changes.find((ch) => ch.role === 'key' && sameTable(ch.table, table));
      let inserted: number | null = null;
      let deleted: number | null = null;
      if (key && b.maxKey != null && INTEGER.test(b.maxKey)) {
        const where = `c.${quoteIdent(state === 'uuid' ? key.keepAs : key.column.name)} <= ${b.maxKey}`;
        const [row] = await sql.unsafe<{ n: string }[]>(
          `SELECT count(*)::text AS n FROM ${qualifyTable(table)} AS c WHERE ${where}`,
        );
        inserted = n.rows - Number(row!.n);
        deleted = b.rows - Number(row!.n);
        kept.set(tableKey(table), { where, deleted });
      }
      const change = n.rows === b.rows && !inserted && !deleted ? 'none' : 'rows';
      const counts = { rowsAtApply: b.rows, rowsNow: n.rows, inserted, deleted, moved: null };
      result.push({ kind: 'table', name: b.name, ...counts, change });
    }
    for (const ref of plan.references.filter((r) => changes.references.some((x) => x.id === r.id))) {
      const [b, n] = [find(before, 'reference', ref.id), find(now, 'reference', ref.id)];
      if (!b || !n) continue;
      const base = { kind: 'reference' as const, name: ref.id, rowsAtApply: b.rows, rowsNow: n.rows };
      if (b.fingerprint === n.fingerprint && b.rows === n.rows && b.orphans === n.orphans) {
        result.push({ ...base, inserted: null, deleted: null, change: 'none', moved: null });
        continue;
      }
      const survivors = kept.get(tableKey(ref.child));
      let change: ChangeSinceApply['change'] = 'changed';
      let moved: number | null = null;
      if (state === 'uuid') {
        moved = await movedSinceApply(sql, ref, changes);
        change = moved === null ? 'changed' : moved === 0 ? 'rows' : 'repointed';
      } else if (survivors && survivors.deleted === 0) {
        const child = changes.tables.find((t) => sameTable(t, ref.child))!;
        const sqlText = referenceCheckSql(ref, child, changes, state, survivors.where, formulaOf([b]));
        const [row] = await sql.unsafe<{ fingerprint: string }[]>(sqlText);
        change = String(row!.fingerprint) === b.fingerprint ? 'rows' : 'repointed';
      }
      result.push({ ...base, inserted: null, deleted: null, change, moved });
    }
  }
  return result;
}

/**
 * On uuid keys, each row of apply's time still holds the integer it referenced (`<col>__uuidmig_old`,
 * until finalize): the rows whose uuid now leads to a parent with another legacy integer were moved
 * since apply. Row by row, so rows deleted or inserted around them (which have no old integer) do not
 * hide anything. null when the reference has no retained integer to compare with.
 */
async function movedSinceApply(sql: Queryable, ref: Reference, changes: ComponentChanges): Promise<number | null> {
  const retained = changes.changes.filter(
    (ch) => ch.role === 'reference' && sameTable(ch.table, ref.child) && ref.columns.includes(ch.column.name),
  );
  if (!retained.length) return null;
  const child = changes.tables.find((t) => sameTable(t, ref.child))!;
  const values = legacyValues(child, 'uuid', changes);
  const old = (ch: ColumnChange) => `c.${quoteIdent(ch.keepAs)}`;
  const [row] = await sql.unsafe<{ n: string }[]>(
    `SELECT count(*)::text AS n FROM ${qualifyTable(child)} AS c ${values.joins.join(' ')}
     WHERE ${retained.map((ch) => `${old(ch)} IS NOT NULL`).join(' AND ')}
       AND (${retained.map((ch) => `${values.columns.get(ch.column.name)} IS DISTINCT FROM ${old(ch)}`).join(' OR ')})`,
  );
  return Number(row!.n);
}

/**
 * Whether every difference between apply's checks and now is rows written around the rows of apply's
 * time, which are provably as the migration left them ('rows'). A re-pointed row, deletions that hide
 * whether rows were re-pointed, or a check gone missing cannot be told apart from damage by the data.
 * `acceptMoved`: rows of apply's time re-pointed since ('repointed', counted row by row) are taken as
 * the application's writes too: each stage proved every row before it committed, and uuidmig writes
 * nothing after, so only a writer of the database's own moved them (apply resuming, and finalize when
 * the user says so after reading verify's list).
 */
export function explainedByWrites(
  differences: CheckDifference[],
  since: ChangeSinceApply[],
  acceptMoved = false,
): boolean {
  const explained = (c: ChangeSinceApply) => c.change === 'rows' || (acceptMoved && c.change === 'repointed');
  return differences
    .filter((d) => d.differs.length)
    .every((d) => since.some((c) => c.kind === d.kind && c.name === d.name && explained(c)));
}
