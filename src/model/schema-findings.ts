import type { Mapping } from './legacy-columns.js';
import type { DrizzleTableModel, TableModel, TableRef } from './types.js';
import {
  columnKey,
  displayColumn,
  displayTable,
  isIntegerType,
  isUuidType,
  referencedTable,
  tableKey,
} from './types.js';
import type { Finding, ReferenceWork, SchemaMistake } from './work.js';

/**
 * Repairs whose parent kept no mapping: one sentence per parent, naming every column that holds its
 * old ids (a forum's roles table is referenced from 27 columns: one problem, not 27).
 */
export function lostMappings(
  works: ReferenceWork[],
  mappingOf: (parent: TableRef) => Mapping,
  legacyName: (parent: TableRef) => string,
): Finding[] {
  const byParent = new Map<string, ReferenceWork[]>();
  for (const work of works.filter((w) => w.mode === 'repair')) {
    byParent.set(tableKey(work.parent), [...(byParent.get(tableKey(work.parent)) ?? []), work]);
  }
  return [...byParent.values()].flatMap((refs) => {
    const parent = refs[0]!.parent;
    const mapping = mappingOf(parent);
    if (!('lost' in mapping)) return [];
    const columns = refs.map((r) => displayColumn(r.child, r.convertColumns)).join(', ');
    const found = mapping.candidates.length
      ? `several of its unique integer columns could hold the old ids (${mapping.candidates.join(', ')}) and ` +
        '--legacy-column names none of them'
      : `no integer column of it holds the old ids (none is named ${legacyName(parent)}, none is kept unique)`;
    return [
      {
        kind: 'lost-mapping',
        table: parent,
        columns: [],
        message:
          `${displayTable(parent)}'s key is already uuid, and ${found}, so the ${refs.length} column(s) that still ` +
          `hold its old integer ids cannot be repaired from this database: ${columns}; restore the old ids into a ` +
          `column of ${displayTable(parent)} (from a backup taken before the switch, or a mapping table kept by the ` +
          `script that switched it) and pass --legacy-column ${parent.name}=<that column>.`,
      },
    ];
  });
}

/** A Drizzle column declared integer that references a uuid key: reported, and converted anyway. */
export function findMistakes(works: ReferenceWork[], drizzleTables: Map<string, DrizzleTableModel>): SchemaMistake[] {
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
        const { table, parent: p } = { table: work.child, parent: work.parent };
        mistakes.push({ table, column, declaredType: declared.type, parent: p, parentColumn: parentColumn.name });
      }
    }
  }
  return mistakes;
}

/**
 * What the Drizzle schema says that the plan does not act on: tables the database lacks, integer
 * columns it calls uuid with nothing to say which uuid (not a key, not a reference, not a column that
 * follows its parent's), and tables outside the schema that convert through a foreign key.
 */
export function drizzleWarnings(
  drizzleTables: Map<string, DrizzleTableModel>,
  dbTables: Map<string, TableModel>,
  converting: Set<string>,
  works: ReferenceWork[],
): Finding[] {
  const warnings: Finding[] = [];
  for (const [key, table] of drizzleTables) {
    const db = dbTables.get(key);
    if (!db) {
      warnings.push({
        kind: 'table-not-in-database',
        table,
        columns: [],
        message:
          `${displayTable(table)} is in the Drizzle schema but not in the database; uuidmig does not create ` +
          'tables (drizzle-kit does).',
      });
      continue;
    }
    for (const column of table.columns) {
      const current = db.columns.find((c) => c.name === column.name);
      if (!current || !isIntegerType(current.type) || !isUuidType(column.type)) continue;
      if (converting.has(columnKey(table, column.name))) continue;
      warnings.push({
        kind: 'uuid-without-source',
        table,
        columns: [column.name],
        message:
          `${displayColumn(table, column.name)} is integer in the database and uuid in the Drizzle schema, but ` +
          'it is neither a key nor a reference to one, so nothing says which uuid each row should get; uuidmig ' +
          'leaves it as it is.',
      });
    }
  }
  for (const work of works.filter((w) => !drizzleTables.has(tableKey(w.child)))) {
    const through = work.constraint ? `its foreign key ${work.constraint.name}` : 'a foreign key';
    warnings.push({
      kind: 'table-not-in-schema',
      table: work.child,
      columns: work.convertColumns,
      message:
        `${displayTable(work.child)} is not in the Drizzle schema, but ${through} references a converting key, ` +
        `so ${displayColumn(work.child, work.convertColumns)} converts too.`,
    });
  }
  return warnings;
}

/**
 * A reference the Drizzle schema (or --reference) declares onto a converting key while the database's own foreign key
 * on the same columns points elsewhere: one of them is wrong, and numbers that merely overlap (ids 1
 * to 100 in both tables) would pass as 0 orphans.
 */
export function conflictingReferences(works: ReferenceWork[], dbTables: Map<string, TableModel>): Finding[] {
  const findings: Finding[] = [];
  for (const work of works.filter((w) => !w.constraint && w.sources.some((s) => s !== 'foreign-key'))) {
    const child = dbTables.get(tableKey(work.child));
    const same = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
    for (const fk of child?.foreignKeys.filter((f) => same(f.columns, work.columns)) ?? []) {
      const target = displayColumn(referencedTable(fk), fk.refColumns);
      findings.push({
        kind: 'conflicting-reference',
        table: work.child,
        columns: work.columns,
        reference: work.id,
        message:
          `${work.sources.includes('option') ? '--reference' : 'The Drizzle schema'} says ` +
          `${displayColumn(work.child, work.columns)} references ` +
          `${displayColumn(work.parent, work.parentColumns)}, which becomes uuid, but the database's foreign key ` +
          `${fk.name} on it references ${target}; one of them is wrong (ids that merely overlap look like 0 ` +
          'orphans): fix the Drizzle schema or the foreign key before the migration.',
      });
    }
  }
  return findings;
}
