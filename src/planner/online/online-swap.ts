import { qualify, qualifyTable, quoteIdent } from '../../db/quote.js';
import { boundObjects, legacyUniqueName } from '../bound-objects.js';
import { columnAttributes, dropBound, rebuildBound } from '../bound-steps.js';
import type { ComponentChanges } from '../component-changes.js';
import { lockTables } from '../lock-order.js';
import { clauses } from '../sql-text.js';
import { type StepDraft, step } from '../step.js';
import { legacySequence, swapColumn } from '../swap-stage.js';
import { declaredForeignKeys, notNullCheckName, shadowObject } from './online-build.js';
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
    ...keys.map(({ table, name, definition }) => {
      const kind = definition.startsWith('PRIMARY KEY') ? 'PRIMARY KEY' : 'UNIQUE';
      const deferrable = /\bDEFERRABLE\b/.test(definition)
        ? ` DEFERRABLE${/INITIALLY DEFERRED/.test(definition) ? ' INITIALLY DEFERRED' : ''}`
        : '';
      return step(
        'constraint',
        `${name} becomes the ${kind.toLowerCase()} on the uuid columns, through the index built for it (no scan)`,
        clauses(
          `ALTER TABLE ${at(table)} ADD CONSTRAINT ${quoteIdent(name)} ${kind}`,
          `USING INDEX ${quoteIdent(shadowObject(name))}${deferrable}`,
        ),
        'ACCESS EXCLUSIVE',
        table,
      );
    }),
    ...c.changes
      .filter((ch) => ch.role === 'key')
      .map((ch) => {
        const name = legacyUniqueName(ch, c.tables);
        return step(
          'constraint',
          `${ch.keepAs} stays unique, through the index built for it (no scan)`,
          `ALTER TABLE ${at(ch.table)} ADD CONSTRAINT ${quoteIdent(name)} UNIQUE USING INDEX ${quoteIdent(name)}`,
          'ACCESS EXCLUSIVE',
          ch.table,
        );
      }),
    ...bound.indexes.map(({ table, name }) =>
      step(
        'rename',
        `index ${shadowObject(name)} takes the name ${name}`,
        `ALTER INDEX ${qualify(table.schema, shadowObject(name))} RENAME TO ${quoteIdent(name)}`,
        'ACCESS EXCLUSIVE',
        table,
      ),
    ),
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
    ...[...bound.foreignKeys, ...declaredForeignKeys(c)].map(({ table, fk }) =>
      step(
        'rename',
        `foreign key ${shadowObject(fk.name)} (validated) takes the name ${fk.name}`,
        `ALTER TABLE ${at(table)} RENAME CONSTRAINT ${quoteIdent(shadowObject(fk.name))} TO ${quoteIdent(fk.name)}`,
        'ACCESS EXCLUSIVE',
        table,
      ),
    ),
    ...rebuildBound({ ...bound, keys: [], indexes: [], foreignKeys: [] }, 'uuid'),
    ...c.changes.flatMap(legacySequence),
    ...reverseSyncTriggers(c, stageId),
  ];
}
