import { qualify, quoteIdent } from '../db/quote.js';
import type { TableModel } from '../model/types.js';
import { boundObjects, columnAttributes, dropBound, legacyUniqueName, rebuildBound } from './bound-objects.js';
import type { ColumnChange, ComponentChanges } from './component-changes.js';
import { immediateConstraints, type StepDraft, step } from './step.js';

/**
 * Swap, in one transaction per component: drop what is bound to the integer columns, rename
 * `id → legacy_id` and the shadow into place, then rebuild every constraint, index and view from the
 * definition PostgreSQL printed for it (the names are unchanged, so the text binds to the new columns).
 */
export function planSwap(c: ComponentChanges): StepDraft[] {
  const bound = boundObjects(c);
  return [
    immediateConstraints(),
    ...c.changes.filter((ch) => ch.role === 'reference').map(guard),
    ...dropBound(bound),
    ...c.changes.flatMap(swapColumn),
    ...c.changes.flatMap(columnAttributes),
    ...rebuildBound(
      bound,
      'uuid',
      c.changes.filter((ch) => ch.role === 'key').map((ch) => legacyUnique(ch, c.tables)),
      bound.declaredForeignKeys,
    ),
  ];
}

/** Refuse to commit if a row that had a parent did not get its uuid (a row written since the plan). */
function guard(change: ColumnChange): StepDraft {
  const t = qualify(change.table.schema, change.table.name);
  const ref = change.fillFrom!;
  const allSet = ref.columns.map((col) => `${quoteIdent(col)} IS NOT NULL`).join(' AND ');
  const recorded = change.orphanColumn ? ` AND ${quoteIdent(change.orphanColumn)} IS NULL` : '';
  const where = `${allSet} AND ${quoteIdent(change.shadow)} IS NULL${recorded}`;
  const message =
    `uuidmig: % row(s) of ${change.table.schema}.${change.table.name}.${change.column.name} have no parent; nothing was changed`.replaceAll(
      "'",
      "''",
    );
  return step(
    'guard',
    `check every ${change.column.name} found its parent`,
    `DO $uuidmig$ DECLARE lost bigint; BEGIN SELECT count(*) INTO lost FROM ${t} WHERE ${where}; IF lost > 0 THEN RAISE EXCEPTION '${message}', lost; END IF; END $uuidmig$`,
    'ACCESS SHARE',
    change.table,
  );
}

export function swapColumn(change: ColumnChange): StepDraft[] {
  const t = qualify(change.table.schema, change.table.name);
  const { column } = change;
  const steps: StepDraft[] = [
    step(
      'rename',
      `keep the old ${column.name} as ${change.keepAs}`,
      `ALTER TABLE ${t} RENAME COLUMN ${quoteIdent(column.name)} TO ${quoteIdent(change.keepAs)}`,
      'ACCESS EXCLUSIVE',
      change.table,
    ),
  ];
  if (change.role === 'reference') {
    // The retired integer column must not stop new rows, which only fill the uuid column.
    if (column.notNull)
      steps.push(
        step(
          'column',
          `${change.keepAs} accepts NULL for rows written after the swap`,
          `ALTER TABLE ${t} ALTER COLUMN ${quoteIdent(change.keepAs)} DROP NOT NULL`,
          'ACCESS EXCLUSIVE',
          change.table,
        ),
      );
    if (column.default !== null)
      steps.push(
        step(
          'column',
          `drop the integer default of ${change.keepAs}`,
          `ALTER TABLE ${t} ALTER COLUMN ${quoteIdent(change.keepAs)} DROP DEFAULT`,
          'ACCESS EXCLUSIVE',
          change.table,
        ),
      );
  }
  steps.push(
    step(
      'rename',
      `the uuid column becomes ${column.name}`,
      `ALTER TABLE ${t} RENAME COLUMN ${quoteIdent(change.shadow)} TO ${quoteIdent(column.name)}`,
      'ACCESS EXCLUSIVE',
      change.table,
    ),
  );
  if (column.notNull)
    steps.push(
      step(
        'column',
        `${column.name} stays NOT NULL`,
        `ALTER TABLE ${t} ALTER COLUMN ${quoteIdent(column.name)} SET NOT NULL`,
        'ACCESS EXCLUSIVE',
        change.table,
      ),
    );
  if (change.role === 'key') {
    steps.push(
      change.newDefault === null
        ? step(
            'column',
            `${column.name} has no default, as the Drizzle schema says`,
            `ALTER TABLE ${t} ALTER COLUMN ${quoteIdent(column.name)} DROP DEFAULT`,
            'ACCESS EXCLUSIVE',
            change.table,
          )
        : step(
            'column',
            `${column.name} defaults to ${change.newDefault}, as the Drizzle schema says`,
            `ALTER TABLE ${t} ALTER COLUMN ${quoteIdent(column.name)} SET DEFAULT ${change.newDefault}`,
            'ACCESS EXCLUSIVE',
            change.table,
          ),
    );
  }
  return steps;
}

/** The legacy column stays NOT NULL (it was a key) and becomes UNIQUE, so it can map rows back. */
export function legacyUnique(change: ColumnChange, tables: TableModel[]): StepDraft {
  const t = qualify(change.table.schema, change.table.name);
  const name = legacyUniqueName(change, tables);
  // A unique constraint on a partitioned table must include its partition key.
  const columns = [change.keepAs, ...(change.table.partitionKey ?? []).filter((c) => c !== change.column.name)];
  return step(
    'constraint',
    `${change.keepAs} stays unique`,
    `ALTER TABLE ${t} ADD CONSTRAINT ${quoteIdent(name)} UNIQUE (${columns.map(quoteIdent).join(', ')})`,
    'ACCESS EXCLUSIVE',
    change.table,
  );
}
