import type { Sql } from '../db/connect.js';
import { qualifyTable, quoteIdent } from '../db/quote.js';
import { displayColumn, type TableRef, tableKey } from '../model/types.js';
import { fills } from '../planner/backfill-stage.js';
import type { ColumnChange } from '../planner/component-changes.js';
import { planChanges } from '../planner/plan-changes.js';
import type { Plan } from '../planner/plan-schema.js';
import { clauses } from '../planner/sql-text.js';
import { componentState } from './run-checks.js';

type Queryable = Pick<Sql, 'unsafe'>;

/** Rows whose shadow does not say what the integers say, per converting column (0 everywhere: agreement). */
export interface ShadowDisagreement {
  column: string;
  rows: number;
}

/**
 * Before an online swap, the proof that every row's shadow agrees with its integers, taken at one
 * MVCC snapshot (REPEATABLE READ, read only: writers are never blocked): a key's shadow is set; a
 * reference's shadow is its parent's shadow reached through the integer it holds (NULL when the
 * integer is NULL or has no parent). Counted per column; the caller runs it in its own snapshot.
 */
export async function shadowDisagreements(
  sql: Queryable,
  plan: Plan,
  component: string,
): Promise<ShadowDisagreement[]> {
  const changes = planChanges(plan).find((c) => c.component.id === component)!;
  const queries = [
    ...changes.changes
      .filter((ch) => ch.role === 'key')
      .map((ch) => ({
        column: displayColumn(ch.table, ch.column.name),
        sql: `SELECT count(*) AS n FROM ${qualifyTable(ch.table)} AS c WHERE c.${quoteIdent(ch.shadow)} IS NULL`,
      })),
    // The parent the integer leads to (p) and the one the shadow leads to (s) must be the same row, or
    // both none: a parent the application deleted under a reference with no foreign key leaves both none.
    ...fills(changes).map(({ change, parent, source, match }) => ({
      column: displayColumn(change.table, change.column.name),
      sql: clauses(
        `SELECT count(*) AS n FROM ${qualifyTable(change.table)} AS c LEFT JOIN ${parent} AS p ON ${match}`,
        `LEFT JOIN ${parent} AS s ON s.${quoteIdent(source)} = c.${quoteIdent(change.shadow)}`,
        'WHERE p.ctid IS DISTINCT FROM s.ctid',
        notRecordedOrphan(change, change.shadow),
      ),
    })),
  ];
  return count(sql, queries);
}

/**
 * After an online swap, the same proof the other way: every row's uuid reference leads to the parent
 * whose legacy integer is the integer the row kept beside it (`<col>__uuidmig_old`, kept in step by the
 * reverse sync trigger), a NULL uuid only where the kept integer has no parent, and every key row keeps
 * a legacy integer. At one snapshot, like the proof before the swap.
 */
export async function swappedDisagreements(
  sql: Queryable,
  plan: Plan,
  component: string,
): Promise<ShadowDisagreement[]> {
  const changes = planChanges(plan).find((c) => c.component.id === component)!;
  const converting = (table: TableRef, column: string) =>
    changes.changes.find((ch) => tableKey(ch.table) === tableKey(table) && ch.column.name === column);
  const queries = [
    ...changes.changes
      .filter((ch) => ch.role === 'key')
      .map((ch) => ({
        column: displayColumn(ch.table, ch.column.name),
        sql: `SELECT count(*) AS n FROM ${qualifyTable(ch.table)} AS c WHERE c.${quoteIdent(ch.keepAs)} IS NULL`,
      })),
    ...fills(changes).map(({ change, parent }) => {
      const ref = change.fillFrom!;
      // The parent's integer for each column of the reference: its legacy column where it converted.
      const integerOf = (j: number) => {
        const parentChange = converting(ref.parent, ref.parentColumns[j]!);
        return parentChange && ref.mode !== 'repair' ? parentChange.keepAs : ref.joinColumns[j]!;
      };
      const keptOf = (j: number) => converting(change.table, ref.columns[j]!)?.keepAs ?? ref.columns[j]!;
      const byUuid = ref.columns.map((col, j) => `p.${quoteIdent(ref.parentColumns[j]!)} = c.${quoteIdent(col)}`);
      const byInteger = ref.columns.map((_, j) => `q.${quoteIdent(integerOf(j))} = c.${quoteIdent(keptOf(j))}`);
      // The parent the uuid leads to (p) and the one the kept integer leads to (q): the same row, or none.
      return {
        column: displayColumn(change.table, change.column.name),
        sql: clauses(
          `SELECT count(*) AS n FROM ${qualifyTable(change.table)} AS c`,
          `LEFT JOIN ${parent} AS p ON ${byUuid.join(' AND ')}`,
          `LEFT JOIN ${parent} AS q ON ${byInteger.join(' AND ')}`,
          'WHERE p.ctid IS DISTINCT FROM q.ctid',
          notRecordedOrphan(change, change.column.name),
        ),
      };
    }),
  ];
  return count(sql, queries);
}

/**
 * The online proof for each component of the plan (or one), on whichever side of the swap it is, at
 * one snapshot that never blocks a writer (REPEATABLE READ, READ ONLY).
 */
export async function onlineAgreement(sql: Sql, plan: Plan, component?: string): Promise<ShadowDisagreement[]> {
  return sql.begin('ISOLATION LEVEL REPEATABLE READ READ ONLY', async (tx) => {
    const found: ShadowDisagreement[] = [];
    for (const changes of planChanges(plan)) {
      if (component !== undefined && changes.component.id !== component) continue;
      const swapped = (await componentState(tx, changes)) === 'uuid';
      const id = changes.component.id;
      found.push(...(await (swapped ? swappedDisagreements(tx, plan, id) : shadowDisagreements(tx, plan, id))));
    }
    return found;
  }) as Promise<ShadowDisagreement[]>;
}

/**
 * A row the plan recorded as an orphan (`--orphans null|keep`: no parent when it was filled) has no
 * uuid by the plan's decision, and keeps its integer for rollback; if the application later makes a
 * parent with that number, that is its doing, not a disagreement of the migration.
 */
function notRecordedOrphan(change: ColumnChange, uuid: string): string | null {
  if (!change.orphanColumn) return null;
  return `AND NOT (c.${quoteIdent(uuid)} IS NULL AND c.${quoteIdent(change.orphanColumn)} IS NOT NULL)`;
}

async function count(sql: Queryable, queries: { column: string; sql: string }[]): Promise<ShadowDisagreement[]> {
  const result: ShadowDisagreement[] = [];
  for (const q of queries) {
    const [row] = await sql.unsafe<{ n: string }[]>(q.sql);
    result.push({ column: q.column, rows: Number(row!.n) });
  }
  return result;
}
