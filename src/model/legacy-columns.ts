import type { TableModel, TableRef } from './types.js';
import { isIntegerType, sameTable } from './types.js';

/**
 * Where a key's old integer lives. `--legacy-column legacy_id` names it for every table;
 * `--legacy-column posts=old_id` (or `blog.posts=old_id`) for one. A converted key keeps its integer
 * under that name; in the repair case it is the column that already holds the parent's old ids.
 */
export interface LegacyNames {
  default: string;
  perTable: { table: TableRef; column: string }[];
}

export const legacyNameFor = (names: LegacyNames, table: TableRef): string =>
  names.perTable.find((p) => sameTable(p.table, table))?.column ?? names.default;

export type Mapping = { column: string } | { lost: true; candidates: string[] };

/**
 * The column of a parent whose key is already uuid that still holds its old integer ids: the one
 * named for it (or the default name), else the one integer column kept unique on its own (a
 * `legacy_id` here, an `old_id` there). None, or several to choose from, and the mapping is lost.
 */
export function mappingColumn(parent: TableModel, names: LegacyNames): Mapping {
  const integer = (name: string) => parent.columns.some((c) => c.name === name && isIntegerType(c.type));
  const named = names.perTable.find((p) => sameTable(p.table, parent))?.column;
  if (named) return integer(named) ? { column: named } : { lost: true, candidates: [] };
  if (integer(names.default)) return { column: names.default };
  const unique = new Set([
    ...[parent.primaryKey, ...parent.uniques].filter((k) => k?.columns.length === 1).map((k) => k!.columns[0]!),
    ...parent.indexes.filter((i) => i.unique && !i.predicate && i.columns.length === 1).map((i) => i.columns[0]!),
  ]);
  const candidates = [...unique].filter(integer).sort();
  return candidates.length === 1 ? { column: candidates[0]! } : { lost: true, candidates };
}
