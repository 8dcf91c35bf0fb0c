import type { CatalogSnapshot, ColumnModel, DrizzleSchemaModel, TableModel, TableRef } from '../../src/model/types.js';

/**
 * In-memory catalogs and Drizzle schemas for the pure planner's unit tests: `serial` keys, integer
 * references with their foreign keys, and a Drizzle side that declares the keys uuid.
 */
export interface TableSpec {
  name: string;
  schema?: string;
  /** Integer columns that reference another table's `id`: column -> table name (same schema). */
  refs?: Record<string, string>;
  /** The key stays integer in the Drizzle schema. */
  staysInteger?: boolean;
  parent?: string;
}

const column = (name: string, type: string, extra: Partial<ColumnModel> = {}): ColumnModel => ({
  name,
  type,
  notNull: false,
  default: null,
  identity: null,
  generated: false,
  ownedSequence: null,
  ...extra,
});

function catalogTable(spec: TableSpec): TableModel {
  const schema = spec.schema ?? 'public';
  const refs = Object.entries(spec.refs ?? {});
  // An inheritance child inherits the key column (not the key itself: PostgreSQL does not inherit keys).
  const inherited = spec.parent ? { inherited: true } : {};
  const owner = spec.parent ?? spec.name;
  return {
    schema,
    name: spec.name,
    kind: 'table',
    columns: [
      column('id', 'integer', {
        notNull: true,
        default: `nextval('${owner}_id_seq'::regclass)`,
        ownedSequence: spec.parent ? null : `${schema}.${spec.name}_id_seq`,
        ...inherited,
      }),
      ...refs.map(([c]) => column(c, 'integer')),
    ],
    primaryKey: spec.parent ? null : { name: `${spec.name}_pkey`, columns: ['id'], definition: 'PRIMARY KEY (id)' },
    uniques: [],
    foreignKeys: refs.map(([c, parent]) => ({
      name: `${spec.name}_${c}_fkey`,
      columns: [c],
      refSchema: schema,
      refTable: parent,
      refColumns: ['id'],
      onDelete: 'no action',
      onUpdate: 'no action',
      deferrable: false,
      initiallyDeferred: false,
      match: 'simple',
      validated: true,
    })),
    indexes: spec.parent
      ? []
      : [
          {
            name: `${spec.name}_pkey`,
            columns: ['id'],
            unique: true,
            definition: `CREATE UNIQUE INDEX ${spec.name}_pkey ON ${schema}.${spec.name} USING btree (id)`,
            predicate: null,
            backsConstraint: true,
          },
        ],
    checks: [],
    rowEstimate: 1000,
    parent: spec.parent ? { schema, name: spec.parent } : null,
  };
}

export function catalogOf(specs: TableSpec[]): CatalogSnapshot {
  return {
    serverVersion: '15.0',
    serverVersionNum: 150000,
    database: 'unit',
    tables: specs.map(catalogTable),
    views: [],
    functions: [],
  };
}

/**
 * The Drizzle side: every key uuid (unless staysInteger), every reference column typed like its parent's
 * key; inheritance children are left out (their columns change with their parent's).
 */
export function drizzleOf(specs: TableSpec[]): DrizzleSchemaModel {
  const keyType = (name: string) => (specs.find((s) => s.name === name)?.staysInteger ? 'integer' : 'uuid');
  return {
    files: ['unit.ts'],
    enums: [],
    tables: specs
      .filter((spec) => !spec.parent)
      .map((spec) => {
        const schema = spec.schema ?? 'public';
        const refs = Object.entries(spec.refs ?? {});
        return {
          schema,
          name: spec.name,
          columns: [
            column('id', keyType(spec.name), {
              notNull: true,
              default: spec.staysInteger ? null : 'gen_random_uuid()',
            }),
            ...refs.map(([c, parent]) => column(c, keyType(parent))),
          ],
          primaryKey: ['id'],
          references: [],
          indexes: [],
        };
      }),
  };
}

export const ref = (name: string, schema = 'public'): TableRef => ({ schema, name });
