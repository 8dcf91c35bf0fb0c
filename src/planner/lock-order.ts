import { qualifyTable } from '../db/quote.js';
import { compareText, referencedTable, type TableModel, type TableRef, tableKey } from '../model/types.js';
import type { ComponentChanges } from './component-changes.js';
import { type StepDraft, step } from './step.js';

/**
 * The order a stage locks its tables in: every table before the tables that reference it. An
 * application's `DELETE FROM posts` locks posts, then its ON DELETE CASCADE reaches post_reactions;
 * a stage that locked post_reactions first (alphabetical order) and then waited for posts deadlocked
 * with it, every time. Parents first waits behind such a delete instead. Cycles are broken by name.
 */
export function lockOrder(tables: TableModel[], c: ComponentChanges): TableModel[] {
  const wanted = new Set(tables.map(tableKey));
  const parents = new Map<string, Set<string>>(tables.map((t) => [tableKey(t), new Set()]));
  const edge = (child: TableRef, parent: TableRef) => {
    if (wanted.has(tableKey(child)) && wanted.has(tableKey(parent)) && tableKey(child) !== tableKey(parent)) {
      parents.get(tableKey(child))!.add(tableKey(parent));
    }
  };
  for (const t of tables) for (const fk of t.foreignKeys) edge(t, referencedTable(fk));
  for (const r of c.references) edge(r.child, r.parent);
  const order: TableModel[] = [];
  const done = new Set<string>();
  const visiting = new Set<string>();
  const visit = (t: TableModel) => {
    const key = tableKey(t);
    if (done.has(key) || visiting.has(key)) return; // a cycle: the name order decides
    visiting.add(key);
    const above = [...parents.get(key)!].sort(compareText);
    for (const p of above) visit(tables.find((x) => tableKey(x) === p)!);
    visiting.delete(key);
    done.add(key);
    order.push(t);
  };
  for (const t of [...tables].sort((a, b) => compareText(tableKey(a), tableKey(b)))) visit(t);
  return order;
}

/** LOCK TABLE every table a stage changes, parents first, before anything else: one wait, no deadlock. */
export function lockTables(tables: TableModel[], c: ComponentChanges): StepDraft[] {
  if (!tables.length) return [];
  const ordered = lockOrder(tables, c);
  return [
    step(
      'lock',
      'lock every table of the component up front, parents before the tables that reference them',
      `LOCK TABLE ${ordered.map(qualifyTable).join(', ')} IN ACCESS EXCLUSIVE MODE`,
      'ACCESS EXCLUSIVE',
      ordered.length === 1 ? ordered[0]! : null,
    ),
  ];
}
