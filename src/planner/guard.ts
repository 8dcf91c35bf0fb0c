import { quoteIdent, quoteLiteral } from '../db/quote.js';
import { displayColumn, type TableModel } from '../model/types.js';
import type { ColumnChange } from './component-changes.js';
import { doBlock } from './sql-text.js';

/** A row whose reference was set but found no parent uuid, and was not set aside as an orphan. */
function lostCondition(change: ColumnChange): string {
  const allSet = change.fillFrom!.columns.map((col) => `${quoteIdent(col)} IS NOT NULL`);
  const setAside = change.orphanColumn ? [`${quoteIdent(change.orphanColumn)} IS NULL`] : [];
  return [...allSet, `${quoteIdent(change.shadow)} IS NULL`, ...setAside].join(' AND ');
}

/**
 * A row whose `column` is set while another of its composite reference's `columns` is NULL: MATCH
 * SIMPLE checks no parent for it, and the uuid is found through the whole reference, so it would find
 * none (plan refuses such rows, preflight/partial-references.ts; a guard catches one written since).
 * Null when it cannot happen: a single column, or every other column NOT NULL in `table`. `prefix`
 * qualifies the columns (`c.`).
 */
export function partlySetColumn(columns: string[], column: string, table: TableModel, prefix = ''): string | null {
  const others = columns.filter((col) => col !== column && !table.columns.find((c) => c.name === col)?.notNull);
  if (!others.length) return null;
  const nulls = others.map((col) => `${prefix}${quoteIdent(col)} IS NULL`).join(' OR ');
  return `${prefix}${quoteIdent(column)} IS NOT NULL AND (${nulls})`;
}

/** partlySetColumn for a converting reference column, of the reference it is filled from. */
export const partlySet = (change: ColumnChange, table: TableModel, prefix = ''): string | null =>
  partlySetColumn(change.fillFrom!.columns, change.column.name, table, prefix);

const MESSAGE = `'uuidmig: % row(s) of % have no parent; nothing was changed'`;
const PARTLY =
  `'uuidmig: % row(s) of % are set while another column of their reference is NULL (MATCH SIMPLE checks ` +
  `no parent for them, and their uuid is found through the whole reference); nothing was changed'`;

/** What a guard's refusal (MESSAGE, PARTLY, as PostgreSQL reports it) says between its prefix and end; else null. */
export const guardSaid = (message: string): string | null =>
  /^uuidmig: (.*?); nothing was changed$/s.exec(message)?.[1] ?? null;

/**
 * One scan of `from` (a table, or its temporary copy) that stops the transaction if any reference
 * column lost its parent (a row written since the plan): `lost` says, for each column, which rows of
 * `from` lost it, and `partly` which rows are set with their reference partly NULL (none by default).
 * The column's name is a RAISE argument, never part of the format string, where a `%` in it would be
 * read as a placeholder. The count runs through EXECUTE: PL/pgSQL's own `SELECT ... INTO` asks for
 * one row, which keeps PostgreSQL from planning parallel workers (about 1.5x slower on a table of
 * millions of rows); a dynamic query is run to its end and may use them.
 */
export function lostParentGuard(
  from: string,
  changes: ColumnChange[],
  lost: (change: ColumnChange) => string = lostCondition,
  partly: (change: ColumnChange) => string | null = () => null,
): string {
  const tests = changes.flatMap((ch) => {
    const column = quoteLiteral(displayColumn(ch.table, ch.column.name));
    const partial = partly(ch);
    return [
      { condition: lost(ch), message: MESSAGE, column },
      ...(partial ? [{ condition: partial, message: PARTLY, column }] : []),
    ];
  });
  const counts = tests.map((t) => `count(*) FILTER (WHERE ${t.condition})`);
  const checks = tests.map((t, i) => {
    const n = `lost[${i + 1}]`;
    return `IF ${n} > 0 THEN RAISE EXCEPTION ${t.message}, ${n}, ${t.column}; END IF;`;
  });
  const count = `EXECUTE ${quoteLiteral(`SELECT ARRAY[${counts.join(', ')}] FROM ${from}`)} INTO lost;`;
  return doBlock(`DECLARE lost bigint[]; BEGIN ${count} ${checks.join(' ')} END`);
}
