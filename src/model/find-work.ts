import { findComponents } from './components.js';
import { findKeyConversions, nameLegacyColumns } from './find-keys.js';
import { declarationsAtRoots, definingTable, tablesByKey } from './inheritance.js';
import { type LegacyNames, legacyNameFor, type Mapping, mappingColumn } from './legacy-columns.js';
import { objectFindings } from './object-findings.js';
import { type Candidate, collectReferences, type GivenReference, referenceWork } from './references.js';
import { conflictingReferences, drizzleWarnings, findMistakes, lostMappings } from './schema-findings.js';
import type { CatalogSnapshot, DrizzleSchemaModel, TableRef } from './types.js';
import { columnKey, compareText, tableKey } from './types.js';
import type { ReferenceWork, Work } from './work.js';

export interface FindWorkOptions {
  /** Where old integers live: one name for every table, or per table. */
  legacyColumn: string;
  legacyColumns?: LegacyNames['perTable'];
  /** `--reference`: references nothing else declares. */
  references?: GivenReference[];
}

/**
 * Compare the live catalog with the Drizzle schema and find the work: integer keys the schema makes
 * uuid, every integer reference to them (transitively), references to keys that are already uuid
 * (repair), schema mistakes, and what blocks the plan. Pure: no I/O.
 */
export function findWork(catalog: CatalogSnapshot, declared: DrizzleSchemaModel, options: FindWorkOptions): Work {
  const names: LegacyNames = { default: options.legacyColumn, perTable: options.legacyColumns ?? [] };
  const schema = declarationsAtRoots(catalog, declared);
  const dbTables = tablesByKey(catalog.tables);
  const drizzleTables = new Map(schema.tables.map((t) => [tableKey(t), t]));
  const dbColumn = (t: TableRef, c: string) => dbTables.get(tableKey(t))?.columns.find((col) => col.name === c);
  const mappingOf = (parent: TableRef): Mapping => {
    const table = dbTables.get(tableKey(parent));
    return table ? mappingColumn(table, names) : { lost: true, candidates: [] };
  };
  const joinColumn = (parent: TableRef) => {
    const mapping = mappingOf(parent);
    return 'column' in mapping ? mapping.column : names.default;
  };

  const keyConversions = findKeyConversions(catalog, drizzleTables, names);
  // Spread along references until nothing changes: a column that references a converting column converts too.
  const converting = new Set(keyConversions.keys());
  const references = new Map<Candidate, ReferenceWork>();
  const candidates = collectReferences(catalog, schema, options.references);
  for (let changed = true; changed; ) {
    changed = false;
    for (const c of candidates) {
      const work = referenceWork(c, converting, dbColumn, joinColumn);
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
  const conversions = [...keyConversions.values()].sort((a, b) =>
    compareText(columnKey(a.table, a.column), columnKey(b.table, b.column)),
  );
  const legacyTaken = nameLegacyColumns(conversions, dbTables, drizzleTables, names);
  const objects = objectFindings(catalog, conversions, works);
  const blockers = [
    ...lostMappings(works, mappingOf, (t) => legacyNameFor(names, t)),
    ...legacyTaken,
    ...objects.blockers,
  ];
  const warnings = [
    ...conflictingReferences(works, dbTables),
    ...drizzleWarnings(drizzleTables, dbTables, following(catalog, converting), works),
    ...objects.warnings,
  ];
  const components = findComponents([...conversions.map((c) => [c.table]), ...works.map((w) => [w.child, w.parent])]);
  return {
    conversions,
    references: works,
    mistakes: findMistakes(works, drizzleTables),
    blockers,
    warnings,
    components,
  };
}

/** The converting columns, and every column a partition or an inheritance child takes from one of them. */
function following(catalog: CatalogSnapshot, converting: Set<string>): Set<string> {
  const tables = tablesByKey(catalog.tables);
  const all = new Set(converting);
  for (const table of catalog.tables) {
    for (const column of table.columns.filter((c) => c.inherited)) {
      if (converting.has(columnKey(definingTable(tables, table, column.name), column.name))) {
        all.add(columnKey(table, column.name));
      }
    }
  }
  return all;
}
