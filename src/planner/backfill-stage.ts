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
  for (const { change, child, parent, source, match } of fills(c)) {
    steps.push(
      step(
        'fill',
        `fill ${change.table.name}.${change.column.name} with the uuid of its ${change.fillFrom!.parent.name} row`,
        clauses(
          `UPDATE ${child} AS c`,
          `SET ${quoteIdent(change.shadow)} = p.${quoteIdent(source)}`,
          `FROM ${parent} AS p WHERE ${match}`,
        ),
        'ROW EXCLUSIVE',
        change.table,
      ),
    );
    const ref = change.fillFrom!;
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

/**
 * The swap of the update strategy, after its lock, first brings the backfill up to date: rows written
 * between the backfill's commit and the swap (a new child, a re-pointed or cleared reference, a new
 * orphan), or since an interrupted run, would otherwise swap with a stale or missing uuid. Each
 * statement writes only the rows that differ; with no writer in between they write none.
 */
export function planRefill(c: ComponentChanges): StepDraft[] {
  return fills(c).flatMap(({ change, child, parent, source, match }) => {
    const shadow = quoteIdent(change.shadow);
    const name = `${change.table.name}.${change.column.name}`;
    const steps = [
      step(
        'fill',
        `bring ${name} up to date: rows written since the backfill get the uuid of their parent`,
        clauses(
          `UPDATE ${child} AS c SET ${shadow} = p.${quoteIdent(source)}`,
          `FROM ${parent} AS p WHERE ${match} AND c.${shadow} IS DISTINCT FROM p.${quoteIdent(source)}`,
        ),
        'ROW EXCLUSIVE',
        change.table,
      ),
      step(
        'fill',
        `bring ${name} up to date: rows whose parent went away since the backfill lose the uuid`,
        clauses(
          `UPDATE ${child} AS c SET ${shadow} = NULL`,
          `WHERE c.${shadow} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM ${parent} AS p WHERE ${match})`,
        ),
        'ROW EXCLUSIVE',
        change.table,
      ),
    ];
    if (!change.orphanColumn) return steps;
    const orphan = quoteIdent(change.orphanColumn);
    const allSet = change.fillFrom!.columns.map((col) => `c.${quoteIdent(col)} IS NOT NULL`).join(' AND ');
    const kept = `CASE WHEN ${allSet} AND c.${shadow} IS NULL THEN c.${quoteIdent(change.column.name)} END`;
    return [
      ...steps,
      step(
        'orphans',
        `bring the orphans of ${name} up to date in ${change.orphanColumn}`,
        `UPDATE ${child} AS c SET ${orphan} = ${kept} WHERE c.${orphan} IS DISTINCT FROM ${kept}`,
        'ROW EXCLUSIVE',
        change.table,
      ),
    ];
  });
}

export interface Fill {
  change: ColumnChange;
  child: string;
  parent: string;
  /** The parent column whose uuid the child takes. */
  source: string;
  /** The join of child `c` to parent `p` on the values the child holds today. */
  match: string;
}

/** Every reference's fill, parents' fills first. */
export function fills(c: ComponentChanges): Fill[] {
  const byColumn = new Map(c.changes.map((ch) => [columnKey(ch.table, ch.column.name), ch]));
  return fillOrder(c.changes, byColumn).map((change) => {
    const ref = change.fillFrom!;
    const parentColumn = ref.parentColumns[ref.columns.indexOf(change.column.name)]!;
    // The parent column's uuid: its shadow while it converts in this plan, the column itself when already uuid.
    const parentChange = byColumn.get(columnKey(ref.parent, parentColumn));
    return {
      change,
      child: qualify(change.table.schema, change.table.name),
      parent: qualify(ref.parent.schema, ref.parent.name),
      source: ref.mode === 'repair' || !parentChange ? parentColumn : parentChange.shadow,
      match: ref.columns.map((col, j) => `p.${quoteIdent(ref.joinColumns[j]!)} = c.${quoteIdent(col)}`).join(' AND '),
    };
  });
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
