import type { CallExpression, Node, ObjectLiteralExpression, PropertyAssignment, SourceFile } from 'ts-morph';

/** A `pgTable('name', { ... })` (or `schema.table(...)`) call of a schema file, with its columns. */
export interface TableInfo {
  file: SourceFile;
  call: CallExpression;
  schema: string;
  /** The table's SQL name; undefined when it is not a string literal (a table built by a helper). */
  name: string | undefined;
  columns: ColumnInfo[];
  /** The object literal that holds the columns (where a legacy column is added). */
  columnsObject: ObjectLiteralExpression;
  /** The third argument, `(t) => [...]`: indexes, foreign keys, composite keys. */
  extraConfig: Node | undefined;
  /** Column lists of `primaryKey({ columns: [...] })` in the extra config. */
  primaryKeys: ColumnInfo[][];
}

/** One link of a column's builder chain: `.primaryKey()`, `.references(() => users.id)`, ... */
export interface ChainLink {
  name: string;
  call: CallExpression;
}

export interface ColumnInfo {
  table: TableInfo;
  property: PropertyAssignment;
  /** The property name (`authorId`): how `t.authorId` and `posts.authorId` reach the column. */
  prop: string;
  /** The SQL name: the builder's first argument, else the property name. */
  sqlName: string;
  /** The drizzle-orm/pg-core function that builds it: `serial`, `integer`, `uuid`, ... */
  builder: string;
  /** The builder call, `serial('id')`, and the node that names the function (an identifier or `t.serial`'s name). */
  builderCall: CallExpression;
  builderName: Node;
  /** The builder is called bare (`serial(...)`, an import of this file) rather than as `t.serial` or `pg.serial`. */
  bare: boolean;
  /** The chain after the builder call, innermost first. */
  links: ChainLink[];
}

/** A reference from child columns to parent columns, pairwise, with where it was declared. */
export interface Reference {
  pairs: { child: ColumnInfo; parent: ColumnInfo }[];
  /** `option`: `--reference`, declared nowhere in the files. */
  source: 'references' | 'foreignKey' | 'relations' | 'option';
}

/** An `.op('int4_ops')` on a column of an index. */
export interface OpclassSite {
  column: ColumnInfo;
  literal: Node;
  opclass: string;
}

export const INTEGER_BUILDERS = new Set([
  'serial',
  'bigserial',
  'smallserial',
  'integer',
  'int4',
  'bigint',
  'int8',
  'smallint',
]);

export const isInteger = (column: ColumnInfo): boolean => INTEGER_BUILDERS.has(column.builder);

/** How a table and a column read in a message: `public.users`, `public.users.id`. */
export const tableLabel = (table: TableInfo): string => `${table.schema}.${table.name ?? '<unnamed table>'}`;
export const columnLabel = (column: ColumnInfo): string => `${tableLabel(column.table)}.${column.sqlName}`;
