import { deriveName } from '../db/derived-names.js';
import { findComponents } from './components.js';
import { objectFindings } from './object-findings.js';
import type { CatalogSnapshot, DrizzleSchemaModel, DrizzleTableModel, TableModel, TableRef } from './types.js';
import { columnKey, compareText, displayColumn, displayTable, isIntegerType, isUuidType, tableKey } from './types.js';
import type { Finding, KeyConversion, ReferenceSource, ReferenceWork, SchemaMistake, Work } from './work.js';

export interface FindWorkOptions {
  legacyColumn: string;
}

interface Candidate {
  child: TableRef;
  columns: string[];
  parent: TableRef;
  parentColumns: string[];
  sources: Set<ReferenceSource>;
  constraint: ReferenceWork['constraint'];
  declared: ReferenceWork['declared'];
}

/**
 * Compare the live catalog with the Drizzle schema and find the work: integer keys the schema makes
 * uuid, every integer reference to them (transitively), references to keys that are already uuid
 * (repair), schema mistakes, and what blocks the plan. Pure: no I/O.
 */
export function findWork(catalog: CatalogSnapshot, schema: DrizzleSchemaModel, options: FindWorkOptions): Work {
  const dbTables = new Map(catalog.tables.map((t) => [tableKey(t), t]));
  const drizzleTables = new Map(schema.tables.map((t) => [tableKey(t), t]));
  const dbColumn = (t: TableRef, c: string) => dbTables.get(tableKey(t))?.columns.find((col) => col.name === c);
  const _drizzleColumn = (t: TableRef, c: string) =>
    drizzleTables.get(tableKey(t))?.columns.find((col) => col.name === c);
  const warnings: Finding[] = [];
  const blockers: Finding[] = [];

  const candidates = collectReferences(catalog, schema);

  // Keys: integer primary key (or single-column unique) columns the Drizzle schema declares uuid.
  const keyConversions = new Map<string, KeyConversion>();
  for (const table of catalog.tables) {
    const target = drizzleTables.get(tableKey(table));
    if (!target) continue;
    const keyColumns = new Set([
      ...(table.primaryKey?.columns ?? []),
      ...table.uniques.filter((u) => u.columns.length === 1).flatMap((u) => u.columns),
    ]);
    for (const name of keyColumns) {
      const db = dbColumn(table, name)!;
      const wanted = target.columns.find((c) => c.name === name);
      if (!wanted || !isIntegerType(db.type) || !isUuidType(wanted.type)) continue;
      keyConversions.set(columnKey(table, name), {
        table: { schema: table.schema, name: table.name },
        column: name,
        fromType: db.type,
        legacyColumn: options.legacyColumn,
        newDefault: wanted.default,
        legacyDeclared: false,
      });
    }
  }

  // Spread along references until nothing changes: a column that references a converting column converts too.
  const converting = new Set(keyConversions.keys());
  const references = new Map<Candidate, ReferenceWork>();
  for (let changed = true; changed; ) {
    changed = false;
    for (const c of candidates) {
      const work = referenceWork(c, converting, dbColumn, options.legacyColumn);
      if (!work) continue;
      references.set(c, work);
      for (const column of work.convertColumns) {
        const key = columnKey(c.child, column);
        if (!converting.has(key)) {
          converting.add(key);
          changed = true;
        }
        keyConversions.delete(key); // its value comes from its parent, not from a fresh uuid
      }
    }
  }

  const works = [...references.values()].sort((a, b) => compareText(a.id, b.id));
  for (const work of works) {
    if (work.mode !== 'repair') continue;
    const parent = dbTables.get(tableKey(work.parent))!;
    const legacy = parent.columns.find((c) => c.name === options.legacyColumn);
    if (!legacy || !isIntegerType(legacy.type)) {
      blockers.push({
        kind: 'lost-mapping',
        table: work.child,
        columns: work.convertColumns,
        reference: work.id,
        message:
          `${displayColumn(work.child, work.convertColumns)} holds integer ids of ${displayTable(work.parent)}, ` +
          `whose key is already uuid and has no integer column "${options.legacyColumn}" to join through, so the ` +
          `mapping cannot be restored from this database; restore the old ids into a legacy column (from a backup ` +
          `taken before the switch, or a mapping table kept by the script that switched it) and pass ` +
          `--legacy-column if it has another name.`,
      });
    }
  }

  const mistakes = findMistakes(works, drizzleTables);
  for (const [key, table] of drizzleTables) {
    if (!dbTables.has(key)) {
      warnings.push({
        kind: 'table-not-in-database',
        table,
        columns: [],
        message:
          `${displayTable(table)} is in the Drizzle schema but not in the database; uuidmig does not create tables ` +
          `(drizzle-kit does).`,
      });
      continue;
    }
    for (const column of table.columns) {
      const db = dbColumn(table, column.name);
      if (db && isIntegerType(db.type) && isUuidType(column.type) && !converting.has(columnKey(table, column.name))) {
        warnings.push({
          kind: 'uuid-without-source',
          table,
          columns: [column.name],
          message:
            `${displayColumn(table, column.name)} is integer in the database and uuid in the Drizzle schema, but ` +
            `it is neither a key nor a reference to one, so nothing says which uuid each row should get; uuidmig ` +
            `leaves it as it is.`,
        });
      }
    }
  }
  for (const work of works) {
    if (!drizzleTables.has(tableKey(work.child))) {
      warnings.push({
        kind: 'table-not-in-schema',
        table: work.child,
        columns: work.convertColumns,
        message:
          `${displayTable(work.child)} is not in the Drizzle schema, but its foreign key ` +
          `${work.constraint?.name ?? ''} references a converting key, so ` +
          `${displayColumn(work.child, work.convertColumns)} converts too.`,
      });
    }
  }

  const conversions = [...keyConversions.values()].sort((a, b) =>
    compareText(columnKey(a.table, a.column), columnKey(b.table, b.column)),
  );
  nameLegacyColumns(conversions, dbTables, drizzleTables, options.legacyColumn, blockers);
  const objects = objectFindings(catalog, conversions, works);
  blockers.push(...objects.blockers);
  warnings.push(...objects.warnings);
  const components = findComponents([...conversions.map((c) => [c.table]), ...works.map((w) => [w.child, w.parent])]);
  return { conversions, references: works, mistakes, blockers, warnings, components };
}

