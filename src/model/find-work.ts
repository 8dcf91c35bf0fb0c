import { findComponents } from './components.js';
import { findKeyConversions, nameLegacyColumns } from './find-keys.js';
import { declarationsAtRoots, definingTable, tablesByKey } from './inheritance.js';
import { type LegacyNames, legacyNameFor, type Mapping, mappingColumn } from './legacy-columns.js';
import { objectFindings } from './object-findings.js';
import {
  type Candidate,
  collectReferences,
  type GivenReference,
  type IgnoredRelation,
  referenceWork,
} from './references.js';
import { conflictingReferences, drizzleWarnings, findMistakes, lostMappings } from './schema-findings.js';
import { columnsWithTwoKeys } from './two-keys.js';
import type { CatalogSnapshot, DrizzleSchemaModel, TableRef } from './types.js';
import { columnKey, compareText, displayColumn, tableKey } from './types.js';
import type { Finding, ReferenceWork, Work } from './work.js';

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
  const ignored: IgnoredRelation[] = [];
  const candidates = collectReferences(catalog, schema, options.references, ignored);
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
    ...columnsWithTwoKeys(works),
    ...objects.blockers,
  ];
  const warnings = [
    ...ignored.map(relationWithoutKey),
    ...conflictingReferences(works, dbTables),
    ...drizzleWarnings(drizzleTables, dbTables, following(catalog, converting), works),
    ...objects.warnings,
  ];
  const components = findComponents([
    ...conversions.map((c) => [c.table]),
    ...works.map((w) => [w.child, w.parent]),
    ...inheritanceLinks(catalog, [...conversions.map((c) => c.table), ...works.map((w) => w.child)]),
  ]);
  return {
    conversions,
    references: works,
    mistakes: findMistakes(works, drizzleTables),
    blockers,
    warnings,
    components,
  };
}

/** A relations() entry onto columns that are not a key of its parent: left out, said. */
const relationWithoutKey = (r: IgnoredRelation): Finding => ({
  kind: 'relation-without-key',
  table: r.child,
  columns: r.columns,
  message:
    `The relation ${displayColumn(r.child, r.columns)} -> ${displayColumn(r.parent, r.parentColumns)} points at ` +
    'columns that are not a primary or unique key of the parent (drizzle-kit pull writes such relations for one ' +
    'column of a composite foreign key): each row would match several parents, so it is not treated as a ' +
    'reference; the foreign key it comes from is. Name every column of the key in the relation to silence this.',
});

/**
 * An inheritance child with work of its own (a reference of its own columns) and an ancestor with work
 * must migrate in one component: the ancestor's new columns reach the child's rows, so a stage that
 * rewrote the child on its own, before or after, would not know them (its legacy key renumbered).
 */
function inheritanceLinks(catalog: CatalogSnapshot, working: TableRef[]): TableRef[][] {
  const byKey = tablesByKey(catalog.tables);
  const busy = new Set(working.map(tableKey));
  const links: TableRef[][] = [];
  for (const key of busy) {
    for (let t = byKey.get(key); t?.parent && !t.isPartition; t = byKey.get(tableKey(t.parent))) {
      if (busy.has(tableKey(t.parent))) links.push([byKey.get(key)!, t.parent]);
    }
  }
  return links;
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
