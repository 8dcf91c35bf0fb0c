import { qualify, quoteIdent } from '../db/quote.js';
import { columnKey, sameTable, type TableModel, type TableRef } from '../model/types.js';
import { type ColumnChange, type ComponentChanges, withChildren } from '../planner/component-changes.js';

export type KeyState = 'integer' | 'uuid';

export interface LegacyValues {
  /** Per original column: SQL for the integer it held before the migration (alias `c`). */
  columns: Map<string, string>;
  joins: string[];
  /**
   * The child's own joins onto a parent (alias `p<n>`), by parent and `parent.column = c.column`
   * pairs: a check that needs the same join (its orphans) reuses it rather than joining again.
   */
  parentJoins: { parent: TableRef; on: [string, string][]; alias: string }[];
}

/**
 * SQL for what each column of `table` held before the migration, in the database as it is now.
 * In the integer state that is the column itself. In the uuid state a key is read from its legacy
 * column, and a reference from its parent's legacy value through a join on the uuid (following a
 * reference to a reference, like a 1:1 key, down to the key that owns the integer).
 */
export function legacyValues(table: TableModel, state: KeyState, changes: ComponentChanges): LegacyValues {
  const joins: string[] = [];
  const parentJoins: LegacyValues['parentJoins'] = [];
  const byColumn = new Map(changes.changes.map((ch) => [columnKey(ch.table, ch.column.name), ch]));
  const columns = new Map<string, string>();
  const tables = withChildren(changes);
  // A column an inheritance child takes from its parent changes with the parent's: the parent's change.
  const changeOf = (owner: TableRef, column: string): ColumnChange | undefined => {
    let current = tables.find((t) => sameTable(t, owner));
    for (let hops = 0; hops < 64; hops++) {
      const change = byColumn.get(columnKey(current ?? owner, column));
      const inherited = current?.columns.find((c) => c.name === column)?.inherited;
      if (change || !inherited || !current?.parent) return change;
      const parent: TableRef = current.parent;
      current = tables.find((t) => sameTable(t, parent));
    }
    return undefined;
  };
  const legacyValueOf = (owner: TableRef, column: string, alias: string): string => {
    const change = changeOf(owner, column);
    if (state === 'integer' || !change) return `${alias}.${quoteIdent(column)}`;
    if (change.role === 'key') return `${alias}.${quoteIdent(change.keepAs)}`;
    return referenceValue(change, alias);
  };
  const referenceValue = (change: ColumnChange, alias: string): string => {
    const ref = change.fillFrom!;
    const i = ref.columns.indexOf(change.column.name);
    const parent = `p${joins.length}`;
    const on = ref.columns
      .map((col, j) => `${parent}.${quoteIdent(ref.parentColumns[j]!)} = ${alias}.${quoteIdent(col)}`)
      .join(' AND ');
    joins.push(`LEFT JOIN ${qualify(ref.parent.schema, ref.parent.name)} AS ${parent} ON ${on}`);
    if (alias === 'c') {
      const pairs = ref.columns.map((col, j): [string, string] => [ref.parentColumns[j]!, col]);
      parentJoins.push({ parent: ref.parent, on: pairs, alias: parent });
    }
    const value =
      ref.mode === 'repair'
        ? `${parent}.${quoteIdent(ref.joinColumns[i]!)}`
        : legacyValueOf(ref.parent, ref.parentColumns[i]!, parent);
    return change.orphanColumn ? `COALESCE(${value}, ${alias}.${quoteIdent(change.orphanColumn)})` : value;
  };
  for (const column of table.columns) columns.set(column.name, legacyValueOf(table, column.name, 'c'));
  return { columns, joins, parentJoins };
}
