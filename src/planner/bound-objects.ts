import { qualify, quoteIdent } from '../db/quote.js';
import type { ForeignKeyModel, TableModel, ViewModel } from '../model/types.js';
import { columnKey, tableKey } from '../model/types.js';
import type { ColumnChange, ComponentChanges } from './component-changes.js';
import { deriveName } from './names.js';
import { step, type StepDraft } from './step.js';

interface Named {
  table: TableModel;
  name: string;
  definition: string;
}

/** Everything bound to a converting column that must be dropped before a swap and rebuilt after. */
export interface BoundObjects {
  views: ViewModel[];
  foreignKeys: { table: TableModel; fk: ForeignKeyModel }[];
  keys: Named[];
  indexes: Named[];
  /** Foreign keys the Drizzle schema declares that integer columns could not have. */
  declaredForeignKeys: Named[];
}

export function boundObjects(c: ComponentChanges): BoundObjects {
  const converting = new Set(c.changes.map((ch) => columnKey(ch.table, ch.column.name)));
  const touches = (t: TableModel, columns: string[]) => columns.some((col) => converting.has(columnKey(t, col)));
  const references = new Set(c.changes.filter((ch) => ch.role === 'reference').map((ch) => columnKey(ch.table, ch.column.name)));
  const bound: BoundObjects = { views: c.views, foreignKeys: [], keys: [], indexes: [], declaredForeignKeys: [] };
  for (const table of c.tables) {
    for (const fk of table.foreignKeys) {
      if (touches(table, fk.columns) || fk.refColumns.some((col) => converting.has(`${fk.refSchema}.${fk.refTable}.${col}`))) bound.foreignKeys.push({ table, fk });
    }
    for (const key of [table.primaryKey, ...table.uniques]) {
      if (key && touches(table, key.columns)) bound.keys.push({ table, name: key.name, definition: key.definition! });
    }
    // A check on a key alone stays with the legacy integer column; one that reads a reference is rebuilt.
    for (const check of table.checks) {
      if (check.columns.some((col) => references.has(columnKey(table, col)))) bound.keys.push({ table, name: check.name, definition: check.definition });
    }
    for (const index of table.indexes) {
      if (!index.backsConstraint && touches(table, index.columns)) bound.indexes.push({ table, name: index.name, definition: index.definition });
    }
  }
  for (const ref of c.references) {
    const declared = ref.declared;
    if (ref.constraint || !declared?.name) continue;
    const table = c.tables.find((t) => tableKey(t) === tableKey(ref.child))!;
    const action = (a: string | undefined) => (a ?? 'no action').toUpperCase();
    bound.declaredForeignKeys.push({
      table, name: declared.name,
      definition: `FOREIGN KEY (${ref.columns.map(quoteIdent).join(', ')}) REFERENCES ${qualify(ref.parent.schema, ref.parent.name)} (${ref.parentColumns.map(quoteIdent).join(', ')}) ON DELETE ${action(declared.onDelete)} ON UPDATE ${action(declared.onUpdate)}`,
    });
  }
  return bound;
}

const at = (t: TableModel) => qualify(t.schema, t.name);
const viewKind = (v: ViewModel) => (v.kind === 'materialized' ? 'MATERIALIZED VIEW' : 'VIEW');

/** Drop views (dependents first), foreign keys, keys and checks, then indexes. */
export function dropBound(b: BoundObjects, extraForeignKeys: Named[] = []): StepDraft[] {
  return [
    ...b.views.map((v) => step('view', `drop ${viewKind(v).toLowerCase()} ${v.name} (rebuilt below: views bind columns by number)`, `DROP ${viewKind(v)} ${qualify(v.schema, v.name)}`, 'ACCESS EXCLUSIVE', v)),
    ...[...b.foreignKeys.map(({ table, fk }) => ({ table, name: fk.name })), ...extraForeignKeys].map(({ table, name }) =>
      step('drop', `drop foreign key ${name}`, `ALTER TABLE ${at(table)} DROP CONSTRAINT ${quoteIdent(name)}`, 'ACCESS EXCLUSIVE', table)),
    ...b.keys.map(({ table, name }) => step('drop', `drop constraint ${name}`, `ALTER TABLE ${at(table)} DROP CONSTRAINT ${quoteIdent(name)}`, 'ACCESS EXCLUSIVE', table)),
    ...b.indexes.map(({ table, name }) => step('drop', `drop index ${name}`, `DROP INDEX ${qualify(table.schema, name)}`, 'ACCESS EXCLUSIVE', table)),
  ];
}

/** Rebuild keys and checks, indexes, foreign keys and views from the definitions PostgreSQL printed. */
export function rebuildBound(b: BoundObjects, on: string, between: StepDraft[] = [], extraForeignKeys: Named[] = []): StepDraft[] {
  return [
    ...b.keys.map(({ table, name, definition }) => step('constraint', `rebuild ${name} on the ${on} column`, `ALTER TABLE ${at(table)} ADD CONSTRAINT ${quoteIdent(name)} ${definition}`, 'ACCESS EXCLUSIVE', table)),
    ...between,
    ...b.indexes.map(({ table, name, definition }) => step('index', `rebuild index ${name} on the ${on} column`, definition, 'SHARE', table)),
    ...b.foreignKeys.map(({ table, fk }) => step('constraint', `rebuild foreign key ${fk.name}`, `ALTER TABLE ${at(table)} ADD CONSTRAINT ${quoteIdent(fk.name)} ${fk.definition}`, 'SHARE ROW EXCLUSIVE', table)),
    ...extraForeignKeys.map(({ table, name, definition }) => step('constraint', `add the foreign key ${name} the Drizzle schema declares (integer columns could not have one)`, `ALTER TABLE ${at(table)} ADD CONSTRAINT ${quoteIdent(name)} ${definition}`, 'SHARE ROW EXCLUSIVE', table)),
    ...[...b.views].reverse().flatMap((v) => [
      step('view', `recreate ${viewKind(v).toLowerCase()} ${v.name} on the ${on} columns`, `CREATE ${viewKind(v)} ${qualify(v.schema, v.name)} AS\n${v.definition.trim().replace(/;$/, '')}`, 'ACCESS EXCLUSIVE', v),
      ...v.indexes.map((index) => step('index', `rebuild index ${index.name} of ${v.name}`, index.definition, 'SHARE', v)),
    ]),
  ];
}

/** The unique constraint that keeps a legacy column unique: a stable name within 63 bytes. */
export function legacyUniqueName(change: ColumnChange, tables: TableModel[]): string {
  const taken = new Set(tables.flatMap((x) => [x.primaryKey?.name, ...x.uniques.map((u) => u.name), ...x.indexes.map((i) => i.name)]).filter((n): n is string => !!n));
  return deriveName(`${change.table.name}_${change.keepAs}`, '_key', taken);
}
