import { createTableRelationsHelpers, is, One, Relations, SQL } from 'drizzle-orm';
import { getTableConfig, isPgEnum, type PgColumn, PgDialect, PgTable } from 'drizzle-orm/pg-core';
import { quoteLiteral } from '../db/quote.js';
import type {
  ColumnModel,
  DrizzleReference,
  DrizzleSchemaModel,
  DrizzleTableModel,
  FkAction,
  TableRef,
} from '../model/types.js';
import { tableKey } from '../model/types.js';
import { isRelationsV2, relationLinks } from './relations-v2.js';

/**
 * Turn the exports of a Drizzle schema into the model. drizzle-orm recognises its own objects with
 * `is()` (entity kinds, not instanceof) and keeps table metadata under Symbol.for keys, so objects
 * built by the user's copy of drizzle-orm read correctly through ours.
 */
export function drizzleExportsToModel(exports: unknown[], files: string[]): DrizzleSchemaModel {
  const tables = new Map<string, { ref: TableRef; table: PgTable; model: DrizzleTableModel }>();
  const relations: Relations[] = [];
  const relationsV2: Parameters<typeof relationLinks>[0][] = [];
  const enums: DrizzleSchemaModel['enums'] = [];
  const seenEnums = new Set<string>();
  for (const value of exports) {
    if (is(value, PgTable)) {
      const config = getTableConfig(value);
      const ref = { schema: config.schema ?? 'public', name: config.name };
      if (!tables.has(tableKey(ref))) tables.set(tableKey(ref), { ref, table: value, model: tableToModel(value) });
    } else if (is(value, Relations)) {
      relations.push(value);
    } else if (isRelationsV2(value)) {
      relationsV2.push(value);
    } else if (isPgEnum(value)) {
      const schema = (value as unknown as { schema?: string }).schema ?? 'public';
      const key = tableKey({ schema, name: value.enumName });
      if (!seenEnums.has(key)) {
        seenEnums.add(key);
        enums.push({ schema, name: value.enumName, values: [...value.enumValues] });
      }
    }
  }
  for (const relation of relations) {
    const source = tables.get(tableKey(refOf(relation.table)));
    if (!source) continue;
    const helpers = createTableRelationsHelpers(relation.table);
    const config = relation.config(helpers) as Record<string, unknown>;
    for (const value of Object.values(config)) {
      if (!is(value, One) || !value.config?.fields?.length) continue;
      const target = refOf(value.referencedTable);
      source.model.references.push({
        columns: value.config.fields.map((c) => c.name),
        refSchema: target.schema,
        refTable: target.name,
        refColumns: value.config.references.map((c) => c.name),
        source: 'drizzle-relation',
      });
    }
  }
  for (const link of relationsV2.flatMap((v) => relationLinks(v, isKey))) {
    const child = tables.get(tableKey(refOf(link.child)));
    const parent = refOf(link.parent);
    const reference = { columns: link.columns, refSchema: parent.schema, refTable: parent.name };
    if (!child || child.model.references.some((r) => r.source === 'drizzle-relation' && sameTarget(r, reference)))
      continue;
    child.model.references.push({ ...reference, refColumns: link.parentColumns, source: 'drizzle-relation' });
  }
  return { files, tables: [...tables.values()].map((t) => t.model), enums };
}

const sameTarget = (a: Pick<DrizzleReference, 'columns' | 'refSchema' | 'refTable'>, b: typeof a) =>
  JSON.stringify([a.columns, a.refSchema, a.refTable]) === JSON.stringify([b.columns, b.refSchema, b.refTable]);

/** Whether the columns are the table's primary key, or (unless `primaryOnly`) one of its unique keys. */
function isKey(table: PgTable, columns: string[], primaryOnly: boolean): boolean {
  const config = getTableConfig(table);
  const same = (key: string[]) => key.length === columns.length && key.every((c) => columns.includes(c));
  const primary = [config.columns.filter((c) => c.primary).map((c) => c.name), ...config.primaryKeys.map(namesOf)];
  if (primary.some(same)) return true;
  if (primaryOnly) return false;
  const unique = [
    ...config.columns.filter((c) => c.isUnique).map((c) => [c.name]),
    ...config.uniqueConstraints.map(namesOf),
    ...config.indexes
      .filter((i) => i.config.unique)
      .map((i) => i.config.columns.map((c) => (c as { name?: string }).name ?? '')),
  ];
  return unique.some(same);
}

const namesOf = (key: { columns: { name: string }[] }) => key.columns.map((c) => c.name);

function refOf(table: PgTable): TableRef {
  const config = getTableConfig(table);
  return { schema: config.schema ?? 'public', name: config.name };
}

function tableToModel(table: PgTable): DrizzleTableModel {
  const config = getTableConfig(table);
  const columns = config.columns.map(columnToModel);
  const primaryKey = config.columns.filter((c) => c.primary).map((c) => c.name);
  for (const pk of config.primaryKeys) primaryKey.push(...pk.columns.map((c) => c.name));
  const references: DrizzleReference[] = config.foreignKeys.map((fk) => {
    const { columns: from, foreignColumns } = fk.reference();
    const target = refOf(foreignColumns[0]!.table as PgTable);
    return {
      columns: from.map((c) => c.name),
      refSchema: target.schema,
      refTable: target.name,
      refColumns: foreignColumns.map((c) => c.name),
      source: 'drizzle-reference',
      name: fk.getName(),
      onDelete: (fk.onDelete ?? 'no action') as FkAction,
      onUpdate: (fk.onUpdate ?? 'no action') as FkAction,
    };
  });
  return {
    schema: config.schema ?? 'public',
    name: config.name,
    columns,
    primaryKey: [...new Set(primaryKey)],
    references,
    indexes: config.indexes.map((i) => i.config.name).filter((n): n is string => typeof n === 'string'),
  };
}

const dialect = new PgDialect();

function columnToModel(column: PgColumn): ColumnModel {
  const identity = (column as unknown as { generatedIdentity?: { type?: string } }).generatedIdentity?.type;
  return {
    name: column.name,
    type: column.getSQLType(),
    notNull: column.notNull,
    default: renderDefault(column.default),
    identity: identity === 'always' ? 'always' : identity === 'byDefault' ? 'by default' : null,
    generated: Boolean((column as unknown as { generated?: unknown }).generated),
    ownedSequence: null,
  };
}

function renderDefault(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (is(value, SQL)) return dialect.sqlToQuery(value).sql;
  if (typeof value === 'string') return quoteLiteral(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return quoteLiteral(JSON.stringify(value));
}
