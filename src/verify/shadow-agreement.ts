import type { Sql } from '../db/connect.js';
import { qualifyTable, quoteIdent } from '../db/quote.js';
import { displayColumn } from '../model/types.js';
import { fills } from '../planner/backfill-stage.js';
import { planChanges } from '../planner/plan-changes.js';
import type { Plan } from '../planner/plan-schema.js';

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
    ...fills(changes).map(({ change, parent, source, match }) => ({
      column: displayColumn(change.table, change.column.name),
      sql:
        `SELECT count(*) AS n FROM ${qualifyTable(change.table)} AS c LEFT JOIN ${parent} AS p ON ${match} ` +
        `WHERE c.${quoteIdent(change.shadow)} IS DISTINCT FROM p.${quoteIdent(source)}`,
    })),
  ];
  const result: ShadowDisagreement[] = [];
  for (const q of queries) {
    const [row] = await sql.unsafe<{ n: string }[]>(q.sql);
    result.push({ column: q.column, rows: Number(row!.n) });
  }
  return result;
}
