/**
 * The model both sides produce: the live catalog (src/catalog) and the Drizzle schema (src/schema).
 * Plain values, so the comparison in find-work.ts and the planner stay pure.
 */

export interface TableRef {
  schema: string;
  name: string;
}

export type FkAction = 'no action' | 'restrict' | 'cascade' | 'set null' | 'set default';

export interface ColumnModel {
  name: string;
  /** As format_type() prints it (catalog) or getSQLType() (Drizzle): integer, bigint, uuid, text, ... */
  type: string;
  notNull: boolean;
  /** Default expression as SQL text, or null. */
  default: string | null;
  identity: 'always' | 'by default' | null;
  generated: boolean;
  /** Sequence owned by this column (serial or identity), schema-qualified, or null. */
  ownedSequence: string | null;
  /** What the owned sequence holds that making it again would lose: only when it has grants or a comment. */
  sequence?: SequenceModel;
  /** COMMENT ON COLUMN, and column-level grants; both stay with the old column on a rename. */
  comment?: string | null;
  grants?: GrantModel[];
  /** For a generated column: the columns its expression reads. */
  generatedFrom?: string[];
  /** Comes from a parent table (a partition's or an inheritance child's column): it changes with it. */
  inherited?: boolean;
}

/**
 * An owned sequence's grants and comment. An identity cannot move from one column to another: it is
 * dropped with its sequence and made again under the same name, and the new sequence starts with the
 * default privileges and no comment. (Its owner is the table's: PostgreSQL keeps them the same.)
 */
export interface SequenceModel extends TableRef {
  /** Its ACL (aclexplode of pg_class.relacl) in the ACL's own order, without the owner's own privileges. */
  grants: GrantModel[];
  comment: string | null;
}

export interface GrantModel {
  /** A role name, or PUBLIC. */
  grantee: string;
  privilege: string;
  grantable: boolean;
}

export interface PolicyModel {
  name: string;
  permissive: boolean;
  command: 'ALL' | 'SELECT' | 'INSERT' | 'UPDATE' | 'DELETE';
  roles: string[];
  using: string | null;
  withCheck: string | null;
  /** Every column the expressions read (any table). */
  uses: ColumnRef[];
}

export interface TriggerModel {
  name: string;
  definition: string;
  /** pg_trigger.tgenabled: O (on), D (disabled), R (replica), A (always). */
  enabled: 'O' | 'D' | 'R' | 'A';
  onUpdate: boolean;
  /** Columns named in UPDATE OF or read in WHEN. */
  columns: string[];
}

/** A rule (CREATE RULE) on a table: it fires for every matching write, the migration's own included. */
export interface RuleModel {
  name: string;
  /** pg_get_ruledef(): the whole CREATE RULE statement. */
  definition: string;
  /** pg_rewrite.ev_enabled: O (on), D (disabled), R (replica), A (always). */
  enabled: 'O' | 'D' | 'R' | 'A';
  event: 'SELECT' | 'INSERT' | 'UPDATE' | 'DELETE';
  instead: boolean;
  /** Every column its condition and actions read (any table). */
  uses: ColumnRef[];
}

export interface FunctionModel {
  schema: string;
  name: string;
  kind: 'function' | 'procedure';
  arguments: string;
  body: string;
  parameters: { name: string; type: string }[];
}

export interface KeyConstraint {
  name: string;
  columns: string[];
  /** pg_get_constraintdef() text, when read from the catalog. */
  definition?: string;
}

export interface ForeignKeyModel {
  name: string;
  columns: string[];
  refSchema: string;
  refTable: string;
  refColumns: string[];
  onDelete: FkAction;
  onUpdate: FkAction;
  deferrable: boolean;
  initiallyDeferred: boolean;
  match: 'simple' | 'full' | 'partial';
  validated: boolean;
  definition?: string;
}

export interface IndexModel {
  name: string;
  /** Every column the index uses: key columns, INCLUDE columns, expressions and predicate. */
  columns: string[];
  unique: boolean;
  definition: string;
  predicate: string | null;
  /** True when the index belongs to a primary key, unique or exclusion constraint. */
  backsConstraint: boolean;
  /** A partition's index attached to its parent's index: it follows the parent. */
  inherited?: boolean;
}

export interface CheckModel {
  name: string;
  columns: string[];
  definition: string;
}

