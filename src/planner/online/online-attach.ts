import { qualify, qualifyTable, quoteIdent } from '../../db/quote.js';
import type { ForeignKeyModel, TableModel } from '../../model/types.js';
import { boundObjects, legacyUniqueName, type Named } from '../bound-objects.js';
import type { ColumnChange, ComponentChanges } from '../component-changes.js';
import { clauses } from '../sql-text.js';
import { type StepDraft, step } from '../step.js';
import { legacyUnique } from '../swap-stage.js';
import { declaredForeignKeys, foreignKeyDefinition } from './online-constraints.js';
import { indexOf, intoPartitioned, shadowObject } from './online-names.js';
import {
  attachIndex,
  isPartitioned,
  partitionConstraint,
  partitionIndex,
  partitionLegacyName,
  partitionsOf,
} from './online-partitions.js';

/** Attaching what the build made: keys through their indexes, indexes and foreign keys by name. */

const keyKind = (definition: string) => (definition.startsWith('PRIMARY KEY') ? 'PRIMARY KEY' : 'UNIQUE');

/**
 * A key on the uuid columns through the index built for it. On a partitioned table each partition
 * gets its key through its own index, then the partitioned table's key adopts them (catalog only).
 */
export function attachKey(c: ComponentChanges, { table, name, definition }: Named, built = shadowObject): StepDraft[] {
  const kind = keyKind(definition);
  if (isPartitioned(table)) {
    return [
      ...partitionsOf(c, table).map((p) => {
        const own = partitionIndex(p, indexOf({ table, name, definition }))!;
        return partitionConstraint(p, own.name, kind, built(own.name));
      }),
      step(
        'constraint',
        `${name} becomes the ${kind.toLowerCase()} of ${table.name}, adopting its partitions' (no scan)`,
        `ALTER TABLE ${qualifyTable(table)} ADD CONSTRAINT ${quoteIdent(name)} ${definition}`,
        'ACCESS EXCLUSIVE',
        table,
      ),
    ];
  }
  const deferrable = /\bDEFERRABLE\b/.test(definition)
    ? ` DEFERRABLE${/INITIALLY DEFERRED/.test(definition) ? ' INITIALLY DEFERRED' : ''}`
    : '';
  return [
    step(
      'constraint',
      `${name} becomes the ${kind.toLowerCase()} on the uuid columns, through the index built for it (no scan)`,
      clauses(
        `ALTER TABLE ${qualifyTable(table)} ADD CONSTRAINT ${quoteIdent(name)} ${kind}`,
        `USING INDEX ${quoteIdent(built(name))}${deferrable}`,
      ),
      'ACCESS EXCLUSIVE',
      table,
    ),
  ];
}

/** The legacy integer stays unique, through the index (or the partitions' indexes) built for it. */
export function attachLegacy(c: ComponentChanges, change: ColumnChange): StepDraft[] {
  const name = legacyUniqueName(change, c.tables);
  if (isPartitioned(change.table)) {
    return [
      ...partitionsOf(c, change.table).map((p) =>
        partitionConstraint(p, partitionLegacyName(p, change), 'UNIQUE', partitionLegacyName(p, change)),
      ),
      legacyUnique(change, c.tables),
    ];
  }
  return [
    step(
      'constraint',
      `${change.keepAs} stays unique, through the index built for it (no scan)`,
      clauses(
        `ALTER TABLE ${qualifyTable(change.table)} ADD CONSTRAINT ${quoteIdent(name)}`,
        `UNIQUE USING INDEX ${quoteIdent(name)}`,
      ),
      'ACCESS EXCLUSIVE',
      change.table,
    ),
  ];
}

/** An index built on the shadows takes its name; a partitioned table's is made ON ONLY it and attached. */
export function attachIndexes(
  c: ComponentChanges,
  { table, name, definition }: Named,
  built = shadowObject,
): StepDraft[] {
  const rename = (on: TableModel, from: string, to: string) =>
    step(
      'rename',
      `index ${from} takes the name ${to}`,
      `ALTER INDEX ${qualify(on.schema, from)} RENAME TO ${quoteIdent(to)}`,
      'ACCESS EXCLUSIVE',
      on,
    );
  if (!isPartitioned(table)) return [rename(table, built(name), name)];
  return [
    step(
      'index',
      `index ${name} again on ${table.name} only (its partitions' are attached next: no build)`,
      definition.replace(/ ON (?!ONLY )/, ' ON ONLY '),
      'SHARE',
      table,
    ),
    ...partitionsOf(c, table).flatMap((p) => {
      const own = partitionIndex(p, definition)!;
      return [rename(p, built(own.name), own.name), attachIndex(table, name, p, own.name)];
    }),
  ];
}

/**
 * A foreign key built on the shadows takes its name. From a partitioned table: its partitions' take
 * the name, and the partitioned table's own adopts them (catalog only). Into a partitioned table: added
 * NOT VALID here (it needed the key made just above), validated by the stage after the swap.
 */
export function attachForeignKey(
  c: ComponentChanges,
  table: TableModel,
  fk: ForeignKeyModel,
  built = shadowObject,
): StepDraft[] {
  const rename = (on: TableModel) =>
    step(
      'rename',
      `foreign key ${built(fk.name)} (validated) of ${on.name} takes the name ${fk.name}`,
      clauses(
        `ALTER TABLE ${qualifyTable(on)} RENAME CONSTRAINT`,
        `${quoteIdent(built(fk.name))} TO ${quoteIdent(fk.name)}`,
      ),
      'ACCESS EXCLUSIVE',
      on,
    );
  const definition = (fk.definition ?? foreignKeyDefinition(fk)).replace(/\s+NOT VALID$/, '');
  if (intoPartitioned(c, fk)) {
    const then = fk.validated ? 'validated after the swap' : 'as it was before apply';
    return [
      step(
        'constraint',
        `foreign key ${fk.name} into partitioned ${fk.refTable}, NOT VALID (${then})`,
        `ALTER TABLE ${qualifyTable(table)} ADD CONSTRAINT ${quoteIdent(fk.name)} ${definition} NOT VALID`,
        'SHARE ROW EXCLUSIVE',
        table,
      ),
    ];
  }
  if (!isPartitioned(table)) return [rename(table)];
  return [
    ...partitionsOf(c, table).map(rename),
    step(
      'constraint',
      `foreign key ${fk.name} of ${table.name}, adopting its partitions' validated ones (no scan)`,
      `ALTER TABLE ${qualifyTable(table)} ADD CONSTRAINT ${quoteIdent(fk.name)} ${definition}`,
      'SHARE ROW EXCLUSIVE',
      table,
    ),
  ];
}

/** After a swap, the foreign keys it added NOT VALID into partitioned tables are validated (writers go on). */
export function planOnlineValidate(c: ComponentChanges, declared = true): StepDraft[] {
  return [...boundObjects(c).foreignKeys, ...(declared ? declaredForeignKeys(c) : [])]
    .filter(({ fk }) => intoPartitioned(c, fk) && fk.validated)
    .map(({ table, fk }) =>
      step(
        'constraint',
        `validate foreign key ${fk.name}: one scan, while writes go on`,
        `ALTER TABLE ${qualifyTable(table)} VALIDATE CONSTRAINT ${quoteIdent(fk.name)}`,
        'SHARE UPDATE EXCLUSIVE',
        table,
      ),
    );
}
