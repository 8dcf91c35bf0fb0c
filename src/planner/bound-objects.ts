import { deriveName } from '../db/derived-names.js';
import { qualify } from '../db/quote.js';
import type { ForeignKeyModel, PolicyModel, RuleModel, TableModel, TriggerModel, ViewModel } from '../model/types.js';
import { columnKey, referencedTable, sameTable, type TableRef, tableKey } from '../model/types.js';
import { type ColumnChange, type ComponentChanges, withChildren } from './component-changes.js';
import { clauses, columnList } from './sql-text.js';

export interface Named {
  table: TableModel;
  name: string;
  definition: string;
  /** A foreign key's referenced table. */
  into?: TableRef;
}

/** Everything bound to a converting column that must be dropped before a swap and rebuilt after. */
export interface BoundObjects {
  views: ViewModel[];
  foreignKeys: { table: TableModel; fk: ForeignKeyModel }[];
  keys: Named[];
  indexes: Named[];
  /** Foreign keys the Drizzle schema declares that integer columns could not have. */
  declaredForeignKeys: Named[];
  /** Row-level security policies whose expressions read a converting column. */
  policies: { table: TableModel; policy: PolicyModel }[];
  /** Triggers whose UPDATE OF list or WHEN condition names a converting column. */
  triggers: { table: TableModel; trigger: TriggerModel }[];
  /** Extended statistics objects on a converting column. */
  statistics: { table: TableModel; schema: string; name: string; definition: string }[];
  /** Rules, on any table, whose condition or actions read a converting column. */
  rules: { table: TableModel; rule: RuleModel }[];
}

export function boundObjects(c: ComponentChanges): BoundObjects {
  const converting = new Set(c.changes.map((ch) => columnKey(ch.table, ch.column.name)));
  const references = new Set(
    c.changes.filter((ch) => ch.role === 'reference').map((ch) => columnKey(ch.table, ch.column.name)),
  );
  // A child's column counts as what it follows: a key's or a reference's.
  for (const child of c.children) {
    for (const column of child.columns) {
      const followed = c.changes.find((ch) => ch.column.name === column && isAncestor(c, ch.table, child.table));
      converting.add(columnKey(child.table, column));
      if (followed?.role === 'reference') references.add(columnKey(child.table, column));
    }
  }
  const bound: BoundObjects = {
    views: c.views,
    foreignKeys: [],
    keys: [],
    indexes: [],
    declaredForeignKeys: [],
    policies: [],
    triggers: [],
    statistics: [],
    rules: c.rules,
  };
  for (const table of withChildren(c)) addOwnObjects(table, converting, references, bound);
  for (const ref of c.references) {
    const declared = ref.declared;
    if (ref.constraint || !declared?.name) continue;
    const table = c.tables.find((t) => tableKey(t) === tableKey(ref.child))!;
    const action = (a: string | undefined) => (a ?? 'no action').toUpperCase();
    bound.declaredForeignKeys.push({
      table,
      into: ref.parent,
      name: declared.name,
      definition: clauses(
        `FOREIGN KEY (${columnList(ref.columns)})`,
        `REFERENCES ${qualify(ref.parent.schema, ref.parent.name)} (${columnList(ref.parentColumns)})`,
        `ON DELETE ${action(declared.onDelete)} ON UPDATE ${action(declared.onUpdate)}`,
      ),
    });
  }
  return bound;
}

/**
 * What a table has of its own on a converting column: keys, foreign keys (in and out), checks that
 * read a reference (one on a key alone stays with the legacy integer), indexes (not those attached
 * to a partitioned parent's), policies, triggers, statistics.
 */
function addOwnObjects(table: TableModel, converting: Set<string>, references: Set<string>, bound: BoundObjects): void {
  const touches = (columns: string[]) => columns.some((col) => converting.has(columnKey(table, col)));
  for (const fk of table.foreignKeys) {
    const into = fk.refColumns.some((col) => converting.has(columnKey(referencedTable(fk), col)));
    if (touches(fk.columns) || into) bound.foreignKeys.push({ table, fk });
  }
  for (const key of [table.primaryKey, ...table.uniques, ...(table.exclusions ?? [])]) {
    if (key && touches(key.columns)) bound.keys.push({ table, name: key.name, definition: key.definition! });
  }
  for (const check of table.checks) {
    if (check.columns.some((col) => references.has(columnKey(table, col))))
      bound.keys.push({ table, name: check.name, definition: check.definition });
  }
  for (const index of table.indexes) {
    // pg_get_indexdef prints a partitioned table's index as `ON ONLY`, which would not reach its partitions.
    if (!index.backsConstraint && !index.inherited && touches(index.columns))
      bound.indexes.push({ table, name: index.name, definition: index.definition.replace(/ ON ONLY /, ' ON ') });
  }
  for (const policy of table.policies ?? [])
    if (policy.uses.some((u) => converting.has(columnKey(u, u.column)))) bound.policies.push({ table, policy });
  for (const trigger of table.triggers ?? []) if (touches(trigger.columns)) bound.triggers.push({ table, trigger });
  for (const stat of table.statistics ?? []) if (touches(stat.columns)) bound.statistics.push({ table, ...stat });
}

/** Whether `ancestor` is a parent (at any depth) of `table` among the component's tables and children. */
function isAncestor(c: ComponentChanges, ancestor: TableRef, table: TableModel): boolean {
  const all = [...c.tables, ...c.children.map((ch) => ch.table)];
  for (let current: TableModel | undefined = table, hops = 0; current?.parent && hops < 64; hops++) {
    if (sameTable(current.parent, ancestor)) return true;
    const parent: TableRef = current.parent;
    current = all.find((t) => sameTable(t, parent));
  }
  return false;
}

/** The unique constraint that keeps a legacy column unique: a stable name within 63 bytes. */
export function legacyUniqueName(change: ColumnChange, tables: TableModel[]): string {
  const taken = new Set(
    tables
      .flatMap((x) => [x.primaryKey?.name, ...x.uniques.map((u) => u.name), ...x.indexes.map((i) => i.name)])
      .filter((n): n is string => !!n),
  );
  return deriveName(`${change.table.name}_${change.keepAs}`, '_key', taken);
}