export interface TableModel extends TableRef {
  kind: 'table' | 'partitioned';
  columns: ColumnModel[];
  primaryKey: KeyConstraint | null;
  uniques: KeyConstraint[];
  foreignKeys: ForeignKeyModel[];
  indexes: IndexModel[];
  checks: CheckModel[];
  /** CREATE STATISTICS objects on this table. */
  statistics?: { schema: string; name: string; definition: string; columns: string[] }[];
  /** Exclusion constraints: rebuilt like keys when they use a converting column. */
  exclusions?: KeyConstraint[];
  /** pg_class.reltuples; null when the table was never analyzed. */
  rowEstimate: number | null;
  rowSecurity?: { enabled: boolean; forced: boolean };
  policies?: PolicyModel[];
  triggers?: TriggerModel[];
  rules?: RuleModel[];
  /** A partition or an inheritance child: its parent. */
  parent?: TableRef | null;
  isPartition?: boolean;
  /** For a partitioned table: the columns of its partition key. */
  partitionKey?: string[];
}

export interface ColumnRef extends TableRef {
  column: string;
}

export interface ViewModel extends TableRef {
  kind: 'view' | 'materialized';
  definition: string;
  /** Columns of tables and other views this view reads. */
  uses: ColumnRef[];
  indexes: IndexModel[];
  owner?: string;
  comment?: string | null;
  /** reloptions, e.g. security_barrier=true, check_option=cascaded. */
  options?: string[];
  grants?: GrantModel[];
}

export interface CatalogSnapshot {
  serverVersion: string;
  serverVersionNum: number;
  database: string;
  tables: TableModel[];
  views: ViewModel[];
  functions?: FunctionModel[];
}

/** A reference the Drizzle schema declares without (or beside) a database constraint. */
export interface DrizzleReference {
  columns: string[];
  refSchema: string;
  refTable: string;
  refColumns: string[];
  source: 'drizzle-reference' | 'drizzle-relation';
  /** For `.references()` / `foreignKey()`: the name drizzle-kit would give the constraint. */
  name?: string;
  onDelete?: FkAction;
  onUpdate?: FkAction;
}

export interface DrizzleTableModel extends TableRef {
  columns: ColumnModel[];
  primaryKey: string[];
  references: DrizzleReference[];
  indexes: string[];
}

export interface DrizzleEnumModel {
  schema: string;
  name: string;
  values: string[];
}

export interface DrizzleSchemaModel {
  /** Absolute paths of the files that were imported. */
  files: string[];
  tables: DrizzleTableModel[];
  enums: DrizzleEnumModel[];
}

/**
 * Map keys for tables and columns: injective (an identifier cannot hold a NUL byte, so schema "a.b"
 * with table "c" and schema "a" with table "b.c" never meet), and never shown or stored: people read
 * displayTable/displayColumn, the database gets quoteIdent/qualify.
 */
export const tableKey = (t: TableRef): string => `${t.schema}\u0000${t.name}`;
export const columnKey = (t: TableRef, column: string): string => `${t.schema}\u0000${t.name}\u0000${column}`;
/** Code-point order, the same on every machine (localeCompare depends on the locale): plans are byte-stable. */
export const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
export const sameTable = (a: TableRef, b: TableRef): boolean => a.schema === b.schema && a.name === b.name;
/** The table a foreign key references, as a structured value. */
export const referencedTable = (fk: { refSchema: string; refTable: string }): TableRef => ({
  schema: fk.refSchema,
  name: fk.refTable,
});

const INTEGER_TYPES = new Set([
  'smallint',
  'integer',
  'bigint',
  'smallserial',
  'serial',
  'bigserial',
  'int2',
  'int4',
  'int8',
]);

export const isIntegerType = (type: string): boolean => INTEGER_TYPES.has(type.toLowerCase());
export const isUuidType = (type: string): boolean => type.toLowerCase() === 'uuid';

/** `"schema"."table"` written for people, without quoting noise when it is not needed. */
export function displayTable(t: TableRef): string {
  const part = (s: string) => (/^[a-z_][a-z0-9_]*$/.test(s) ? s : `"${s.replaceAll('"', '""')}"`);
  return `${part(t.schema)}.${part(t.name)}`;
}

export function displayColumn(t: TableRef, column: string | string[]): string {
  const part = (s: string) => (/^[a-z_][a-z0-9_]*$/.test(s) ? s : `"${s.replaceAll('"', '""')}"`);
  const cols = Array.isArray(column) ? column : [column];
  return cols.length === 1
    ? `${displayTable(t)}.${part(cols[0]!)}`
    : `${displayTable(t)}(${cols.map(part).join(', ')})`;
}

/** Whether the columns are the table's primary key or one of its unique constraints or indexes. */
export function isKey(table: TableModel, columns: string[]): boolean {
  const same = (key: string[]) => key.length === columns.length && key.every((c) => columns.includes(c));
  return (
    (table.primaryKey !== null && same(table.primaryKey.columns)) ||
    table.uniques.some((u) => same(u.columns)) ||
    table.indexes.some((i) => i.unique && i.predicate === null && same(i.columns))
  );
}
