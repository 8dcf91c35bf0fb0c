/**
 * The one place identifiers and literals become SQL text. Everything the planner and the catalog
 * readers emit goes through these functions, so hostile names ("Post Reactions", names with dots,
 * quotes or 63 bytes) cannot break or inject into a statement.
 */

/** PostgreSQL truncates identifiers to NAMEDATALEN - 1 bytes. */
export const MAX_IDENTIFIER_BYTES = 63;

export function quoteIdent(name: string): string {
  if (name.length === 0) throw new Error('an SQL identifier cannot be empty');
  if (name.includes('\0')) throw new Error('an SQL identifier cannot contain a NUL byte');
  return `"${name.replaceAll('"', '""')}"`;
}

/** `"schema"."table"`: never a dotted string split later, always two quoted parts. */
export function qualify(schema: string, name: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(name)}`;
}

/** A table (or view) as `"schema"."name"`. */
export const qualifyTable = (t: { schema: string; name: string }): string => qualify(t.schema, t.name);

export function quoteLiteral(value: string): string {
  if (value.includes('\0')) throw new Error('an SQL literal cannot contain a NUL byte');
  // standard_conforming_strings is on in every supported server; backslashes are plain characters.
  return `'${value.replaceAll("'", "''")}'`;
}

export function identifierBytes(name: string): number {
  return Buffer.byteLength(name, 'utf8');
}
