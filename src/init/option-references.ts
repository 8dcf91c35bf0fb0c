import { UsageError } from '../errors.js';
import type { ColumnInfo, Reference, TableInfo } from './types.js';

/**
 * `--reference child.col=parent.col`, as `uuidmig plan` takes it: a reference the schema files declare
 * nowhere (a `last_order_id` with no `.references()`), so the column converts with its parent. Tables
 * by SQL name (`orders`, `shop.orders`), columns by SQL or property name.
 */
export function optionReferences(tables: TableInfo[], specs: string[]): Reference[] {
  return specs.map((spec) => {
    const sides = spec.split('=');
    if (sides.length !== 2) throw new UsageError(`--reference takes child.column=parent.column, not "${spec}".`);
    const [child, parent] = sides.map((side) => columnNamed(tables, side.trim(), spec));
    return { source: 'option', pairs: [{ child: child!, parent: parent! }] };
  });
}

function columnNamed(tables: TableInfo[], text: string, spec: string): ColumnInfo {
  const at = text.lastIndexOf('.');
  const [table, column] = [text.slice(0, at), text.slice(at + 1)];
  const named = tables.filter((t) => t.name && [t.name, `${t.schema}.${t.name}`].includes(table));
  const found = named.flatMap((t) => t.columns.filter((c) => c.sqlName === column || c.prop === column));
  if (at > 0 && found.length === 1) return found[0]!;
  const why =
    found.length > 1 ? `names ${found.length} columns (qualify the table with its schema)` : 'names no column';
  throw new UsageError(`--reference ${spec}: "${text}" ${why} of the schema files.`);
}
