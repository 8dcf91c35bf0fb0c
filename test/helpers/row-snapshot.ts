import type postgres from 'postgres';
import { qualify, quoteIdent, quoteLiteral } from '../../src/db/quote.js';
import type { CatalogSnapshot, TableRef } from '../../src/model/types.js';
import { displayTable, tableKey } from '../../src/model/types.js';
import type { Plan } from '../../src/planner/plan-schema.js';

export type RowSnapshot = Map<string, string[]>;

/** Every table's rows as sorted JSON text: the "before" picture. */
export async function snapshotRows(
  sql: postgres.Sql | postgres.TransactionSql,
  catalog: CatalogSnapshot,
): Promise<RowSnapshot> {
  const out: RowSnapshot = new Map();
  for (const table of catalog.tables.filter((t) => !t.parent)) {
    const rows = await sql.unsafe<{ row: string }[]>(
      `SELECT to_jsonb(c)::text AS row FROM ${qualify(table.schema, table.name)} AS c`,
    );
    out.set(displayTable(table), rows.map((r) => r.row).sort());
  }
  return out;
}

/**
 * The same picture after the migration, with every uuid translated back to the integer it replaced:
 * a key through its own legacy column, a reference through its parent's. Equal pictures mean no row
 * was lost and every row still points at the same parent.
 */
export async function translatedRows(
  sql: postgres.Sql | postgres.TransactionSql,
  before: CatalogSnapshot,
  plan: Plan,
): Promise<RowSnapshot> {
  const out: RowSnapshot = new Map();
  const conversion = (t: TableRef, column: string) =>
    plan.conversions.find((c) => tableKey(c.table) === tableKey(t) && c.column === column);
  // Partitions and inheritance children are read through their parent, which includes their rows.
  for (const table of before.tables.filter((t) => !t.parent)) {
    const joins: string[] = [];
    const fields: string[] = [];
    const existing = await sql<{ name: string }[]>`
      SELECT attname AS name FROM pg_attribute
      WHERE attrelid = ${qualify(table.schema, table.name)}::regclass AND attnum > 0 AND NOT attisdropped`;
    const has = (name: string) => existing.some((e) => e.name === name);
    for (const column of table.columns) {
      let expr = `c.${quoteIdent(column.name)}`;
      const key = conversion(table, column.name);
      const ref = plan.references
        .filter((r) => tableKey(r.child) === tableKey(table) && r.convertColumns.includes(column.name))
        .sort((a, b) => a.columns.length - b.columns.length)[0];
      if (key) {
        expr = `c.${quoteIdent(key.legacyColumn)}`;
      } else if (ref) {
        const alias = `p${joins.length}`;
        const i = ref.columns.indexOf(column.name);
        const on = ref.columns
          .map((col, j) => `${alias}.${quoteIdent(ref.parentColumns[j]!)} = c.${quoteIdent(col)}`)
          .join(' AND ');
        joins.push(`LEFT JOIN ${qualify(ref.parent.schema, ref.parent.name)} AS ${alias} ON ${on}`);
        const parentKey = conversion(ref.parent, ref.parentColumns[i]!);
        const parentOld =
          ref.mode === 'repair'
            ? ref.joinColumns[i]!
            : parentKey
              ? parentKey.legacyColumn
              : `${ref.parentColumns[i]}__uuidmig_old`;
        expr = `${alias}.${quoteIdent(parentOld)}`;
        if (has(`${column.name}_legacy`)) expr = `COALESCE(${expr}, c.${quoteIdent(`${column.name}_legacy`)})`;
      }
      fields.push(`${quoteLiteral(column.name)}, ${expr}`);
    }
    const source = `${qualify(table.schema, table.name)} AS c ${joins.join(' ')}`;
    const rows = await sql.unsafe<{ row: string }[]>(
      `SELECT jsonb_build_object(${fields.join(', ')})::text AS row FROM ${source}`,
    );
    out.set(displayTable(table), rows.map((r) => r.row).sort());
  }
  return out;
}
