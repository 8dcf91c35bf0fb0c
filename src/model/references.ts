import { definingTable, tablesByKey } from './inheritance.js';
import type { CatalogSnapshot, ColumnRef, DrizzleSchemaModel, TableModel, TableRef } from './types.js';
import { columnKey, displayColumn, isIntegerType, isUuidType, referencedTable, tableKey } from './types.js';
import { REFERENCE_SOURCES, type ReferenceSource, type ReferenceWork } from './work.js';

/** A reference either side knows of, before deciding whether it converts. */
export interface Candidate {
  child: TableRef;
  columns: string[];
  parent: TableRef;
  parentColumns: string[];
  sources: Set<ReferenceSource>;
  constraint: ReferenceWork['constraint'];
  declared: ReferenceWork['declared'];
}

/**
 * Every reference either side knows of, merged by (child columns, parent columns). A reference held
 * in columns a partition or an inheritance child takes from its parent is the parent's: the column
 * changes type there (the child's own foreign key is carried with the child's other objects).
 */
export function collectReferences(
  catalog: CatalogSnapshot,
  schema: DrizzleSchemaModel,
  given: GivenReference[] = [],
  /** Receives the relations left out because their parent columns are not a key. */
  ignored?: IgnoredRelation[],
): Candidate[] {
  const byKey = new Map<string, Candidate>();
  const tables = tablesByKey(catalog.tables);
  const owner = (child: TableRef, columns: string[]): TableRef => {
    const table = tables.get(tableKey(child));
    if (!table) return child;
    const defining = [...new Set(columns.map((c) => tableKey(definingTable(tables, table, c))))];
    return defining.length === 1 ? tables.get(defining[0]!)! : child;
  };
  const add = (declaredOn: TableRef, columns: string[], parent: TableRef, parentColumns: string[]): Candidate => {
    const child = owner(declaredOn, columns);
    const key = `${columnKey(child, columns.join('\u0001'))}->${columnKey(parent, parentColumns.join('\u0001'))}`;
    let c = byKey.get(key);
    if (!c) {
      const ref = { schema: child.schema, name: child.name };
      c = { child: ref, columns, parent, parentColumns, sources: new Set(), constraint: null, declared: null };
      byKey.set(key, c);
    }
    return c;
  };
  for (const table of catalog.tables) {
    for (const fk of table.foreignKeys) {
      const c = add(table, fk.columns, referencedTable(fk), fk.refColumns);
      c.sources.add('foreign-key');
      if (tableKey(c.child) === tableKey(table)) c.constraint = fk;
    }
  }
  for (const table of schema.tables) {
    for (const ref of table.references) {
      // A relation onto columns that are not a key of the parent names no single row (drizzle-kit pull
      // writes them for one column of a composite key): each child row would match many parents.
      const parent = tables.get(tableKey(referencedTable(ref)));
      if (ref.source === 'drizzle-relation' && parent && !isUniqueKey(parent, ref.refColumns)) {
        ignored?.push({
          child: table,
          columns: ref.columns,
          parent: referencedTable(ref),
          parentColumns: ref.refColumns,
        });
        continue;
      }
      const c = add(table, ref.columns, referencedTable(ref), ref.refColumns);
      c.sources.add(ref.source);
      if (ref.source === 'drizzle-reference') c.declared = ref;
    }
  }
  for (const { child, parent } of given) add(child, [child.column], parent, [parent.column]).sources.add('option');
  return [...byKey.values()];
}

export interface IgnoredRelation {
  child: TableRef;
  columns: string[];
  parent: TableRef;
  parentColumns: string[];
}

/** Whether `columns` are exactly the columns of the table's primary key or of one of its unique keys. */
function isUniqueKey(table: TableModel, columns: string[]): boolean {
  const same = (k: string[]) => k.length === columns.length && k.every((c) => columns.includes(c));
  return [table.primaryKey, ...table.uniques].some((k) => k && same(k.columns));
}

/** `--reference child.col=parent.col`: a reference nothing else declares, settled by the user. */
export interface GivenReference {
  child: ColumnRef;
  parent: ColumnRef;
}

/**
 * Whether a candidate converts: `convert` when its parent's key converts in this plan, `repair` when
 * the parent's key is already uuid (children join on its mapping column), or not at all.
 */
export function referenceWork(
  c: Candidate,
  converting: Set<string>,
  dbColumn: (t: TableRef, c: string) => { type: string } | undefined,
  mappingColumn: (parent: TableRef) => string,
): ReferenceWork | null {
  const convertColumns: string[] = [];
  const joinColumns: string[] = [];
  let mode: ReferenceWork['mode'] | null = null;
  for (const [i, column] of c.columns.entries()) {
    const parentColumn = c.parentColumns[i]!;
    const childType = dbColumn(c.child, column)?.type;
    const parentType = dbColumn(c.parent, parentColumn)?.type;
    if (!childType || !parentType || !isIntegerType(childType)) {
      joinColumns.push(parentColumn);
      continue;
    }
    if (converting.has(columnKey(c.parent, parentColumn)) && isIntegerType(parentType)) {
      mode ??= 'convert';
      convertColumns.push(column);
      joinColumns.push(parentColumn);
    } else if (isUuidType(parentType)) {
      mode = 'repair';
      convertColumns.push(column);
      joinColumns.push(mappingColumn(c.parent));
    } else {
      joinColumns.push(parentColumn);
    }
  }
  if (!mode) return null;
  const sources = REFERENCE_SOURCES.filter((s) => c.sources.has(s));
  return {
    id: `${displayColumn(c.child, c.columns)} -> ${displayColumn(c.parent, c.parentColumns)}`,
    child: c.child,
    columns: c.columns,
    parent: c.parent,
    parentColumns: c.parentColumns,
    mode,
    convertColumns,
    joinColumns,
    sources,
    constraint: c.constraint,
    declared: c.declared,
  };
}
