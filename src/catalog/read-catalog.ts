import type { Sql } from '../db/connect.js';
import type {
  CatalogSnapshot,
  CheckModel,
  ColumnModel,
  ColumnRef,
  FkAction,
  ForeignKeyModel,
  GrantModel,
  IndexModel,
  KeyConstraint,
  PolicyModel,
  RuleModel,
  TableModel,
  TableRef,
  TriggerModel,
  ViewModel,
} from '../model/types.js';
import { tableKey } from '../model/types.js';
import { readSqlFile } from './sql-files.js';

type Row = Record<string, unknown>;

const CATALOG_QUERIES = [
  'server',
  'tables',
  'columns',
  'constraints',
  'indexes',
  'views',
  'view_dependencies',
  'policies',
  'triggers',
  'rules',
  'functions',
  'statistics',
];

const FK_ACTIONS: Record<string, FkAction> = {
  a: 'no action',
  r: 'restrict',
  c: 'cascade',
  n: 'set null',
  d: 'set default',
};
const FK_MATCH: Record<string, ForeignKeyModel['match']> = { s: 'simple', f: 'full', p: 'partial' };

export interface ReadCatalogOptions {
  /** Only these schemas (drizzle-kit's `schemaFilter`); all user schemas when empty. */
  schemas?: string[];
  /** Tables read as if absent: drizzle's migrations table (its bookkeeping, as uuidmig's own schema is). */
  without?: TableRef[];
}

/**
 * Read the live catalog into the model, in one read-only transaction (one consistent snapshot) with
 * search_path = pg_catalog so every definition PostgreSQL prints for us is schema-qualified.
 */
export async function readCatalog(sql: Sql, options: ReadCatalogOptions = {}): Promise<CatalogSnapshot> {
  return sql.begin('read only', (tx) => readCatalogInTransaction(tx as unknown as Pick<Sql, 'unsafe'>, options));
}

/**
 * The same, inside a transaction the caller already holds (apply journals the catalog hash after each
 * stage in the stage's own transaction). Sets search_path = pg_catalog for the rest of it.
 */
export async function readCatalogInTransaction(
  tx: Pick<Sql, 'unsafe'>,
  options: ReadCatalogOptions = {},
): Promise<CatalogSnapshot> {
  await tx.unsafe('SET LOCAL search_path = pg_catalog');
  const results: Record<string, Row[]> = {};
  for (const name of CATALOG_QUERIES) {
    results[name] = await tx.unsafe<Row[]>(readSqlFile(`catalog/${name}`));
  }
  return buildSnapshot(results, options);
}

function buildSnapshot(r: Record<string, Row[]>, options: ReadCatalogOptions): CatalogSnapshot {
  const wanted = (schema: string) => !options.schemas?.length || options.schemas.includes(schema);
  const without = new Set(options.without?.map(tableKey));
  const server = r.server![0]!;
  const tables = new Map<string, TableModel>();
  for (const row of r.tables!) {
    if (!wanted(String(row.schema)) || without.has(tableKey({ schema: String(row.schema), name: String(row.name) })))
      continue;
    const t: TableModel = {
      schema: String(row.schema),
      name: String(row.name),
      kind: row.kind === 'p' ? 'partitioned' : 'table',
      columns: [],
      primaryKey: null,
      uniques: [],
      foreignKeys: [],
      indexes: [],
      checks: [],
      exclusions: [],
      rowEstimate: row.row_estimate === null ? null : Number(row.row_estimate),
      rowSecurity: { enabled: Boolean(row.row_security), forced: Boolean(row.force_row_security) },
      policies: [],
      triggers: [],
      rules: [],
      statistics: [],
      parent: (row.parent as TableRef | null) ?? null,
      isPartition: Boolean(row.is_partition),
      partitionKey: row.partition_key as string[],
    };
    tables.set(tableKey(t), t);
  }
  const tableOf = (row: Row) => tables.get(tableKey({ schema: String(row.schema), name: String(row.table) }));
  for (const row of r.columns!) tableOf(row)?.columns.push(toColumn(row));
  for (const row of r.constraints!) {
    const t = tableOf(row);
    if (!t) continue;
    const key: KeyConstraint = {
      name: String(row.name),
      columns: row.columns as string[],
      definition: String(row.definition),
    };
    if (row.type === 'p') t.primaryKey = key;
    else if (row.type === 'u') t.uniques.push(key);
    else if (row.type === 'c')
      t.checks.push({ name: key.name, columns: key.columns, definition: key.definition! } satisfies CheckModel);
    else if (row.type === 'f') t.foreignKeys.push(toForeignKey(row));
    else if (row.type === 'x') t.exclusions!.push(key);
  }
  for (const row of r.policies!) {
    tableOf(row)?.policies?.push({
      name: String(row.name),
      permissive: Boolean(row.permissive),
      command: row.command as PolicyModel['command'],
      roles: row.roles as string[],
      using: row.using === null ? null : String(row.using),
      withCheck: row.with_check === null ? null : String(row.with_check),
      uses: row.uses as ColumnRef[],
    });
  }
  for (const row of r.statistics!) {
    tableOf(row)?.statistics?.push({
      schema: String(row.statistics_schema),
      name: String(row.name),
      definition: String(row.definition),
      columns: row.columns as string[],
    });
  }
  for (const row of r.triggers!) {
    tableOf(row)?.triggers?.push({
      name: String(row.name),
      definition: String(row.definition),
      enabled: row.enabled as TriggerModel['enabled'],
      onUpdate: Boolean(row.on_update),
      columns: row.columns as string[],
    });
  }
  for (const row of r.rules!) {
    tableOf(row)?.rules?.push({
      name: String(row.name),
      definition: String(row.definition),
      enabled: row.enabled as RuleModel['enabled'],
      event: row.event as RuleModel['event'],
      instead: Boolean(row.instead),
      uses: row.uses as ColumnRef[],
    });
  }
  const views = new Map<string, ViewModel>();
  for (const row of r.views!) {
    if (!wanted(String(row.schema))) continue;
    const v: ViewModel = {
      schema: String(row.schema),
      name: String(row.name),
      kind: row.kind === 'm' ? 'materialized' : 'view',
      definition: String(row.definition),
      uses: [],
      indexes: [],
      owner: String(row.owner),
      comment: row.comment === null ? null : String(row.comment),
      options: row.options as string[],
      grants: (row.grants as string[]).map(toGrant),
    };
    views.set(tableKey(v), v);
  }
  for (const row of r.indexes!) {
    const index = toIndex(row);
    const owner = tableOf(row) ?? views.get(tableKey({ schema: String(row.schema), name: String(row.table) }));
    owner?.indexes.push(index);
  }
  for (const row of r.view_dependencies!) {
    views.get(tableKey({ schema: String(row.view_schema), name: String(row.view_name) }))?.uses.push({
      schema: String(row.schema),
      name: String(row.table),
      column: String(row.column),
    });
  }
  return {
    serverVersion: String(server.server_version),
    serverVersionNum: Number(server.server_version_num),
    database: String(server.database),
    tables: [...tables.values()],
    views: [...views.values()],
    functions: r
      .functions!.filter((row) => wanted(String(row.schema)))
      .map((row) => ({
        schema: String(row.schema),
        name: String(row.name),
        kind: row.kind === 'p' ? ('procedure' as const) : ('function' as const),
        arguments: String(row.arguments),
        body: String(row.body),
        parameters: (row.parameters as string[]).map((p) => {
          const [name, type] = p.split('|');
          return { name: name!, type: type! };
        }),
      })),
  };
}

