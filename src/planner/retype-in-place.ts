import { qualifyTable, quoteIdent } from '../db/quote.js';
import type { ColumnModel, TableModel } from '../model/types.js';
import type { ColumnChange } from './component-changes.js';
import { moveIdentity } from './move-identity.js';
import { type StepDraft, step } from './step.js';

/**
 * The rewrite strategy empties its tables before it swaps their columns, so a converting column can
 * change type where it stands (`ALTER COLUMN ... TYPE uuid USING NULL`: no row to convert) and keep its
 * position, with the integers going to a new legacy (or retired) column at the end. Composite keys
 * then read back in declared order, and `SELECT *`/`COPY` keep their column order. Not where
 * PostgreSQL would refuse the type change: a partition key column, one a generated column reads, or a
 * key a check of its own reads (the check stays with the integers); those are renamed aside as the
 * other strategies do.
 */
export function keepsPosition(change: ColumnChange): boolean {
  const { table, column } = change;
  if ((table.partitionKey ?? []).includes(column.name)) return false;
  if (table.columns.some((c) => c.generated && (c.generatedFrom ?? [column.name]).includes(column.name))) return false;
  return !(change.role === 'key' && table.checks.some((k) => k.columns.includes(column.name)));
}

/** On the emptied table: the integers' new column, what generated them moved onto it, the type changed in place. */
export function retypeColumn(change: ColumnChange): StepDraft[] {
  const col = quoteIdent(change.column.name);
  return [
    ...keepIntegers(change, 'empty'),
    alterOf(change.table)(
      `${change.column.name} becomes uuid where it stands (no row to convert)`,
      `ALTER COLUMN ${col} TYPE uuid USING NULL`,
    ),
    ...uuidDefault(change),
  ];
}

/**
 * Before a column becomes uuid where it stands: the column that will keep its integers, at the end of
 * the table, then what generated a key's integers moved onto it, and a reference's default dropped.
 * On an `empty` table the column is added as it will be; on a `filled` one (the keyed rewrite fills
 * it) a key's is NOT NULL through a default every row reads until the rewrite writes it, dropped at
 * once: no row is written either way.
 */
export function keepIntegers(change: ColumnChange, table: 'empty' | 'filled'): StepDraft[] {
  const { column } = change;
  const kept = quoteIdent(change.keepAs);
  const alter = alterOf(change.table);
  const key = change.role === 'key';
  const notNull = key && column.notNull;
  const placeholder = notNull && table === 'filled';
  const instant = table === 'empty' ? 'the table is empty: instant' : 'no row written: the rewrite fills it';
  return [
    alter(
      `${change.keepAs} will keep the integers of ${column.name} (${instant})`,
      `ADD COLUMN ${kept} ${column.type}${notNull ? ' NOT NULL' : ''}${placeholder ? ' DEFAULT 0' : ''}`,
    ),
    ...(placeholder ? [alter(`${change.keepAs} has no default of its own`, `ALTER COLUMN ${kept} DROP DEFAULT`)] : []),
    ...(key ? moveGenerator(change.table, column, column.name, change.keepAs) : []),
    ...(!key && column.default !== null
      ? [alter(`drop the integer default of ${column.name}`, `ALTER COLUMN ${quoteIdent(column.name)} DROP DEFAULT`)]
      : []),
  ];
}

/** A key that became uuid where it stands gets the default the Drizzle schema gives it. */
export function uuidDefault(change: ColumnChange): StepDraft[] {
  if (change.role !== 'key') return [];
  const alter = alterOf(change.table);
  const col = quoteIdent(change.column.name);
  return [
    change.newDefault === null
      ? alter(`${change.column.name} has no default, as the Drizzle schema says`, `ALTER COLUMN ${col} DROP DEFAULT`)
      : alter(
          `${change.column.name} defaults to ${change.newDefault}, as the Drizzle schema says`,
          `ALTER COLUMN ${col} SET DEFAULT ${change.newDefault}`,
        ),
  ];
}

/**
 * Before the rewrite, at the end of the table: the uuid column of one that cannot change type where it
 * stands, and the column that keeps the old values of orphans. No row is written.
 */