/**
 * Where each converted key keeps its old integer: the table's primary key column in `legacy_id`
 * (--legacy-column), any other converted key column (a unique one) in `<column>_legacy`. A name
 * already in use blocks the plan.
 */
function nameLegacyColumns(
  conversions: KeyConversion[],
  dbTables: Map<string, TableModel>,
  drizzleTables: Map<string, DrizzleTableModel>,
  legacyColumn: string,
  blockers: Finding[],
): void {
  for (const conversion of conversions) {
    const table = dbTables.get(tableKey(conversion.table))!;
    const ofTable = conversions.filter((x) => tableKey(x.table) === tableKey(table));
    const isFirst = (ofTable.find((x) => table.primaryKey?.columns.includes(x.column)) ?? ofTable[0]) === conversion;
    conversion.legacyColumn = isFirst
      ? legacyColumn
      : deriveName(conversion.column, '_legacy', new Set(table.columns.map((c) => c.name)));
    conversion.legacyDeclared =
      drizzleTables.get(tableKey(table))?.columns.some((c) => c.name === conversion.legacyColumn) ?? false;
    if (table.columns.some((c) => c.name === conversion.legacyColumn)) {
      blockers.push({
        kind: 'legacy-column-taken',
        table,
        columns: [conversion.legacyColumn],
        message:
          `${displayTable(table)} already has a column "${conversion.legacyColumn}", where the old ` +
          `${conversion.column} would be kept; ` +
          `${isFirst ? 'pass --legacy-column with a free name' : 'rename that column first'}.`,
      });
    }
  }
}

function referenceWork(
  c: Candidate,
  converting: Set<string>,
  dbColumn: (t: TableRef, c: string) => { type: string } | undefined,
  legacyColumn: string,
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
      joinColumns.push(legacyColumn);
    } else {
      joinColumns.push(parentColumn);
    }
  }
  if (!mode) return null;
  return {
    id: `${displayColumn(c.child, c.columns)} -> ${displayColumn(c.parent, c.parentColumns)}`,
    child: c.child,
    columns: c.columns,
    parent: c.parent,
    parentColumns: c.parentColumns,
    mode,
    convertColumns,
    joinColumns,
    sources: (['foreign-key', 'drizzle-reference', 'drizzle-relation'] as const).filter((s) => c.sources.has(s)),
    constraint: c.constraint,
    declared: c.declared,
  };
}

/** Every reference either side knows of, merged by (child columns, parent columns). */
function collectReferences(catalog: CatalogSnapshot, schema: DrizzleSchemaModel): Candidate[] {
  const byKey = new Map<string, Candidate>();
  const add = (child: TableRef, columns: string[], parent: TableRef, parentColumns: string[]): Candidate => {
    const key = `${tableKey(child)}(${columns.join(',')})->${tableKey(parent)}(${parentColumns.join(',')})`;
    let c = byKey.get(key);
    if (!c) {
      c = {
        child: { schema: child.schema, name: child.name },
        columns,
        parent,
        parentColumns,
        sources: new Set(),
        constraint: null,
        declared: null,
      };
      byKey.set(key, c);
    }
    return c;
  };
  for (const table of catalog.tables) {
    for (const fk of table.foreignKeys) {
      const c = add(table, fk.columns, { schema: fk.refSchema, name: fk.refTable }, fk.refColumns);
      c.sources.add('foreign-key');
      c.constraint = fk;
    }
  }
  for (const table of schema.tables) {
    for (const ref of table.references) {
      const c = add(table, ref.columns, { schema: ref.refSchema, name: ref.refTable }, ref.refColumns);
      c.sources.add(ref.source);
      if (ref.source === 'drizzle-reference') c.declared = ref;
    }
  }
  return [...byKey.values()];
}

/** A Drizzle column declared integer that references a uuid key: reported, and converted anyway. */
function findMistakes(works: ReferenceWork[], drizzleTables: Map<string, DrizzleTableModel>): SchemaMistake[] {
  const mistakes: SchemaMistake[] = [];
  const seen = new Set<string>();
  for (const work of works) {
    if (!work.sources.some((s) => s !== 'foreign-key')) continue;
    const child = drizzleTables.get(tableKey(work.child));
    const parent = drizzleTables.get(tableKey(work.parent));
    for (const column of work.convertColumns) {
      const i = work.columns.indexOf(column);
      const declared = child?.columns.find((c) => c.name === column);
      const parentColumn = parent?.columns.find((c) => c.name === work.parentColumns[i]);
      const key = columnKey(work.child, column);
      if (declared && isIntegerType(declared.type) && parentColumn && isUuidType(parentColumn.type) && !seen.has(key)) {
        seen.add(key);
        mistakes.push({
          table: work.child,
          column,
          declaredType: declared.type,
          parent: work.parent,
          parentColumn: parentColumn.name,
        });
      }
    }
  }
  return mistakes;
}

export type { TableModel };
