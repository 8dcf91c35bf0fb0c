import { qualify, quoteIdent } from '../db/quote.js';
import { columnKey } from '../model/types.js';
import type { ColumnChange, ComponentChanges } from './component-changes.js';
import { clauses } from './sql-text.js';
import { type StepDraft, step } from './step.js';

/**
 * Backfill: every reference gets its parent's uuid through a join on the value it holds today (the
 * parent's integer key, or its legacy column when the parent is already uuid). Never a fresh uuid:
 * that is the mistake that cuts every relationship. Orphans (no parent) keep their old value in
 * `<column>_legacy` when --orphans allows them.
 */
export function planBackfill(c: ComponentChanges): StepDraft[] {
  const steps: StepDraft[] = [];
  const byColumn = new Map(c.changes.map((ch) => [columnKey(ch.table, ch.column.name), ch]));
  for (const change of fillOrder(c.changes, byColumn)) {
    const ref = change.fillFrom!;
    const child = qualify(change.table.schema, change.table.name);
    const parent = qualify(ref.parent.schema, ref.parent.name);
    const i = ref.columns.indexOf(change.column.name);
    const parentColumn = ref.parentColumns[i]!;
    // The parent column's uuid: its shadow while it converts in this plan, the column itself when already uuid.
    const parentChange = byColumn.get(columnKey(ref.parent, parentColumn));
    const source = ref.mode === 'repair' || !parentChange ? parentColumn : parentChange.shadow;
    const match = ref.columns
      .map((col, j) => `p.${quoteIdent(ref.joinColumns[j]!)} = c.${quoteIdent(col)}`)
      .join(' AND ');
    steps.push(
      step(
        'fill',
        `fill ${change.table.name}.${change.column.name} with the uuid of its ${ref.parent.name} row`,
        clauses(
          `UPDATE ${child} AS c`,
          `SET ${quoteIdent(change.shadow)} = p.${quoteIdent(source)}`,
          `FROM ${parent} AS p WHERE ${match}`,
        ),
        'ROW EXCLUSIVE',
        change.table,
      ),
    );
    if (change.orphanColumn) {
      const orphan = quoteIdent(change.orphanColumn);
      const old = quoteIdent(change.column.name);
      const allSet = ref.columns.map((col) => `${quoteIdent(col)} IS NOT NULL`).join(' AND ');
      steps.push(
        step(
          'orphans',
          `keep the old value of rows whose ${change.column.name} has no parent in ${change.orphanColumn}`,
          `ALTER TABLE ${child} ADD COLUMN ${orphan} ${change.column.type}`,
          'ACCESS EXCLUSIVE',
          change.table,
        ),
      );
      steps.push(
        step(
          'orphans',
          `record the orphans of ${change.table.name}.${change.column.name}`,
          `UPDATE ${child} SET ${orphan} = ${old} WHERE ${allSet} AND ${quoteIdent(change.shadow)} IS NULL`,
          'ROW EXCLUSIVE',
          change.table,
        ),
      );
    }
  }
  return steps;
}

/** A reference to a column that is itself filled from its parent (a 1:1 key) waits for that fill. */
function fillOrder(changes: ColumnChange[], byColumn: Map<string, ColumnChange>): ColumnChange[] {
  const order: ColumnChange[] = [];
  const visit = (ch: ColumnChange, stack: Set<ColumnChange>) => {
    if (order.includes(ch) || stack.has(ch)) return;
    stack.add(ch);
    const ref = ch.fillFrom!;
    const upstream = byColumn.get(columnKey(ref.parent, ref.parentColumns[ref.columns.indexOf(ch.column.name)]!));
    if (upstream?.role === 'reference') visit(upstream, stack);
    order.push(ch);
  };
  for (const ch of changes) if (ch.role === 'reference') visit(ch, new Set());
  return order;
}
