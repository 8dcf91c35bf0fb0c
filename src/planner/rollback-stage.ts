import { qualify, qualifyTable, quoteIdent } from '../db/quote.js';
import { columnKey, tableKey } from '../model/types.js';
import { boundObjects, legacyUniqueName, type Named } from './bound-objects.js';
import { dropBound, rebuildBound } from './bound-steps.js';
import { type ColumnChange, type ComponentChanges, changedTables, withChildren } from './component-changes.js';
import { holdOff, rebuiltOf, withoutForcedRowSecurity } from './hold-off.js';
import { lockTables } from './lock-order.js';
import { keepsPosition, unretypeColumns } from './retype-in-place.js';
import { namedForeignKey, validateForeignKey } from './rewrite-bound.js';
import { clauses } from './sql-text.js';
import { immediateConstraints, type StepDraft, step } from './step.js';

/**
 * Undo a swapped component in one transaction, while the legacy columns exist: every reference gets
 * its integer back from its parent's legacy value (so rows written after apply come back too), the
 * integer columns take their names back, the uuid columns go, and every constraint, index and view is
 * rebuilt from its original definition. A component the rewrite strategy migrated (`rewritten`) had its
 * columns retyped where they stand: they take their integers back there, so the columns keep their order.
 * The foreign keys `notValid` picks are added NOT VALID (no scan under the lock: the stage's own checks
 * prove its rows before it commits) and validated by the stage after it (planRollbackValidate).
 */
export function planRollback(
  c: ComponentChanges,
  fireTriggers = false,
  rewritten = false,
  notValid: (fk: Named) => boolean = () => false,
): StepDraft[] {
  const bound = boundObjects(c);
  const legacyUniques = c.changes
    .filter((ch) => ch.role === 'key')
    .map((ch) => ({ table: ch.table, name: legacyUniqueName(ch, c.tables), definition: '' }));
  return [
    immediateConstraints(),
    ...lockTables(c.tables, c),
    ...dropBound({ ...bound, keys: [...bound.keys, ...legacyUniques] }, bound.declaredForeignKeys),
    ...withoutForcedRowSecurity(
      c.tables,
      holdOff(
        withChildren(c),
        restoreOrder(c.changes).flatMap((ch) => restoreIntegers(ch, c)),
        fireTriggers,
        rebuiltOf(bound),
      ),
    ),
    ...(rewritten ? unretype(c) : []),
    ...c.changes.filter((ch) => !(rewritten && keepsPosition(ch))).flatMap(unswapColumn),
    ...rebuildBound(bound, 'integer', [], [], notValid),
  ];
}

/**
 * After a rollback stage, outside its lock: VALIDATE CONSTRAINT for each foreign key it added NOT VALID
 * (SHARE UPDATE EXCLUSIVE: writes go on). Run again after an interrupted rollback, a key already valid
 * costs nothing.
 */
export function planRollbackValidate(c: ComponentChanges, notValid: (fk: Named) => boolean): StepDraft[] {
  return boundObjects(c).foreignKeys.map(namedForeignKey).filter(notValid).map(validateForeignKey);
}

/** The columns a rewrite retyped where they stand take their integers back there, one rewrite per table. */
function unretype(c: ComponentChanges): StepDraft[] {
  return c.tables.flatMap((table) => {
    const changes = c.changes.filter((ch) => tableKey(ch.table) === tableKey(table) && keepsPosition(ch));
    return changes.length ? unretypeColumns(table, changes) : [];
  });
}

/** Undo a component that never swapped (a failed run): drop what expand and backfill added. */
export function planCleanup(c: ComponentChanges, added = 'added by the interrupted run'): StepDraft[] {
  return [
    ...lockTables(changedTables(c), c),
    ...c.changes.flatMap((ch) =>
      [ch.shadow, ...(ch.orphanColumn ? [ch.orphanColumn] : [])].map((column) =>
        step(
          'drop',
          `drop ${column}, ${added}`,
          `ALTER TABLE ${qualify(ch.table.schema, ch.table.name)} DROP COLUMN IF EXISTS ${quoteIdent(column)}`,
          'ACCESS EXCLUSIVE',
          ch.table,
        ),
      ),
    ),
  ];
}

/** A reference to a reference (a 1:1 key) is restored after the column it reads. */
function restoreOrder(changes: ColumnChange[]): ColumnChange[] {
  const byColumn = new Map(changes.map((ch) => [columnKey(ch.table, ch.column.name), ch]));
  const order: ColumnChange[] = [];
  const visit = (ch: ColumnChange) => {
    if (order.includes(ch)) return;
    const ref = ch.fillFrom!;
    const upstream = byColumn.get(columnKey(ref.parent, ref.parentColumns[ref.columns.indexOf(ch.column.name)]!));
    if (upstream?.role === 'reference' && upstream !== ch) visit(upstream);
    order.push(ch);
  };
  for (const ch of changes) if (ch.role === 'reference') visit(ch);
  return order;
}

