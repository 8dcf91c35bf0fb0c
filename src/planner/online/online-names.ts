import { deriveName, SHADOW_SUFFIX } from '../../db/derived-names.js';
import { type ForeignKeyModel, referencedTable, type TableRef, tableKey } from '../../model/types.js';
import type { Named } from '../bound-objects.js';
import type { ColumnChange, ComponentChanges } from '../component-changes.js';
import { isPartitioned } from './online-partitions.js';

/** The names and column maps the online build, swap and rollback share. */

/**
 * A foreign key into a partitioned table needs a unique key on it, which the shadows get only at the
 * swap: the swap adds it NOT VALID (catalog only) and a stage after it validates it.
 */
export function intoPartitioned(c: ComponentChanges, fk: ForeignKeyModel): boolean {
  const parent = c.tables.find((t) => tableKey(t) === tableKey(referencedTable(fk)));
  return !!parent && isPartitioned(parent);
}

/** The name of the shadow copy of an index or constraint, renamed into place by the swap. */
export const shadowObject = (name: string): string => deriveName(name, SHADOW_SUFFIX);

/** The CHECK (shadow IS NOT NULL) that lets the swap's SET NOT NULL skip its scan. */
export const notNullCheckName = (change: ColumnChange): string =>
  deriveName(`${change.table.name}_${change.column.name}`, '__uuidmig_not_null');

/** A table's converting columns and their shadows. */
export function shadowsOf(c: ComponentChanges, table: TableRef): Map<string, string> {
  const owner = tableKey(rootOf(c, table));
  return new Map(c.changes.filter((ch) => tableKey(ch.table) === owner).map((ch) => [ch.column.name, ch.shadow]));
}

/** A partition's columns are its partitioned table's: the table whose changes they follow. */
export function rootOf(c: ComponentChanges, table: TableRef): TableRef {
  let current: TableRef = table;
  for (let hops = 0; hops < 16; hops++) {
    const child = c.children.find((ch) => tableKey(ch.table) === tableKey(current) && ch.table.isPartition);
    if (!child?.table.parent) return current;
    current = child.table.parent;
  }
  return current;
}

/** The index PostgreSQL made for a key constraint, as it prints it. */
export function indexOf(key: Named): string {
  const index = key.table.indexes.find((i) => i.name === key.name);
  if (!index) throw new Error(`no index found for constraint ${key.name} of ${key.table.name}`);
  return index.definition;
}
