import { qualifyTable, quoteIdent } from '../../db/quote.js';
import { boundObjects } from '../bound-objects.js';
import { columnAttributes, dropBound, rebuildBound } from '../bound-steps.js';
import type { ComponentChanges } from '../component-changes.js';
import { lockTables } from '../lock-order.js';
import { type StepDraft, step } from '../step.js';
import { legacySequence, swapColumn } from '../swap-stage.js';
import { attachForeignKey, attachIndexes, attachKey, attachLegacy } from './online-attach.js';
import { declaredForeignKeys } from './online-constraints.js';
import { notNullCheckName, shadowObject } from './online-names.js';
import { dropSyncTriggers, reverseSyncTriggers } from './sync-triggers.js';

/**
 * The online swap, one short transaction per component, every step catalog-only: nothing reads a
 * table under the lock. Lock the tables (parents first, under a short lock_timeout, retried), stop the
 * sync triggers, drop what is bound to the integer columns, rename the columns, SET NOT NULL (the
 * validated checks prove it: no scan), attach the keys built beside them (`USING INDEX`), rename the
 * shadow indexes and foreign keys into place, recreate views, policies, triggers and rules (catalog
 * only), and turn the sync triggers around: a write that sets a uuid sets the integer too, so rollback
 * stays exact until finalize.
 */
export function planOnlineSwap(c: ComponentChanges, expandStage: string, stageId: string): StepDraft[] {
  const bound = boundObjects(c);
  const keys = bound.keys.filter((k) => /^(PRIMARY KEY|UNIQUE)\b/.test(k.definition));
  const at = qualifyTable;
  return [
    ...lockTables(c.tables, c),
    ...dropSyncTriggers(c, expandStage),
    ...dropBound(bound),
    ...c.changes.flatMap(swapColumn),
    ...c.changes
      .filter((ch) => ch.column.notNull)
      .map((ch) =>
        step(
          'drop',
          `drop ${notNullCheckName(ch)}: NOT NULL holds ${ch.column.name} now`,
          `ALTER TABLE ${at(ch.table)} DROP CONSTRAINT ${quoteIdent(notNullCheckName(ch))}`,
          'ACCESS EXCLUSIVE',
          ch.table,
        ),
      ),
    ...c.changes.flatMap(columnAttributes),
    ...keys.flatMap((k) => attachKey(c, k)),
    ...c.changes.filter((ch) => ch.role === 'key').flatMap((ch) => attachLegacy(c, ch)),
    ...bound.indexes.flatMap((ix) => attachIndexes(c, ix)),
    ...bound.keys
      .filter((k) => k.definition.startsWith('CHECK'))
      .map(({ table, name }) =>
        step(
          'rename',
          `check ${shadowObject(name)} (validated) takes the name ${name}`,
          `ALTER TABLE ${at(table)} RENAME CONSTRAINT ${quoteIdent(shadowObject(name))} TO ${quoteIdent(name)}`,
          'ACCESS EXCLUSIVE',
          table,
        ),
      ),
    ...[...bound.foreignKeys, ...declaredForeignKeys(c)].flatMap(({ table, fk }) => attachForeignKey(c, table, fk)),
    ...rebuildBound({ ...bound, keys: [], indexes: [], foreignKeys: [] }, 'uuid'),
    ...c.changes.flatMap(legacySequence),
    ...reverseSyncTriggers(c, stageId),
  ];
}
