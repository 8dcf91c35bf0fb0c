import { qualify, quoteIdent, quoteLiteral } from '../db/quote.js';
import { type TableModel, type TableRef, tableKey } from '../model/types.js';
import type { ComponentChanges } from './component-changes.js';
import { lockTables } from './lock-order.js';
import type { OrphanPolicy } from './plan-schema.js';
import { clauses, doBlock } from './sql-text.js';
import { type StepDraft, step } from './step.js';

export interface FinalizeDrop {
  table: TableModel;
  column: string;
  /** A legacy key's own sequence (serial, not identity): it goes with the column unless others use it. */
  sequence?: string;
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
    if (change.role === 'key' && !legacyDeclared(change.table, change.column.name)) {
      const sequence = change.column.identity ? undefined : (change.column.ownedSequence ?? undefined);
      drops.push({ table: change.table, column: change.keepAs, ...(sequence ? { sequence } : {}) });
    }
    if (change.orphanColumn && orphans === 'null') drops.push({ table: change.table, column: change.orphanColumn });
  }
  return drops;
}

export function planFinalize(drops: FinalizeDrop[], c: ComponentChanges): StepDraft[] {
  if (!drops.length) return [];
  const tables = c.tables.filter((t) => drops.some((d) => tableKey(d.table) === tableKey(t)));
  return [
    ...lockTables(tables, c),
    ...drops.flatMap(({ table, column, sequence }) => [
      ...(sequence ? [keepSharedSequence(table, column, sequence)] : []),
      step(
        'drop',
        `drop ${column}, which only the migration needed`,
        `ALTER TABLE ${qualify(table.schema, table.name)} DROP COLUMN ${quoteIdent(column)}`,
        'ACCESS EXCLUSIVE',
        table,
      ),
    ]),
  ];
}

/**
 * A serial sequence is owned by its column and dropped with it; when another column's default draws
 * from it too (a table once split from this one, an inheritance child made independent), that drop
 * would fail (`other objects depend on it`). Then the sequence is released from the legacy column and
 * stays for the columns that use it.
 */
function keepSharedSequence(table: TableModel, column: string, sequence: string): StepDraft {
  const seq = `${quoteLiteral(sequence)}::regclass`;
  const own = `(${quoteLiteral(qualify(table.schema, table.name))}::regclass, ${quoteLiteral(column)})`;
  return step(
    'setting',
    `keep ${sequence} if another column's default uses it (else it goes with ${column})`,
    doBlock(
      clauses(
        'BEGIN IF EXISTS (SELECT 1 FROM pg_depend AS d JOIN pg_attrdef AS ad ON ad.oid = d.objid',
        `JOIN pg_attribute AS a ON a.attrelid = ad.adrelid AND a.attnum = ad.adnum`,
        `WHERE d.classid = 'pg_attrdef'::regclass AND d.refobjid = ${seq} AND (a.attrelid, a.attname) <> ${own})`,
        `THEN ALTER SEQUENCE ${sequence} OWNED BY NONE; END IF; END`,
      ),
    ),
    'NONE',
    table,
  );
}
