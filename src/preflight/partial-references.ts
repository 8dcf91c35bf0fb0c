import type { Sql } from '../db/connect.js';
import { qualify, quoteIdent } from '../db/quote.js';
import { displayTable, type TableModel, tableKey } from '../model/types.js';
import type { Finding, ReferenceWork } from '../model/work.js';

/**
 * The rows of a composite reference's child that hold a value in a converting column while another of
 * its columns is NULL (`c`), or null when no row can: a single column, or the others all NOT NULL.
 */
export function partlySetCondition(work: ReferenceWork, child: TableModel): string | null {
  if (work.columns.length < 2) return null;
  const only = work.convertColumns.length === 1 ? work.convertColumns[0] : null;
  const nullable = work.columns.filter((col) => col !== only && !child.columns.find((c) => c.name === col)?.notNull);
  if (!nullable.length) return null;
  const set = work.convertColumns.map((col) => `c.${quoteIdent(col)} IS NOT NULL`).join(' OR ');
  const nulls = nullable.map((col) => `c.${quoteIdent(col)} IS NULL`).join(' OR ');
  return `(${set}) AND (${nulls})`;
}

/**
 * A composite reference partly NULL is not checked by its foreign key (MATCH SIMPLE), yet its converting
 * column may hold a value: uuidmig finds each new uuid through the whole reference (the same join its
 * checks read the rows back through), so such a row would lose it, and apply's checks would roll the
 * stage back. Refused here, under every --orphans, with the rows' query and what to do.
 */
export async function partlySetBlockers(
  sql: Sql,
  references: ReferenceWork[],
  tables: TableModel[],
): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const work of references) {
    const child = tables.find((t) => tableKey(t) === tableKey(work.child));
    const condition = child && partlySetCondition(work, child);
    if (!condition) continue;
    const from = qualify(work.child.schema, work.child.name);
    const [row] = await sql.unsafe<{ n: bigint | number }[]>(
      `SELECT count(*) AS n FROM ${from} AS c WHERE ${condition}`,
    );
    const n = Number(row!.n);
    if (n === 0) continue;
    const converting = work.convertColumns.join(', ');
    findings.push({
      kind: 'partly-null-reference',
      table: work.child,
      columns: work.convertColumns,
      reference: work.id,
      message:
        `${work.id}: ${n} row(s) of ${displayTable(work.child)} hold ${converting} while another column of the ` +
        'reference is NULL, so their foreign key checks no parent for them (MATCH SIMPLE), and uuidmig, which ' +
        `finds each uuid through the whole reference, would find none. Find them with SELECT * FROM ${from} AS c ` +
        `WHERE ${condition}; fill in the missing column, or set ${converting} to NULL, then plan again.`,
    });
  }
  return findings;
}
