import { qualify, quoteIdent } from '../db/quote.js';
import { type TableModel, type TableRef, tableKey } from '../model/types.js';
import type { ComponentChanges } from './component-changes.js';
import { lockTables } from './lock-order.js';
import type { OrphanPolicy } from './plan-schema.js';
import { type StepDraft, step } from './step.js';

export interface FinalizeDrop {
  table: TableModel;
  column: string;
}

/**
 * What finalize drops: what only the migration needed: the integer a reference held
 * (`<col>__uuidmig_old`), the legacy key columns the Drizzle schema does not declare (their sequences
 * go with them), and, under --orphans null, the orphans' old values. Under --orphans keep those stay.
 */
export function finalizeDrops(
  c: ComponentChanges,
  orphans: OrphanPolicy,
  legacyDeclared: (table: TableRef, column: string) => boolean,
): FinalizeDrop[] {
  const drops: FinalizeDrop[] = [];
  for (const change of c.changes) {
    if (change.role === 'reference') drops.push({ table: change.table, column: change.keepAs });
    if (change.role === 'key' && !legacyDeclared(change.table, change.column.name))
      drops.push({ table: change.table, column: change.keepAs });
    if (change.orphanColumn && orphans === 'null') drops.push({ table: change.table, column: change.orphanColumn });
  }
  return drops;
}

export function planFinalize(drops: FinalizeDrop[], c: ComponentChanges): StepDraft[] {
  if (!drops.length) return [];
  const tables = c.tables.filter((t) => drops.some((d) => tableKey(d.table) === tableKey(t)));
  return [
    ...lockTables(tables, c),
    ...drops.map(({ table, column }) =>
      step(
        'drop',
        `drop ${column}, which only the migration needed`,
        `ALTER TABLE ${qualify(table.schema, table.name)} DROP COLUMN ${quoteIdent(column)}`,
        'ACCESS EXCLUSIVE',
        table,
      ),
    ),
  ];
}
