import { qualifyTable, quoteIdent, quoteLiteral } from '../../db/quote.js';
import { type TableModel, tableKey } from '../../model/types.js';
import { type Fill, fills } from '../backfill-stage.js';
import type { ComponentChanges } from '../component-changes.js';
import { clauses } from '../sql-text.js';
import { type StepDraft, step } from '../step.js';

export const DEFAULT_BATCH_SIZE = 5000;

/** The columns a table is walked by, batch after batch: its primary key (one column or several). */
export function batchKey(table: TableModel): { name: string; type: string }[] | null {
  const columns = (table.primaryKey?.columns ?? []).map((name) => table.columns.find((c) => c.name === name));
  if (!columns.length || columns.some((c) => !c)) return null;
  return columns.map((c) => ({ name: c!.name, type: c!.type }));
}

/**
 * The online backfill: every row written before the expand gets its shadows, in keyset batches over
 * each table's key, each batch a short transaction of its own (journaled, so a resumed run goes on
 * from the next batch): keys first (a fresh uuid where none is set yet), then each table's references
 * from their parents' shadows in one walk, parents' fills before the fills that read them. Rows written
 * since the expand got theirs from the sync triggers and defaults; the walk rewrites them with the same.
 */
export function planOnlineBackfill(
  c: ComponentChanges,
  batchSize = DEFAULT_BATCH_SIZE,
  fireTriggers = false,
): StepDraft[] {
  const quiet = (table: TableModel) =>
    !fireTriggers && ((table.triggers ?? []).length > 0 || (table.rules ?? []).length > 0);
  const keys = c.changes
    .filter((ch) => ch.role === 'key')
    .map((change) => {
      const shadow = quoteIdent(change.shadow);
      return batched(
        change.table,
        `give every ${change.table.name} row written before the expand its uuid`,
        `UPDATE ${qualifyTable(change.table)} AS c SET ${shadow} = gen_random_uuid()`,
        `c.${shadow} IS NULL`,
        batchSize,
        quiet(change.table),
      );
    });
  // One walk per table fills all its references (and their orphans' old values): each row is
  // rewritten once, not once per reference.
  const groups = new Map<string, Fill[]>();
  for (const fill of fills(c)) {
    const key = tableKey(fill.change.table);
    groups.set(key, [...(groups.get(key) ?? []), fill]);
  }
  const references = [...groups.values()].map((group) => {
    const table = group[0]!.change.table;
    const sets = group.flatMap(({ change, parent, source, match }) => {
      const uuid = `(SELECT p.${quoteIdent(source)} FROM ${parent} AS p WHERE ${match})`;
      const own = `${quoteIdent(change.shadow)} = ${uuid}`;
      if (!change.orphanColumn) return [own];
      const allSet = change.fillFrom!.columns.map((col) => `c.${quoteIdent(col)} IS NOT NULL`).join(' AND ');
      const kept = `CASE WHEN ${allSet} AND ${uuid} IS NULL THEN c.${quoteIdent(change.column.name)} END`;
      return [own, `${quoteIdent(change.orphanColumn)} = ${kept}`];
    });
    const columns = group.map(({ change }) => change.column.name).join(', ');
    return batched(
      table,
      `fill ${table.name}.${columns} with the uuids of their parents`,
      `UPDATE ${qualifyTable(table)} AS c SET ${sets.join(', ')}`,
      'TRUE',
      batchSize,
      quiet(table),
    );
  });
  return [...keys, ...references];
}

/**
 * A batched UPDATE: `$1 < key <= $2` (a row comparison when the key has several columns), the bounds
 * found by walking the key `size` rows at a time up to the last key when the step began. A bound
 * travels as a JSON array of the key's values.
 */
function batched(
  table: TableModel,
  description: string,
  update: string,
  where: string,
  size: number,
  quiet: boolean,
): StepDraft {
  const key = batchKey(table);
  if (!key) return pageBatched(table, description, update, where, size, quiet);
  const row = (parts: string[]) => (parts.length === 1 ? parts[0]! : `(${parts.join(', ')})`);
  const columns = key.map((k) => `c.${quoteIdent(k.name)}`);
  const bound = (param: string) => row(key.map((k, i) => `(${param}::text::json ->> ${i})::${k.type}`));
  const from = `(${'$1'}::text IS NULL OR ${row(columns)} > ${bound('$1')})`;
  const aliases = key.map((_, i) => `k${i}`);
  return {
    ...step(
      'fill',
      `${description}, ${size} rows at a time`,
      clauses(update, `WHERE ${from}`, `AND ${row(columns)} <= ${bound('$2')} AND ${where}`),
      'ROW EXCLUSIVE',
      table,
    ),
    batch: {
      next: clauses(
        `SELECT json_build_array(${aliases.join(', ')})::text AS bound`,
        `FROM (SELECT ${columns.map((c, i) => `${c} AS ${aliases[i]}`).join(', ')} FROM ${qualifyTable(table)} AS c`,
        `WHERE ${from} AND ${row(columns)} <= ${bound('$3')} ORDER BY ${columns.join(', ')} LIMIT $2) AS b`,
        `ORDER BY ${aliases.map((a) => `${a} DESC`).join(', ')} LIMIT 1`,
      ),
      last: clauses(
        `SELECT json_build_array(${columns.join(', ')})::text AS bound FROM ${qualifyTable(table)} AS c`,
        `ORDER BY ${columns.map((c) => `${c} DESC`).join(', ')} LIMIT 1`,
      ),
      size,
      ...(quiet ? { quiet } : {}),
    },
  };
}

/** Rows a heap page holds, about: a table without a key is walked a number of pages at a time. */
const ROWS_PER_PAGE = 100;

/**
 * A table without a primary key is walked by its pages (`ctid` ranges, a TID range scan): `$1 < page
 * <= $2`, up to the last page when the step began. A row an UPDATE moves behind the walk gets its
 * shadow from the sync trigger, which on such a table fires on every UPDATE, not only of the reference.
 */
function pageBatched(
  table: TableModel,
  description: string,
  update: string,
  where: string,
  size: number,
  quiet: boolean,
): StepDraft {
  const pages = Math.max(1, Math.round(size / ROWS_PER_PAGE));
  const first = `coalesce($1::text::bigint, -1) + 1`;
  const tid = (page: string) => `('(' || (${page}) || ',0)')::tid`;
  return {
    ...step(
      'fill',
      `${description}, ${pages} pages (about ${pages * ROWS_PER_PAGE} rows) at a time (no primary key: by page)`,
      clauses(update, `WHERE c.ctid >= ${tid(first)} AND c.ctid < ${tid('$2::text::bigint + 1')} AND ${where}`),
      'ROW EXCLUSIVE',
      table,
    ),
    batch: {
      next: clauses(
        `SELECT CASE WHEN ${first} <= $3::text::bigint`,
        `THEN least(${first} + $2 - 1, $3::text::bigint)::text END AS bound`,
      ),
      last: clauses(
        `SELECT (pg_relation_size(${quoteLiteral(qualifyTable(table))}::regclass)`,
        `/ current_setting('block_size')::int - 1)::text AS bound`,
      ),
      size: pages,
      ...(quiet ? { quiet } : {}),
    },
  };
}
