import { deriveName } from '../../db/derived-names.js';
import { qualifyTable, quoteIdent } from '../../db/quote.js';
import { referencedTable, type TableRef, tableKey } from '../../model/types.js';
import { boundObjects, legacyUniqueName, type Named } from '../bound-objects.js';
import { dropBound, rebuildBound } from '../bound-steps.js';
import type { ColumnChange, ComponentChanges } from '../component-changes.js';
import { lockTables } from '../lock-order.js';
import { unswapColumn } from '../rollback-stage.js';
import { type StepDraft, step } from '../step.js';
import { attachForeignKey, attachIndexes, attachKey } from './online-attach.js';
import { indexBeside } from './online-build.js';
import { addThenValidate, declaredForeignKeys, foreignKeyOnColumns } from './online-constraints.js';
import { indexOf, intoPartitioned, rootOf } from './online-names.js';
import { isPartitioned, partitionsOf } from './online-partitions.js';
import { expressionOnShadows } from './rewrite-sql.js';
import { dropSyncTriggers } from './sync-triggers.js';

/**
 * Rollback after an online swap, as short as the swap: the mirror of build and swap. While the
 * application writes (the reverse sync triggers keep every integer in step), the keys, indexes, checks
 * and foreign keys are built again on the integer columns, concurrently and NOT VALID + VALIDATE; then
 * one short transaction drops the uuid objects and columns, renames the integers back and attaches
 * what was built. The integer each row gets back is the one it kept, proven before the swap back.
 */
const backObject = (name: string): string => deriveName(name, '__uuidmig_back');
const backNotNull = (change: ColumnChange): string =>
  deriveName(`${change.table.name}_${change.column.name}`, '__uuidmig_back_nn');

/** A table's converting columns and where their integers rest until the swap back. */
function integersOf(c: ComponentChanges, table: TableRef): Map<string, string> {
  const owner = tableKey(rootOf(c, table));
  return new Map(c.changes.filter((ch) => tableKey(ch.table) === owner).map((ch) => [ch.column.name, ch.keepAs]));
}

const keysOf = (c: ComponentChanges) =>
  boundObjects(c).keys.filter((k) => /^(PRIMARY KEY|UNIQUE)\b/.test(k.definition));

export function planReverseBuild(c: ComponentChanges): StepDraft[] {
  const bound = boundObjects(c);
  return [
    ...keysOf(c).flatMap((k) =>
      indexBeside(
        c,
        k.table,
        { definition: indexOf(k), name: k.name, what: `key ${k.name}` },
        integersOf(c, k.table),
        backObject,
        'integer',
      ),
    ),
    // The legacy columns' unique constraints go (the key indexes above keep them unique), so the
    // foreign keys below bind to the indexes that become the keys again.
    ...c.changes
      .filter((ch) => ch.role === 'key')
      .map((ch) => {
        const unique = legacyUniqueName(ch, c.tables);
        return step(
          'drop',
          `drop ${unique}: the index built for ${ch.column.name} keeps ${ch.keepAs} unique`,
          `ALTER TABLE ${qualifyTable(ch.table)} DROP CONSTRAINT IF EXISTS ${quoteIdent(unique)}`,
          'ACCESS EXCLUSIVE',
          ch.table,
        );
      }),
    ...bound.indexes.flatMap((ix) =>
      indexBeside(
        c,
        ix.table,
        { definition: ix.definition, name: ix.name, what: `index ${ix.name}` },
        integersOf(c, ix.table),
        backObject,
        'integer',
      ),
    ),
    ...c.changes
      .filter((ch) => ch.role === 'reference' && ch.column.notNull)
      .flatMap((ch) =>
        addThenValidate(ch.table, backNotNull(ch), `CHECK (${quoteIdent(ch.keepAs)} IS NOT NULL)`, 'a NOT NULL check'),
      ),
    ...bound.keys.filter((k) => k.definition.startsWith('CHECK')).flatMap((k) => checkOnIntegers(c, k)),
    ...bound.foreignKeys
      .filter(({ fk }) => !intoPartitioned(c, fk))
      .flatMap(({ table, fk }) =>
        (isPartitioned(table) ? partitionsOf(c, table) : [table]).flatMap((on) =>
          foreignKeyOnColumns(on, fk, integersOf(c, table), integersOf(c, referencedTable(fk)), {
            name: backObject(fk.name),
            what: `foreign key ${fk.name} on the integer columns`,
          }),
        ),
      ),
  ];
}

function checkOnIntegers(c: ComponentChanges, check: Named): StepDraft[] {
  const parts = /^CHECK \((.*)\)( NO INHERIT)?( NOT VALID)?$/s.exec(check.definition);
  if (!parts) throw new Error(`unexpected CHECK definition: ${check.definition}`);
  const definition = `CHECK (${expressionOnShadows(parts[1]!, integersOf(c, check.table))})${parts[2] ?? ''}`;
  return addThenValidate(check.table, backObject(check.name), definition, `check ${check.name} on the integers`);
}

export function planReverseSwap(c: ComponentChanges, swapStage: string): StepDraft[] {
  const bound = boundObjects(c);
  const at = qualifyTable;
  const rename = (table: TableRef & { name: string }, from: string, to: string, what: string) =>
    step(
      'rename',
      `${what} ${from} takes the name ${to}`,
      `ALTER TABLE ${at(table)} RENAME CONSTRAINT ${quoteIdent(from)} TO ${quoteIdent(to)}`,
      'ACCESS EXCLUSIVE',
      table,
    );
  return [
    ...lockTables(c.tables, c),
    ...dropSyncTriggers(c, swapStage, true),
    ...dropBound(
      bound,
      declaredForeignKeys(c).map(({ table, fk }) => ({ table, name: fk.name, definition: '' })),
    ),
    ...c.changes.flatMap(unswapColumn),
    ...c.changes
      .filter((ch) => ch.role === 'reference' && ch.column.notNull)
      .map((ch) =>
        step(
          'drop',
          `drop ${backNotNull(ch)}: NOT NULL holds ${ch.column.name} again`,
          `ALTER TABLE ${at(ch.table)} DROP CONSTRAINT ${quoteIdent(backNotNull(ch))}`,
          'ACCESS EXCLUSIVE',
          ch.table,
        ),
      ),
    ...keysOf(c).flatMap((k) => attachKey(c, k, backObject)),
    ...bound.indexes.flatMap((ix) => attachIndexes(c, ix, backObject)),
    ...bound.keys
      .filter((k) => k.definition.startsWith('CHECK'))
      .map(({ table, name }) => rename(table, backObject(name), name, 'check')),
    ...bound.foreignKeys.flatMap(({ table, fk }) => attachForeignKey(c, table, fk, backObject)),
    ...rebuildBound({ ...bound, keys: [], indexes: [], foreignKeys: [] }, 'integer'),
  ];
}
