import { quoteIdent, quoteLiteral } from '../db/quote.js';
import { displayColumn } from '../model/types.js';
import type { ColumnChange } from './component-changes.js';
import { doBlock } from './sql-text.js';

/** A row whose reference was set but found no parent uuid, and was not set aside as an orphan. */
function lostCondition(change: ColumnChange): string {
  const allSet = change.fillFrom!.columns.map((col) => `${quoteIdent(col)} IS NOT NULL`);
  const setAside = change.orphanColumn ? [`${quoteIdent(change.orphanColumn)} IS NULL`] : [];
  return [...allSet, `${quoteIdent(change.shadow)} IS NULL`, ...setAside].join(' AND ');
}

const MESSAGE = `'uuidmig: % row(s) of % have no parent; nothing was changed'`;

/**
 * One scan of `from` (a table, or its temporary copy) that stops the transaction if any reference
 * column lost its parent (a row written since the plan): `lost` says, for each column, which rows of
 * `from` lost it. The column's name is a RAISE argument, never part of the format string, where a `%`
 * in it would be read as a placeholder. The count runs through EXECUTE: PL/pgSQL's own `SELECT ...
 * INTO` asks for one row, which keeps PostgreSQL from planning parallel workers (about 1.5x slower on
 * a table of millions of rows); a dynamic query is run to its end and may use them.
 */
export function lostParentGuard(
  from: string,
  changes: ColumnChange[],
  lost: (change: ColumnChange) => string = lostCondition,
): string {
  const counts = changes.map((ch) => `count(*) FILTER (WHERE ${lost(ch)})`);
  const checks = changes.map((ch, i) => {
    const column = quoteLiteral(displayColumn(ch.table, ch.column.name));
    const lost = `lost[${i + 1}]`;
    return `IF ${lost} > 0 THEN RAISE EXCEPTION ${MESSAGE}, ${lost}, ${column}; END IF;`;
  });
  const count = `EXECUTE ${quoteLiteral(`SELECT ARRAY[${counts.join(', ')}] FROM ${from}`)} INTO lost;`;
  return doBlock(`DECLARE lost bigint[]; BEGIN ${count} ${checks.join(' ')} END`);
}
