import type { TableRef } from './types.js';
import { compareText, displayTable, tableKey } from './types.js';
import type { Component } from './work.js';

/**
 * Connected components of the key graph: tables linked by a reference must swap together, in one
 * transaction. Each group given is a set of tables that belong together. Sorted, so plans are stable.
 */
export function findComponents(groups: TableRef[][]): Component[] {
  const parent = new Map<string, string>();
  const tables = new Map<string, TableRef>();
  const find = (k: string): string => {
    let root = k;
    while (parent.get(root) !== root) root = parent.get(root)!;
    parent.set(k, root);
    return root;
  };
  for (const group of groups) {
    for (const t of group) {
      const k = tableKey(t);
      if (parent.has(k)) continue;
      parent.set(k, k);
      tables.set(k, { schema: t.schema, name: t.name });
    }
    for (const t of group.slice(1)) {
      const a = find(tableKey(group[0]!));
      const b = find(tableKey(t));
      if (a === b) continue;
      const [root, child] = a < b ? [a, b] : [b, a]; // the smaller key becomes the root
      parent.set(child, root);
    }
  }
  const members = new Map<string, TableRef[]>();
  for (const k of [...parent.keys()].sort()) {
    const root = find(k);
    members.set(root, [...(members.get(root) ?? []), tables.get(k)!]);
  }
  // A component is named after its hub: the table in the most groups (users, usually).
  const weight = new Map<string, number>();
  for (const group of groups) for (const t of group) weight.set(tableKey(t), (weight.get(tableKey(t)) ?? 0) + 1);
  const hub = (ts: TableRef[]) =>
    ts.reduce((best, t) => ((weight.get(tableKey(t)) ?? 0) > (weight.get(tableKey(best)) ?? 0) ? t : best));
  return [...members.values()]
    .map((ts) => ({ id: displayTable(hub(ts)), hub: hub(ts), tables: ts }))
    .sort((a, b) => compareText(a.id, b.id));
}
