import { qualifyTable, quoteIdent, quoteLiteral } from '../../db/quote.js';
import type { TableModel } from '../../model/types.js';
import type { ComponentChanges } from '../component-changes.js';
import { clauses } from '../sql-text.js';
import { type StepDraft, step } from '../step.js';
import { planWalks } from './online-walks.js';

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
 * from the next batch). Each table is walked once where it can be (planWalks): its keys get a fresh
 * uuid where none is set yet and its references their parents' shadows, parents walked first. Rows written
 * since the expand got theirs from the sync triggers and defaults; the walk rewrites them with the same.
 */
export function planOnlineBackfill(
  c: ComponentChanges,
  batchSize = DEFAULT_BATCH_SIZE,
  fireTriggers = false,
): StepDraft[] {
  const quiet = (table: TableModel) =>
    !fireTriggers && ((table.triggers ?? []).length > 0 || (table.rules ?? []).length > 0);
  return planWalks(c).map(({ table, keys, fills }) => {
    // A key keeps a uuid already given (by the default, to a row written since the expand).
    const alone = keys.length === 1 && !fills.length;
    const given = keys.map((change) => {
      const shadow = quoteIdent(change.shadow);
      return alone ? `${shadow} = gen_random_uuid()` : `${shadow} = coalesce(c.${shadow}, gen_random_uuid())`;
    });
    const filled = fills.flatMap(({ change, parent, source, match }) => {
      const uuid = `(SELECT p.${quoteIdent(source)} FROM ${parent} AS p WHERE ${match})`;
      const own = `${quoteIdent(change.shadow)} = ${uuid}`;
      if (!change.orphanColumn) return [own];
      const allSet = change.fillFrom!.columns.map((col) => `c.${quoteIdent(col)} IS NOT NULL`).join(' AND ');
      const kept = `CASE WHEN ${allSet} AND ${uuid} IS NULL THEN c.${quoteIdent(change.column.name)} END`;
      return [own, `${quoteIdent(change.orphanColumn)} = ${kept}`];
    });
    const columns = fills.map(({ change }) => change.column.name).join(', ');
    const what = [
      ...(keys.length ? [`give every ${table.name} row written before the expand its uuid`] : []),
      ...(fills.length ? [`fill ${table.name}.${columns} with the uuids of their parents`] : []),
    ];
    // A walk that only gives keys skips the rows that have theirs; one that fills references rewrites
    // every row (a row written since the expand gets the same values again).
    const where = fills.length ? 'TRUE' : keys.map((k) => `c.${quoteIdent(k.shadow)} IS NULL`).join(' OR ');
    return batched(
      table,
      what.join(', and '),
      `UPDATE ${qualifyTable(table)} AS c SET ${[...given, ...filled].join(', ')}`,
      keys.length > 1 && !fills.length ? `(${where})` : where,
      batchSize,
      quiet(table),
    );
  });
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
