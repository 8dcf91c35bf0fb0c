import { qualify, qualifyTable, quoteIdent, quoteLiteral } from '../db/quote.js';
import { type TableModel, tableKey } from '../model/types.js';
import { planRefill } from './backfill-stage.js';
import { boundObjects, legacyUniqueName } from './bound-objects.js';
import { columnAttributes, dropBound, rebuildBound } from './bound-steps.js';
import { type ColumnChange, type ComponentChanges, withChildren } from './component-changes.js';
import { lostParentGuard, partlySet } from './guard.js';
import { holdOff, withoutForcedRowSecurity } from './hold-off.js';
import { lockTables } from './lock-order.js';
import { columnList } from './sql-text.js';
import { immediateConstraints, type StepDraft, step } from './step.js';

/**
 * Swap, in one transaction per component: bring the backfill up to date, drop what is bound to the
 * integer columns, rename `id → legacy_id` and the shadow into place, then rebuild every constraint,
 * index and view from the definition PostgreSQL printed for it (the names are unchanged, so the text
 * binds to the new columns).
 */
export function planSwap(c: ComponentChanges, fireTriggers: boolean): StepDraft[] {
  const bound = boundObjects(c);
  return [
    immediateConstraints(),
    ...lockTables(c.tables, c),
    ...withoutForcedRowSecurity(c.tables, holdOff(withChildren(c), planRefill(c), fireTriggers)),
    ...guards(c),
    ...dropBound(bound),
    ...c.changes.flatMap(swapColumn),
    ...c.changes.flatMap(columnAttributes),
    ...rebuildBound(
      bound,
      'uuid',
      c.changes.filter((ch) => ch.role === 'key').map((ch) => legacyUnique(ch, c.tables)),
      bound.declaredForeignKeys,
    ),
    ...c.changes.flatMap(legacySequence),
  ];
}

/** Refuse to commit if a row that had a parent did not get its uuid (written since the plan): one scan per table. */
function guards(c: ComponentChanges): StepDraft[] {
  return c.tables.flatMap((table) => {
    const refs = c.changes.filter((ch) => ch.role === 'reference' && tableKey(ch.table) === tableKey(table));
    if (!refs.length) return [];
    const columns = refs.map((ch) => ch.column.name).join(', ');
    const from = qualify(table.schema, table.name);
    const guard = lostParentGuard(from, refs, undefined, (ch) => partlySet(ch, table));
    return [step('guard', `check every ${columns} found its parent`, guard, 'ACCESS SHARE', table)];
  });
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
    `ALTER TABLE ${t} ADD CONSTRAINT ${quoteIdent(name)} UNIQUE (${columnList(columns)})`,
    'ACCESS EXCLUSIVE',
    change.table,
  );
}

/**
 * A key the application supplied (no default, no identity): its legacy column gets a sequence starting
 * after the largest value, owned by the column (finalize drops them together), so rows inserted after
 * apply still get an integer there and rollback can give every row its key back.
 */
export function legacySequence(change: ColumnChange): StepDraft[] {
  if (!change.legacySequence) return [];
  const t = qualifyTable(change.table);
  const legacy = quoteIdent(change.keepAs);
  const sequence = qualify(change.table.schema, change.legacySequence);
  const what = `${change.keepAs} gets a sequence of its own (${change.column.name} had no default)`;
  return [
    step(
      'column',
      what,
      `CREATE SEQUENCE ${sequence} AS ${change.column.type} OWNED BY ${t}.${legacy}`,
      'NONE',
      change.table,
    ),
    step(
      'column',
      `the sequence starts after the largest ${change.keepAs}`,
      `SELECT setval(${quoteLiteral(sequence)}, coalesce(max(${legacy}), 0) + 1, false) FROM ${t}`,
      'ACCESS SHARE',
      change.table,
    ),
    step(
      'column',
      `rows inserted from now on get their ${change.keepAs} from it`,
      `ALTER TABLE ${t} ALTER COLUMN ${legacy} SET DEFAULT nextval(${quoteLiteral(sequence)}::regclass)`,
      'ACCESS EXCLUSIVE',
      change.table,
    ),
  ];
}