function restoreIntegers(change: ColumnChange, c: ComponentChanges): StepDraft[] {
  const name = `${change.table.name}.${change.column.name}`;
  const ref = change.fillFrom!;
  const t = qualify(change.table.schema, change.table.name);
  const i = ref.columns.indexOf(change.column.name);
  const parentColumn = ref.parentColumns[i]!;
  const parentChange = c.changes.find(
    (ch) => columnKey(ch.table, ch.column.name) === columnKey(ref.parent, parentColumn),
  );
  // The parent's integer: its legacy column (a converted key, or the repair case), or the restored 1:1 key.
  const source = ref.mode === 'repair' ? ref.joinColumns[i]! : parentChange!.keepAs;
  const retired = quoteIdent(change.keepAs);
  const match = ref.columns
    .map((col, j) => `p.${quoteIdent(ref.parentColumns[j]!)} = c.${quoteIdent(col)}`)
    .join(' AND ');
  const orphan = change.orphanColumn ? `c.${quoteIdent(change.orphanColumn)}` : 'NULL';
  return [
    step(
      'fill',
      `${name} of rows written since apply: the integer of their ${ref.parent.name} row (the others kept theirs)`,
      clauses(
        `UPDATE ${t} AS c SET ${retired} = p.${quoteIdent(source)}`,
        `FROM ${qualifyTable(ref.parent)} AS p`,
        `WHERE ${match} AND c.${retired} IS DISTINCT FROM p.${quoteIdent(source)}`,
      ),
      'ROW EXCLUSIVE',
      change.table,
    ),
    step(
      'fill',
      `${name} without a parent since apply: back to what it held`,
      clauses(
        `UPDATE ${t} AS c SET ${retired} = ${orphan}`,
        `WHERE c.${quoteIdent(change.column.name)} IS NULL AND c.${retired} IS DISTINCT FROM ${orphan}`,
      ),
      'ROW EXCLUSIVE',
      change.table,
    ),
  ];
}

export function unswapColumn(change: ColumnChange): StepDraft[] {
  const t = qualify(change.table.schema, change.table.name);
  const { column } = change;
  const steps = [
    step(
      'rename',
      `the uuid ${column.name} steps aside`,
      `ALTER TABLE ${t} RENAME COLUMN ${quoteIdent(column.name)} TO ${quoteIdent(change.shadow)}`,
      'ACCESS EXCLUSIVE',
      change.table,
    ),
    step(
      'rename',
      `${change.keepAs} becomes ${column.name} again`,
      `ALTER TABLE ${t} RENAME COLUMN ${quoteIdent(change.keepAs)} TO ${quoteIdent(column.name)}`,
      'ACCESS EXCLUSIVE',
      change.table,
    ),
  ];
  if (change.legacySequence) {
    // The key had no default before apply: it gets none back, and the sequence apply made goes.
    const sequence = qualify(change.table.schema, change.legacySequence);
    steps.push(
      step(
        'column',
        `${column.name} has no default again`,
        `ALTER TABLE ${t} ALTER COLUMN ${quoteIdent(column.name)} DROP DEFAULT`,
        'ACCESS EXCLUSIVE',
        change.table,
      ),
      step(
        'drop',
        `drop the sequence apply made for ${change.keepAs}`,
        `DROP SEQUENCE ${sequence}`,
        'ACCESS EXCLUSIVE',
        change.table,
      ),
    );
  }
  if (change.role === 'reference') {
    if (column.notNull)
      steps.push(
        step(
          'column',
          `${column.name} is NOT NULL again`,
          `ALTER TABLE ${t} ALTER COLUMN ${quoteIdent(column.name)} SET NOT NULL`,
          'ACCESS EXCLUSIVE',
          change.table,
        ),
      );
    if (column.default !== null)
      steps.push(
        step(
          'column',
          `${column.name} gets its default back`,
          `ALTER TABLE ${t} ALTER COLUMN ${quoteIdent(column.name)} SET DEFAULT ${column.default}`,
          'ACCESS EXCLUSIVE',
          change.table,
        ),
      );
  }
  for (const drop of [change.shadow, ...(change.orphanColumn ? [change.orphanColumn] : [])]) {
    steps.push(
      step(
        'drop',
        `drop ${drop}`,
        `ALTER TABLE ${t} DROP COLUMN ${quoteIdent(drop)}`,
        'ACCESS EXCLUSIVE',
        change.table,
      ),
    );
  }
  return steps;
}
