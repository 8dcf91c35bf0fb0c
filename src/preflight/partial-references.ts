import type { Sql } from '../db/connect.js';
import { qualify } from '../db/quote.js';
import { columnKey, displayTable, type TableModel, tableKey } from '../model/types.js';
import type { Finding, ReferenceWork } from '../model/work.js';
import { fillingReferences } from '../planner/component-changes.js';
import { partlySetColumn } from '../planner/guard.js';

/**
 * The rows of a composite reference's child that hold a value in a column this reference fills
 * (`filled`: not one a single-column reference fills, like tenant_id's own foreign key) while another
 * of its columns is NULL (`c`), or null when no row can.
 */
export function partlySetCondition(work: ReferenceWork, child: TableModel, filled: string[]): string | null {
  const each = filled.map((col) => partlySetColumn(work.columns, col, child, 'c.')).filter((c) => c !== null);
  return each.length ? each.map((c) => `(${c})`).join(' OR ') : null;
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
  const fills = fillingReferences(references);
  for (const work of references) {
    const child = tables.find((t) => tableKey(t) === tableKey(work.child));
    const filled = work.convertColumns.filter((col) => fills.get(columnKey(work.child, col)) === work);
    const condition = child && partlySetCondition(work, child, filled);
    if (!condition) continue;
    const from = qualify(work.child.schema, work.child.name);
    const [row] = await sql.unsafe<{ n: bigint | number }[]>(
      `SELECT count(*) AS n FROM ${from} AS c WHERE ${condition}`,
    );
    const n = Number(row!.n);
    if (n === 0) continue;
    const converting = filled.join(', ');
    findings.push({
      kind: 'partly-null-reference',
      table: work.child,
      columns: filled,
      reference: work.id,
      message:
        `${work.id}: ${n} row(s) of ${displayTable(work.child)} hold ${converting} while another column of the ` +
        'reference is NULL, so their foreign key checks no parent for them (MATCH SIMPLE), and uuidmig, which ' +
        `finds each uuid through the whole reference, would find none. Find them with SELECT * FROM ${from} AS c ` +
        `WHERE ${condition}; fill in the missing column, set ${converting} to NULL, or give ${converting} a ` +
        'reference of its own onto its key (a foreign key, or .references() in the Drizzle schema), then plan again.',
    });
  }
  return findings;
}
