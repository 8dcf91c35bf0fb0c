import { qualify, qualifyTable, quoteIdent } from '../db/quote.js';
import { type TableModel, tableKey } from '../model/types.js';
import type { ComponentChanges } from '../planner/component-changes.js';
import type { Plan } from '../planner/plan-schema.js';
import { type KeyState, legacyValues } from './legacy-values.js';

type Reference = Plan['references'][number];

/** `'a','b',NULL` as one text: exact to compare, no 100-argument limit. */
const tuple = (exprs: string[]): string => exprs.map((e) => `quote_nullable(${e})`).join(` || ',' || `);

/**
 * One scan of the child: its row count, its orphans, and the relationship fingerprint of
 * docs/architecture.md section 7: an order-independent sum of 64-bit hashes of (row identity, the
 * parent's legacy integer). Equal before and after means every row still points at the same parent.
 */
export function referenceCheckSql(
  ref: Reference,
  child: TableModel,
  changes: ComponentChanges,
  state: KeyState,
  /** Only the rows this condition keeps (alias `c`): those that existed at an earlier check. */
  where: string | null = null,
): string {
  const values = legacyValues(child, state, changes);
  const identityColumns = child.primaryKey?.columns ?? child.columns.map((c) => c.name);
  const identity = tuple(identityColumns.map((c) => values.columns.get(c)!));
  const parent = tuple(ref.columns.map((c) => values.columns.get(c)!));
  return `SELECT count(*) AS rows,
  count(*) FILTER (WHERE ${orphanCondition(ref, changes, state)}) AS orphans,
  coalesce(sum(hashtextextended(${identity} || '|' || ${parent}, 0)::numeric), 0) AS fingerprint
FROM ${qualify(child.schema, child.name)} AS c ${values.joins.join(' ')}${where ? ` WHERE ${where}` : ''}`;
}

/**
 * A row is an orphan when every column of its reference is set and no parent matches (MATCH SIMPLE),
 * or, after an `--orphans null|keep` migration, when its old value was set aside in `<col>_legacy`:
 * the same rows are orphans before and after.
 */
function orphanCondition(ref: Reference, changes: ComponentChanges, state: KeyState): string {
  const allSet = ref.columns.map((c) => `c.${quoteIdent(c)} IS NOT NULL`).join(' AND ');
  const parentColumns = state === 'integer' ? ref.joinColumns : ref.parentColumns;
  const match = ref.columns.map((c, i) => `o.${quoteIdent(parentColumns[i]!)} = c.${quoteIdent(c)}`).join(' AND ');
  const parent = `SELECT 1 FROM ${qualify(ref.parent.schema, ref.parent.name)} AS o WHERE ${match}`;
  const noParent = `(${allSet} AND NOT EXISTS (${parent}))`;
  if (state === 'integer') return noParent;
  const setAside = changes.changes
    .filter(
      (ch) =>
        tableKey(ch.table) === tableKey(ref.child) && ref.convertColumns.includes(ch.column.name) && ch.orphanColumn,
    )
    .map((ch) => `c.${quoteIdent(ch.orphanColumn!)} IS NOT NULL`);
  return [noParent, ...setAside].join(' OR ');
}

/**
 * A table's rows, and, for a table whose key converts, its largest key: rows above it were written
 * after this check (a sequence, or the sequence apply gave an application-supplied key), which lets a
 * rollback tell rows inserted since apply from rows deleted.
 */
export const tableCountSql = (table: TableModel, key: string | null = null): string =>
  `SELECT count(*) AS rows${key ? `, max(${quoteIdent(key)})::text AS max_key` : ''} FROM ${qualifyTable(table)}`;
