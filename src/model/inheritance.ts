import type { CatalogSnapshot, DrizzleSchemaModel, DrizzleTableModel, TableModel, TableRef } from './types.js';
import { sameTable, tableKey } from './types.js';

/**
 * Partitions and inheritance children take their columns from a parent: such a column changes type,
 * name and contents with its parent, never on its own. Pure helpers over the catalog.
 */
export type TablesByKey = Map<string, TableModel>;

export const tablesByKey = (tables: TableModel[]): TablesByKey => new Map(tables.map((t) => [tableKey(t), t]));

/** Every table below `table`: its partitions and inheritance children, at any depth. */
export function descendantsOf(tables: TableModel[], table: TableRef): TableModel[] {
  const below = tables.filter((t) => t.parent && sameTable(t.parent, table));
  return below.flatMap((t) => [t, ...descendantsOf(tables, t)]);
}

/** The table that defines `column` for `table`: up through its parents while the column is inherited. */
export function definingTable(byKey: TablesByKey, table: TableModel, column: string): TableModel {
  let current = table;
  for (let hops = 0; hops < 64; hops++) {
    const col = current.columns.find((c) => c.name === column);
    const parent = current.parent ? byKey.get(tableKey(current.parent)) : undefined;
    if (!col?.inherited || !parent) return current;
    current = parent;
  }
  return current;
}

/** The partitioned table at the top of a partition's tree (the table itself when it is no partition). */
export function partitionRoot(byKey: TablesByKey, table: TableModel): TableModel {
  let current = table;
  for (let hops = 0; hops < 64 && current.isPartition && current.parent; hops++) {
    const parent = byKey.get(tableKey(current.parent));
    if (!parent) break;
    current = parent;
  }
  return current;
}

/**
 * `drizzle-kit pull` declares a partitioned table's partitions and not the partitioned table itself.
 * A partition's declaration stands for its root when the root is not declared (they have the same
 * columns); one declared beside its root adds nothing. References from or to a partition are its
 * root's: keys and types change on the partitioned table, never on a partition.
 */
export function declarationsAtRoots(catalog: CatalogSnapshot, schema: DrizzleSchemaModel): DrizzleSchemaModel {
  const byKey = tablesByKey(catalog.tables);
  const rootOf = (t: TableRef): TableRef => {
    const table = byKey.get(tableKey(t));
    const root = table ? partitionRoot(byKey, table) : null;
    return root ? { schema: root.schema, name: root.name } : t;
  };
  const tables = new Map<string, DrizzleTableModel>();
  // Tables declared for themselves first, so a declared root wins over its partitions' declarations.
  const isPartition = (t: TableRef) => Boolean(byKey.get(tableKey(t))?.isPartition);
  const ordered = [...schema.tables].sort((a, b) => Number(isPartition(a)) - Number(isPartition(b)));
  for (const table of ordered) {
    const root = rootOf(table);
    if (tables.has(tableKey(root))) continue;
    const references = table.references.map((r) => {
      const parent = rootOf({ schema: r.refSchema, name: r.refTable });
      return { ...r, refSchema: parent.schema, refTable: parent.name };
    });
    tables.set(tableKey(root), { ...table, schema: root.schema, name: root.name, references });
  }
  return { ...schema, tables: [...tables.values()] };
}