export function addColumns(change: ColumnChange): StepDraft[] {
  return [
    ...(keepsPosition(change)
      ? []
      : [
          step(
            'expand',
            `add uuid column ${change.shadow}`,
            `ALTER TABLE ${qualifyTable(change.table)} ADD COLUMN ${quoteIdent(change.shadow)} uuid`,
            'ACCESS EXCLUSIVE',
            change.table,
          ),
        ]),
    ...(change.orphanColumn
      ? [
          step(
            'orphans',
            `add ${change.orphanColumn} for the old values of orphans`,
            `ALTER TABLE ${qualifyTable(change.table)} ` +
              `ADD COLUMN ${quoteIdent(change.orphanColumn)} ${change.column.type}`,
            'ACCESS EXCLUSIVE',
            change.table,
          ),
        ]
      : []),
  ];
}

/**
 * Rollback of a column retyped in place, for one table: every converting column takes its integers
 * back where it stands, in one rewrite of the table (`TYPE ... USING` the column that kept them), then
 * what generated a key's integers moves back and the kept columns go.
 */
export function unretypeColumns(table: TableModel, changes: ColumnChange[]): StepDraft[] {
  const alter = alterOf(table);
  const types = changes.map(
    (ch) => `ALTER COLUMN ${quoteIdent(ch.column.name)} TYPE ${ch.column.type} USING ${quoteIdent(ch.keepAs)}`,
  );
  const names = changes.map((ch) => ch.column.name).join(', ');
  return [
    ...changes
      .filter((ch) => ch.role === 'key' && ch.newDefault !== null)
      .map((ch) =>
        alter(`${ch.column.name} loses its uuid default`, `ALTER COLUMN ${quoteIdent(ch.column.name)} DROP DEFAULT`),
      ),
    alter(`${names} take their integers back where they stand (one rewrite of ${table.name})`, types.join(', ')),
    ...changes.flatMap((ch) => [
      ...(ch.role === 'key' && !ch.legacySequence ? moveGenerator(table, ch.column, ch.keepAs, ch.column.name) : []),
      ...(ch.role === 'reference' && ch.column.default !== null
        ? [
            alter(
              `${ch.column.name} gets its default back`,
              `ALTER COLUMN ${quoteIdent(ch.column.name)} SET DEFAULT ${ch.column.default}`,
            ),
          ]
        : []),
      // A sequence apply made for an application-supplied key is owned by the kept column: it goes with it.
      ...[ch.keepAs, ...(ch.orphanColumn ? [ch.orphanColumn] : [])].map((drop) =>
        alter(`drop ${drop}`, `DROP COLUMN ${quoteIdent(drop)}`),
      ),
    ]),
  ];
}

/**
 * A key's generator moves with its integers from one column to the other: an identity (its sequence's
 * name, options and position carried over, read at run time, and its grants and comment from the
 * catalog), or a default (a serial's `nextval`) and the ownership of its sequence.
 */
function moveGenerator(table: TableModel, column: ColumnModel, from: string, to: string): StepDraft[] {
  const t = qualifyTable(table);
  const alter = alterOf(table);
  if (column.identity) return moveIdentity(table, column, from, to);
  if (column.default === null) return [];
  return [
    alter(`${to} takes the default of ${from}`, `ALTER COLUMN ${quoteIdent(to)} SET DEFAULT ${column.default}`),
    alter(`${from} gives its default up`, `ALTER COLUMN ${quoteIdent(from)} DROP DEFAULT`),
    ...(column.ownedSequence
      ? [
          step(
            'column',
            `the sequence ${column.ownedSequence} belongs to ${to}`,
            `ALTER SEQUENCE ${column.ownedSequence} OWNED BY ${t}.${quoteIdent(to)}`,
            'ACCESS EXCLUSIVE',
            table,
          ),
        ]
      : []),
  ];
}

/** `ALTER TABLE <table> ...` steps on one table, each with what it does. */
const alterOf =
  (table: TableModel) =>
  (what: string, sql: string): StepDraft =>
    step('column', what, `ALTER TABLE ${qualifyTable(table)} ${sql}`, 'ACCESS EXCLUSIVE', table);