function toColumn(row: Row): ColumnModel {
  return {
    name: String(row.name),
    type: String(row.type),
    notNull: Boolean(row.not_null),
    default: row.default === null ? null : String(row.default),
    identity: row.identity === 'a' ? 'always' : row.identity === 'd' ? 'by default' : null,
    generated: Boolean(row.generated),
    ownedSequence: row.owned_sequence === null ? null : String(row.owned_sequence),
    ...toSequence(row),
    comment: row.comment === null ? null : String(row.comment),
    grants: (row.grants as string[]).map(toGrant),
    generatedFrom: row.generated_from as string[],
    inherited: Boolean(row.inherited),
  };
}

/** An owned sequence's grants and comment, only when it has any: a catalog without them hashes as before. */
function toSequence(row: Row): Pick<ColumnModel, 'sequence'> {
  const grants = ((row.sequence_grants as string[] | null) ?? []).map(toGrant);
  const comment = row.sequence_comment === null ? null : String(row.sequence_comment);
  if (!grants.length && comment === null) return {};
  return { sequence: { schema: String(row.sequence_schema), name: String(row.sequence_name), grants, comment } };
}

/** `grantee|privilege|grantable` (built in SQL, so no role name needs parsing here but the last two bars). */
function toGrant(text: string): GrantModel {
  const grantable = text.endsWith('|true');
  const rest = text.slice(0, text.lastIndexOf('|'));
  const cut = rest.lastIndexOf('|');
  return { grantee: rest.slice(0, cut), privilege: rest.slice(cut + 1), grantable };
}

function toForeignKey(row: Row): ForeignKeyModel {
  return {
    name: String(row.name),
    columns: row.columns as string[],
    refSchema: String(row.ref_schema),
    refTable: String(row.ref_table),
    refColumns: row.ref_columns as string[],
    onDelete: FK_ACTIONS[String(row.on_delete)] ?? 'no action',
    onUpdate: FK_ACTIONS[String(row.on_update)] ?? 'no action',
    deferrable: Boolean(row.deferrable),
    initiallyDeferred: Boolean(row.initially_deferred),
    match: FK_MATCH[String(row.match)] ?? 'simple',
    validated: Boolean(row.validated),
    definition: String(row.definition),
  };
}

function toIndex(row: Row): IndexModel {
  return {
    name: String(row.name),
    columns: row.columns as string[],
    unique: Boolean(row.unique),
    definition: String(row.definition),
    predicate: row.predicate === null ? null : String(row.predicate),
    backsConstraint: Boolean(row.backs_constraint),
    inherited: Boolean(row.inherited),
  };
}
