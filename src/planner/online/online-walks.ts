import { type TableModel, tableKey } from '../../model/types.js';
import { type Fill, fills } from '../backfill-stage.js';
import type { ColumnChange, ComponentChanges } from '../component-changes.js';

/** One walk over a table: the keys it gives uuids and the references it fills, in one UPDATE per batch. */
export interface Walk {
  table: TableModel;
  keys: ColumnChange[];
  fills: Fill[];
}

/**
 * The backfill's walks, each table rewritten once where it can be: a table's keys and references in
 * one walk, after the walks of the parents it reads. A table whose references read its own keys (a
 * self-reference) or sit in a cycle has its keys given first, in walks of their own; the rest follow
 * parents first. Each row of a table walked once is written once, not once for its key and again for
 * its references.
 */
export function planWalks(c: ComponentChanges): Walk[] {
  const tables = new Map<string, Walk>();
  const walkOf = (table: TableModel) => {
    const key = tableKey(table);
    if (!tables.has(key)) tables.set(key, { table, keys: [], fills: [] });
    return tables.get(key)!;
  };
  for (const change of c.changes) if (change.role === 'key') walkOf(change.table).keys.push(change);
  const all = fills(c);
  for (const fill of all) walkOf(fill.change.table).fills.push(fill);

  // The walk a fill must follow: its parent's, where the value it reads is written by that walk.
  const keyTables = new Map(
    c.changes.filter((ch) => ch.role === 'key').map((ch) => [columnOf(ch), tableKey(ch.table)]),
  );
  const fillTables = new Map(all.map((f) => [columnOf(f.change), tableKey(f.change.table)]));
  const early = new Set<string>();
  const after = (walk: Walk) => {
    const out = new Set<string>();
    for (const fill of walk.fills) {
      const ref = fill.change.fillFrom!;
      const read = `${tableKey(ref.parent)}.${ref.parentColumns[ref.columns.indexOf(fill.change.column.name)]}`;
      const parent = fillTables.get(read) ?? (early.has(keyTables.get(read) ?? '') ? undefined : keyTables.get(read));
      if (parent) out.add(parent);
    }
    return out;
  };
  for (;;) {
    const order = topological([...tables.keys()], (key) => after(tables.get(key)!));
    if (order.sorted) {
      const first = [...early].map((key) => ({ ...tables.get(key)!, fills: [] }));
      const rest = order.sorted.map((key) => tables.get(key)!);
      return [
        ...first,
        ...rest
          .map((w) => (early.has(tableKey(w.table)) ? { ...w, keys: [] } : w))
          .filter((w) => w.keys.length || w.fills.length),
      ];
    }
    const moved = order.cycle.filter((key) => tables.get(key)!.keys.length && !early.has(key));
    if (!moved.length) return unmerged(tables);
    for (const key of moved) early.add(key);
  }
}

/** Keys first, then each table's references: the order when walks cannot be merged. */
function unmerged(tables: Map<string, Walk>): Walk[] {
  const walks = [...tables.values()];
  return [
    ...walks.filter((w) => w.keys.length).map((w) => ({ ...w, fills: [] })),
    ...walks.filter((w) => w.fills.length).map((w) => ({ ...w, keys: [] })),
  ];
}

const columnOf = (change: ColumnChange) => `${tableKey(change.table)}.${change.column.name}`;

/** Kahn's order over `nodes` (each after the ones `before` names), or the nodes left in a cycle. */
function topological(
  nodes: string[],
  before: (node: string) => Set<string>,
): { sorted: string[]; cycle?: never } | { sorted?: never; cycle: string[] } {
  const needs = new Map(nodes.map((n) => [n, new Set([...before(n)].filter((m) => nodes.includes(m)))]));
  const sorted: string[] = [];
  for (let ready = nodes.filter((n) => !needs.get(n)!.size); ready.length; ) {
    const node = ready.shift()!;
    sorted.push(node);
    for (const [other, set] of needs) {
      if (set.delete(node) && !set.size) ready.push(other);
    }
  }
  return sorted.length === nodes.length ? { sorted } : { cycle: nodes.filter((n) => !sorted.includes(n)) };
}
