import { deriveName } from '../db/derived-names.js';
import { type LegacyNames, legacyNameFor } from './legacy-columns.js';
import type { CatalogSnapshot, DrizzleTableModel, TableModel } from './types.js';
import { columnKey, displayTable, isIntegerType, isUuidType, tableKey } from './types.js';
import type { Finding, KeyConversion } from './work.js';

/**
 * Keys that convert: integer primary-key (or single-column unique) columns the Drizzle schema
 * declares uuid. A partition's key is its partitioned table's, and a column an inheritance child takes
 * from its parent changes with the parent: neither converts on its own.
 */
export function findKeyConversions(
  catalog: CatalogSnapshot,
  drizzleTables: Map<string, DrizzleTableModel>,
  names: LegacyNames,
): Map<string, KeyConversion> {
  const conversions = new Map<string, KeyConversion>();
  for (const table of catalog.tables) {
    const target = drizzleTables.get(tableKey(table));
    if (!target || table.isPartition) continue;
    const keyColumns = new Set([
      ...(table.primaryKey?.columns ?? []),
      ...table.uniques.filter((u) => u.columns.length === 1).flatMap((u) => u.columns),
    ]);
    for (const name of keyColumns) {
      const db = table.columns.find((c) => c.name === name)!;
      const wanted = target.columns.find((c) => c.name === name);
      if (!wanted || db.inherited || !isIntegerType(db.type) || !isUuidType(wanted.type)) continue;
      conversions.set(columnKey(table, name), {
        table: { schema: table.schema, name: table.name },
        column: name,
        fromType: db.type,
        legacyColumn: legacyNameFor(names, table),
        newDefault: wanted.default,
        legacyDeclared: false,
      });
    }
  }
  return conversions;
}

/**
 * Where each converted key keeps its old integer: the table's primary key column under its legacy
 * name (`--legacy-column`), any other converted key column (a unique one) in `<column>_legacy`. A
 * name already in use blocks the plan.
 */
export function nameLegacyColumns(
  conversions: KeyConversion[],
  dbTables: Map<string, TableModel>,
  drizzleTables: Map<string, DrizzleTableModel>,
  names: LegacyNames,
): Finding[] {
  const blockers: Finding[] = [];
  for (const conversion of conversions) {
    const table = dbTables.get(tableKey(conversion.table))!;
    const ofTable = conversions.filter((x) => tableKey(x.table) === tableKey(table));
    const isFirst = (ofTable.find((x) => table.primaryKey?.columns.includes(x.column)) ?? ofTable[0]) === conversion;
    conversion.legacyColumn = isFirst
      ? legacyNameFor(names, table)
      : deriveName(conversion.column, '_legacy', new Set(table.columns.map((c) => c.name)));
    conversion.legacyDeclared =
      drizzleTables.get(tableKey(table))?.columns.some((c) => c.name === conversion.legacyColumn) ?? false;
    if (table.columns.some((c) => c.name === conversion.legacyColumn)) {
      const advice = isFirst
        ? `pass --legacy-column with a free name (${table.name}=<name> for this table alone)`
        : 'rename that column first';
      blockers.push({
        kind: 'legacy-column-taken',
        table,
        columns: [conversion.legacyColumn],
        message:
          `${displayTable(table)} already has a column "${conversion.legacyColumn}", where the old ` +
          `${conversion.column} would be kept; ${advice}.`,
      });
    }
  }
  return blockers;
}
