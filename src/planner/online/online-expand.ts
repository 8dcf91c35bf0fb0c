import { qualifyTable, quoteIdent } from '../../db/quote.js';
import { type ComponentChanges, changedTables } from '../component-changes.js';
import { lockTables } from '../lock-order.js';
import { type StepDraft, step } from '../step.js';
import { syncTriggers } from './sync-triggers.js';

/**
 * The online expand, one short transaction per component: the shadow uuid columns (no default on
 * ADD COLUMN: a volatile one would rewrite the table; keys get theirs after, for new rows only), the
 * orphans' columns, and the sync triggers, so every write from its commit on fills the shadows. Each
 * ALTER holds ACCESS EXCLUSIVE for a moment, under lock_timeout with retries.
 */
export function planOnlineExpand(c: ComponentChanges, stageId: string): StepDraft[] {
  const columns = c.changes.flatMap((change) => {
    const t = qualifyTable(change.table);
    const shadow = quoteIdent(change.shadow);
    return [
      step(
        'expand',
        `add uuid column ${change.shadow} beside ${change.column.name}`,
        `ALTER TABLE ${t} ADD COLUMN ${shadow} uuid`,
        'ACCESS EXCLUSIVE',
        change.table,
      ),
      ...(change.role === 'key'
        ? [
            step(
              'expand',
              `new rows of ${change.table.name} get a uuid in ${change.shadow}`,
              `ALTER TABLE ${t} ALTER COLUMN ${shadow} SET DEFAULT gen_random_uuid()`,
              'ACCESS EXCLUSIVE',
              change.table,
            ),
          ]
        : []),
      ...(change.orphanColumn
        ? [
            step(
              'orphans',
              `keep the old value of rows whose ${change.column.name} has no parent in ${change.orphanColumn}`,
              `ALTER TABLE ${t} ADD COLUMN ${quoteIdent(change.orphanColumn)} ${change.column.type}`,
              'ACCESS EXCLUSIVE',
              change.table,
            ),
          ]
        : []),
    ];
  });
  // Every table up front, parents first, like every stage that takes ACCESS EXCLUSIVE (a moment's hold).
  return [...lockTables(changedTables(c), c), ...columns, ...syncTriggers(c, stageId)];
}
