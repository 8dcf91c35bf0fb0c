import { qualify, quoteIdent } from '../db/quote.js';
import type { ForeignKeyModel, TableModel } from '../model/types.js';
import { columnKey, tableKey } from '../model/types.js';
import type { ColumnChange, ComponentChanges } from './component-changes.js';
import { deriveName } from './names.js';
import { immediateConstraints, step, type StepDraft } from './step.js';

/**
 * Swap, in one transaction per component: drop what is bound to the integer columns, rename
 * `id → legacy_id` and the shadow into place, then rebuild every constraint, index and view from the
 * definition PostgreSQL printed for it (the names are unchanged, so the text binds to the new columns).
 */
export function planSwap(c: ComponentChanges): StepDraft[] {
  const converting = new Set(c.changes.map((ch) => columnKey(ch.table, ch.column.name)));
  const touches = (t: TableModel, columns: string[]) => columns.some((col) => converting.has(columnKey(t, col)));
  const references = new Set(c.changes.filter((ch) => ch.role === 'reference').map((ch) => columnKey(ch.table, ch.column.name)));
  const fks: { table: TableModel; fk: ForeignKeyModel }[] = [];
  const keys: { table: TableModel; name: string; definition: string }[] = [];
  const indexes: { table: TableModel; name: string; definition: string }[] = [];
  for (const table of c.tables) {
    for (const fk of table.foreignKeys) {
      if (touches(table, fk.columns) || fk.refColumns.some((col) => converting.has(`${fk.refSchema}.${fk.refTable}.${col}`))) fks.push({ table, fk });
    }
    for (const key of [table.primaryKey, ...table.uniques]) {
      if (key && touches(table, key.columns)) keys.push({ table, name: key.name, definition: key.definition! });
    }
    // A check on a key alone stays with the legacy integer column; one that reads a reference is rebuilt.
    for (const check of table.checks) {
      if (check.columns.some((col) => references.has(columnKey(table, col)))) keys.push({ table, name: check.name, definition: check.definition });
    }
    for (const index of table.indexes) {
      if (!index.backsConstraint && touches(table, index.columns)) indexes.push({ table, name: index.name, definition: index.definition });
    }
  }
  const at = (t: TableModel) => qualify(t.schema, t.name);
  const steps: StepDraft[] = [immediateConstraints(), ...c.changes.filter((ch) => ch.role === 'reference').map(guard)];

  for (const view of c.views) {
    steps.push(step('view', `drop ${view.kind === 'materialized' ? 'materialized view' : 'view'} ${view.name} (rebuilt below: views bind columns by number)`,
      `DROP ${view.kind === 'materialized' ? 'MATERIALIZED VIEW' : 'VIEW'} ${qualify(view.schema, view.name)}`, 'ACCESS EXCLUSIVE', view));
  }
  for (const { table, fk } of fks) {
    steps.push(step('drop', `drop foreign key ${fk.name}`, `ALTER TABLE ${at(table)} DROP CONSTRAINT ${quoteIdent(fk.name)}`, 'ACCESS EXCLUSIVE', table));
  }
  for (const { table, name } of keys) {
    steps.push(step('drop', `drop constraint ${name}`, `ALTER TABLE ${at(table)} DROP CONSTRAINT ${quoteIdent(name)}`, 'ACCESS EXCLUSIVE', table));
  }
  for (const { table, name } of indexes) {
    steps.push(step('drop', `drop index ${name}`, `DROP INDEX ${qualify(table.schema, name)}`, 'ACCESS EXCLUSIVE', table));
  }
  for (const change of c.changes) steps.push(...swapColumn(change));
  for (const { table, name, definition } of keys) {
    steps.push(step('constraint', `rebuild ${name} on the uuid column`, `ALTER TABLE ${at(table)} ADD CONSTRAINT ${quoteIdent(name)} ${definition}`, 'ACCESS EXCLUSIVE', table));
  }
  for (const change of c.changes.filter((ch) => ch.role === 'key')) steps.push(legacyUnique(change, c.tables));
  for (const { table, name, definition } of indexes) {
    steps.push(step('index', `rebuild index ${name} on the uuid column`, definition, 'SHARE', table));
  }
  for (const { table, fk } of fks) {
    steps.push(step('constraint', `rebuild foreign key ${fk.name}`, `ALTER TABLE ${at(table)} ADD CONSTRAINT ${quoteIdent(fk.name)} ${fk.definition}`, 'SHARE ROW EXCLUSIVE', table));
  }
  for (const ref of c.references) {
    const declared = ref.declared;
    if (ref.constraint || !declared?.name) continue;
    const table = c.tables.find((t) => tableKey(t) === tableKey(ref.child))!;
    const cols = ref.columns.map(quoteIdent).join(', ');
    const parentCols = ref.parentColumns.map(quoteIdent).join(', ');
    steps.push(step('constraint', `add the foreign key ${declared.name} the Drizzle schema declares (integer columns could not have one)`,
      `ALTER TABLE ${at(table)} ADD CONSTRAINT ${quoteIdent(declared.name)} FOREIGN KEY (${cols}) REFERENCES ${qualify(ref.parent.schema, ref.parent.name)} (${parentCols}) ON DELETE ${(declared.onDelete ?? 'no action').toUpperCase()} ON UPDATE ${(declared.onUpdate ?? 'no action').toUpperCase()}`,
      'SHARE ROW EXCLUSIVE', table));
  }
  for (const view of [...c.views].reverse()) {
    const kind = view.kind === 'materialized' ? 'MATERIALIZED VIEW' : 'VIEW';
    steps.push(step('view', `recreate ${kind.toLowerCase()} ${view.name} on the uuid columns`, `CREATE ${kind} ${qualify(view.schema, view.name)} AS\n${view.definition.trim().replace(/;$/, '')}`, 'ACCESS EXCLUSIVE', view));
    for (const index of view.indexes) steps.push(step('index', `rebuild index ${index.name} of ${view.name}`, index.definition, 'SHARE', view));
  }
  return steps;
}

