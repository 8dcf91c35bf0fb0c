import { loadModule, parseSync } from 'libpg-query';
import { deparseSync } from 'pgsql-deparser';

/**
 * The online build makes, beside each index and check on a converting column, the same object on
 * the shadow columns, while the application keeps writing. PostgreSQL prints those objects as text;
 * rewriting column names inside text by pattern would miss a quoted name or hit a string literal, so
 * the text goes through PostgreSQL's own parser (libpg-query), the column references are renamed in
 * the tree, and the deparser prints it back.
 */

let loaded: Promise<void> | null = null;

/** The parser is WebAssembly, loaded once before planning (the planner itself stays synchronous). */
export function loadSqlParser(): Promise<void> {
  loaded ??= loadModule();
  return loaded;
}

type Tree = Record<string, unknown>;

/** Rename every column reference and index element named in `columns` (old name → new name). */
function renameColumns(node: unknown, columns: ReadonlyMap<string, string>): void {
  if (Array.isArray(node)) {
    for (const item of node) renameColumns(item, columns);
    return;
  }
  if (!node || typeof node !== 'object') return;
  const tree = node as Tree;
  const ref = tree.ColumnRef as { fields?: { String?: { sval: string } }[] } | undefined;
  const last = ref?.fields?.at(-1)?.String;
  if (last && columns.has(last.sval)) last.sval = columns.get(last.sval)!;
  const element = tree.IndexElem as { name?: string } | undefined;
  if (element?.name && columns.has(element.name)) element.name = columns.get(element.name)!;
  for (const value of Object.values(tree)) renameColumns(value, columns);
}

function statementOf(sql: string): Tree {
  const parsed = parseSync(sql) as { stmts: { stmt: Tree }[] };
  if (parsed.stmts.length !== 1) throw new Error(`expected one statement: ${sql}`);
  return parsed.stmts[0]!.stmt;
}

/**
 * `CREATE INDEX` as PostgreSQL printed it, made again on the shadow columns: under a new name,
 * CONCURRENTLY and IF NOT EXISTS (a resumed build keeps an index that was finished), and on the
 * whole table (`ON ONLY` is how a partitioned table's own index prints).
 */
export function indexOnShadows(definition: string, name: string, columns: ReadonlyMap<string, string>): string {
  const stmt = statementOf(definition);
  const index = stmt.IndexStmt as (Tree & { relation: Tree }) | undefined;
  if (!index) throw new Error(`not a CREATE INDEX statement: ${definition}`);
  renameColumns(index, columns);
  index.idxname = name;
  index.concurrent = true;
  index.if_not_exists = true;
  index.relation.inh = true;
  return oneLine(deparseSync({ version: 0, stmts: [{ stmt }] } as never));
}

/** A boolean expression (a CHECK's, a policy's) with its column references renamed. */
export function expressionOnShadows(expression: string, columns: ReadonlyMap<string, string>): string {
  const stmt = statementOf(`SELECT ${expression}`);
  renameColumns(stmt, columns);
  const printed = oneLine(deparseSync({ version: 0, stmts: [{ stmt }] } as never));
  return printed.replace(/^SELECT\s+/i, '');
}

/** The deparser pretty-prints; a step's SQL reads better on one line. */
const oneLine = (sql: string): string => sql.replace(/\s*\n\s*/g, ' ').trim();

/** An index definition without its name and table: two partitions' copies of one index compare equal. */
export function indexShape(definition: string): string {
  const stmt = statementOf(definition);
  const index = { ...(stmt.IndexStmt as Tree) };
  delete index.idxname;
  delete index.relation;
  return JSON.stringify(index, (key, value) => (key === 'location' ? undefined : value));
}