/** Refuse to commit if a row that had a parent did not get its uuid (a row written since the plan). */
function guard(change: ColumnChange): StepDraft {
  const t = qualify(change.table.schema, change.table.name);
  const ref = change.fillFrom!;
  const allSet = ref.columns.map((col) => `${quoteIdent(col)} IS NOT NULL`).join(' AND ');
  const recorded = change.orphanColumn ? ` AND ${quoteIdent(change.orphanColumn)} IS NULL` : '';
  const where = `${allSet} AND ${quoteIdent(change.shadow)} IS NULL${recorded}`;
  const message = `uuidmig: % row(s) of ${change.table.schema}.${change.table.name}.${change.column.name} have no parent; nothing was changed`.replaceAll("'", "''");
  return step('guard', `check every ${change.column.name} found its parent`,
    `DO $uuidmig$ DECLARE lost bigint; BEGIN SELECT count(*) INTO lost FROM ${t} WHERE ${where}; IF lost > 0 THEN RAISE EXCEPTION '${message}', lost; END IF; END $uuidmig$`,
    'ACCESS SHARE', change.table);
}

function swapColumn(change: ColumnChange): StepDraft[] {
  const t = qualify(change.table.schema, change.table.name);
  const { column } = change;
  const steps: StepDraft[] = [
    step('rename', `keep the old ${column.name} as ${change.keepAs}`, `ALTER TABLE ${t} RENAME COLUMN ${quoteIdent(column.name)} TO ${quoteIdent(change.keepAs)}`, 'ACCESS EXCLUSIVE', change.table),
  ];
  if (change.role === 'reference') {
    // The retired integer column must not stop new rows, which only fill the uuid column.
    if (column.notNull) steps.push(step('column', `${change.keepAs} accepts NULL for rows written after the swap`, `ALTER TABLE ${t} ALTER COLUMN ${quoteIdent(change.keepAs)} DROP NOT NULL`, 'ACCESS EXCLUSIVE', change.table));
    if (column.default !== null) steps.push(step('column', `drop the integer default of ${change.keepAs}`, `ALTER TABLE ${t} ALTER COLUMN ${quoteIdent(change.keepAs)} DROP DEFAULT`, 'ACCESS EXCLUSIVE', change.table));
  }
  steps.push(step('rename', `the uuid column becomes ${column.name}`, `ALTER TABLE ${t} RENAME COLUMN ${quoteIdent(change.shadow)} TO ${quoteIdent(column.name)}`, 'ACCESS EXCLUSIVE', change.table));
  if (column.notNull) steps.push(step('column', `${column.name} stays NOT NULL`, `ALTER TABLE ${t} ALTER COLUMN ${quoteIdent(column.name)} SET NOT NULL`, 'ACCESS EXCLUSIVE', change.table));
  if (change.role === 'key') {
    steps.push(change.newDefault === null
      ? step('column', `${column.name} has no default, as the Drizzle schema says`, `ALTER TABLE ${t} ALTER COLUMN ${quoteIdent(column.name)} DROP DEFAULT`, 'ACCESS EXCLUSIVE', change.table)
      : step('column', `${column.name} defaults to ${change.newDefault}, as the Drizzle schema says`, `ALTER TABLE ${t} ALTER COLUMN ${quoteIdent(column.name)} SET DEFAULT ${change.newDefault}`, 'ACCESS EXCLUSIVE', change.table));
  }
  return steps;
}

/** The legacy column stays NOT NULL (it was a key) and becomes UNIQUE, so it can map rows back. */
function legacyUnique(change: ColumnChange, tables: TableModel[]): StepDraft {
  const t = qualify(change.table.schema, change.table.name);
  const taken = new Set(tables.flatMap((x) => [x.primaryKey?.name, ...x.uniques.map((u) => u.name), ...x.indexes.map((i) => i.name)]).filter((n): n is string => !!n));
  const name = deriveName(`${change.table.name}_${change.keepAs}`, '_key', taken);
  return step('constraint', `${change.keepAs} stays unique`, `ALTER TABLE ${t} ADD CONSTRAINT ${quoteIdent(name)} UNIQUE (${quoteIdent(change.keepAs)})`, 'ACCESS EXCLUSIVE', change.table);
}
