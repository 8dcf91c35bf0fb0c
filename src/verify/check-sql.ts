import { qualify, qualifyTable, quoteIdent, quoteLiteral } from '../db/quote.js';
import { isKey, sameTable, type TableModel, tableKey } from '../model/types.js';
import type { ComponentChanges } from '../planner/component-changes.js';
import type { Plan } from '../planner/plan-schema.js';
import { type KeyState, type LegacyValues, legacyValues } from './legacy-values.js';

type Reference = Plan['references'][number];

/** `'a','b',NULL` as one text: exact to compare, no 100-argument limit. */
const tuple = (exprs: string[]): string => exprs.map((e) => `quote_nullable(${e})`).join(` || ',' || `);

/**
 * Which fingerprint a check computes. 1: the hash of the values as quoted text (uuidmig before
 * 2026-11-30), kept to compare with baselines it recorded. 2: integers hashed as integers
 * (hashint8extended, chained through the seed), about twice as fast; text as in 1 where a column of the
 * row's identity or reference is not an integer. uuidmig.checks holds fingerprints as numeric: a
 * formula-2 sum carries the fraction `.2`, which no formula-1 sum (an integer) has.
 */
export type FingerprintFormula = 1 | 2;
const FINGERPRINT_V2 = '.2';

/** The formula recorded checks were taken with, which the checks compared with them must use. */
export const formulaOf = (rows: { kind: string; fingerprint: string | null }[]): FingerprintFormula =>
  rows.some((r) => r.kind === 'reference' && r.fingerprint !== null && !r.fingerprint.endsWith(FINGERPRINT_V2)) ? 1 : 2;

/** Every column of the reference is set (MATCH SIMPLE: only then does it need a parent). */
const allSetOf = (ref: Reference) => ref.columns.map((c) => `c.${quoteIdent(c)} IS NOT NULL`).join(' AND ');

const INTEGER_TYPES = new Set(['smallint', 'integer', 'bigint']);

/**
 * One 64-bit hash of several integers, in order: each hashed with the previous hash as its seed, a NULL
 * as 0 with the seed's lowest bit flipped, so NULL and 0 differ. Linear in the columns.
 */
const integerHash = (values: string[]): string =>
  values.reduce(
    (seed, v) => `hashint8extended(coalesce((${v})::int8, 0), (${seed}) # ((${v}) IS NULL)::int::int8)`,
    '0::int8',
  );

/**
 * One scan of the child: its row count, its orphans, and the relationship fingerprint of
 * docs/architecture.md section 7: an order-independent sum of 64-bit hashes of (row identity, the
 * parent's legacy integer). Equal before and after means every row still points at the same parent.
 * The orphans come from a hash join onto the parent (a NOT EXISTS inside the aggregate's FILTER would
 * probe the parent's index once per row, about four times the cost), and the hashes are summed as
 * integers (exactly the same sum as through numeric, without numeric's arithmetic per row).
 */
export function referenceCheckSql(
  ref: Reference,
  child: TableModel,
  changes: ComponentChanges,
  state: KeyState,
  /** Only the rows this condition keeps (alias `c`): those that existed at an earlier check. */
  where: string | null = null,
  formula: FingerprintFormula = 2,
): string {
  return referencesCheckSql([ref], child, changes, state, where, formula);
}

/**
 * The checks of several references of one child in one scan, sharing the joins that read the legacy
 * integers (a child whose key is two references, like a junction table, needs both parents for each
 * fingerprint): `rows`, then `orphans_<i>` and `fingerprint_<i>` per reference, in order.
 */
export function referencesCheckSql(
  refs: Reference[],
  child: TableModel,
  changes: ComponentChanges,
  state: KeyState,
  where: string | null = null,
  formula: FingerprintFormula = 2,
  /** The table's key column: its largest value too, as tableCountSql gives it (the count is `rows`). */
  maxKey: string | null = null,
): string {
  const values = legacyValues(child, state, changes);
  const joins = [...values.joins];
  const outputs = refs.map((ref, i) => {
    const orphans = orphanJoin(ref, changes, state, values, `o${i}`);
    if (orphans.join) joins.push(orphans.join);
    return outputsOf(ref, child, values.columns, orphans.condition, formula, refs.length === 1 ? '' : `_${i}`);
  });
  const max = maxKey ? `max(c.${quoteIdent(maxKey)})::text AS max_key,\n  ` : '';
  return `SELECT count(*) AS rows,
  ${max}${outputs.join(',\n  ')}
FROM ${qualify(child.schema, child.name)} AS c ${joins.join(' ')}${where ? ` WHERE ${where}` : ''}`;
}

/**
 * The same checks, before the migration, read from the rewrite stage's temporary copy of the child
 * (`copy`: every column as the table held it, and each converting column's new uuid under its shadow
 * name, found through the parent): what the table would give in the integer state, from the scan that
 * made the copy. A row is an orphan when its reference is set and found no parent, so no new uuid.
 */
export function copyCheckSql(
  refs: Reference[],
  child: TableModel,
  changes: ComponentChanges,
  copy: string,
  formula: FingerprintFormula,
): string {
  const columns = new Map(child.columns.map((c) => [c.name, `c.${quoteIdent(c.name)}`]));
  const outputs = refs.map((ref, i) => {
    const allSet = allSetOf(ref);
    const converting = changes.changes.find(
      (ch) => sameTable(ch.table, ref.child) && ref.convertColumns.includes(ch.column.name),
    )!;
    const orphan = `(${allSet} AND c.${quoteIdent(converting.shadow)} IS NULL)`;
    return outputsOf(ref, child, columns, orphan, formula, refs.length === 1 ? '' : `_${i}`);
  });
  return `SELECT count(*) AS rows,
  ${outputs.join(',\n  ')}
FROM ${quoteIdent(copy)} AS c`;
}

/** A reference's orphans and fingerprint, given each column's integer value and the orphan condition. */
function outputsOf(
  ref: Reference,
  child: TableModel,
  values: Map<string, string>,
  orphan: string,
  formula: FingerprintFormula,
  suffix: string,
): string {
  const identityColumns = child.primaryKey?.columns ?? child.columns.map((c) => c.name);
  const columns = [...identityColumns, ...ref.columns];
  const integers = columns.every((name) => INTEGER_TYPES.has(child.columns.find((c) => c.name === name)?.type ?? ''));
  const hash =
    formula === 2 && integers
      ? integerHash(columns.map((c) => values.get(c)!))
      : `hashtextextended(${tuple(identityColumns.map((c) => values.get(c)!))} || '|' || ${tuple(
          ref.columns.map((c) => values.get(c)!),
        )}, 0)`;
  const sum = `coalesce(sum(${hash}), 0)`;
  const fingerprint = formula === 2 ? `${sum}::text || ${quoteLiteral(FINGERPRINT_V2)}` : sum;
  return `count(*) FILTER (WHERE ${orphan}) AS orphans${suffix},\n  ${fingerprint} AS fingerprint${suffix}`;
}

/**
 * A row is an orphan when every column of its reference is set and no parent matches (MATCH SIMPLE),
 * or, after an `--orphans null|keep` migration, when its old value was set aside in `<col>_legacy`:
 * the same rows are orphans before and after. The parent joins as `own`: the table itself when the
 * columns it matches are one of its keys (a row meets at most one parent), else their distinct values.
 */
function orphanJoin(
  ref: Reference,
  changes: ComponentChanges,
  state: KeyState,
  values: LegacyValues,
  own: string,
): { join: string; condition: string } {
  const allSet = allSetOf(ref);
  const parentColumns = state === 'integer' ? ref.joinColumns : ref.parentColumns;
  const table = qualify(ref.parent.schema, ref.parent.name);
  const parentModel = changes.tables.find((t) => tableKey(t) === tableKey(ref.parent));
  const unique = parentModel !== undefined && isKey(parentModel, parentColumns);
  const pairs = ref.columns.map((c, i): [string, string] => [parentColumns[i]!, c]);
  // On uuid keys the legacy values already join this parent on the same columns: that join tells too.
  const same = values.parentJoins.find(
    (j) => sameTable(j.parent, ref.parent) && JSON.stringify(j.on) === JSON.stringify(pairs),
  );
  const alias = unique && same ? same.alias : own;
  const source = unique ? table : `(SELECT DISTINCT ${parentColumns.map(quoteIdent).join(', ')} FROM ${table})`;
  const match = pairs.map(([p, c]) => `${own}.${quoteIdent(p)} = c.${quoteIdent(c)}`).join(' AND ');
  const join = alias === own ? `LEFT JOIN ${source} AS ${own} ON ${match}` : '';
  const noParent = `(${allSet} AND ${alias}.${quoteIdent(parentColumns[0]!)} IS NULL)`;
  if (state === 'integer') return { join, condition: noParent };
  const setAside = changes.changes
    .filter(
      (ch) =>
        tableKey(ch.table) === tableKey(ref.child) && ref.convertColumns.includes(ch.column.name) && ch.orphanColumn,
    )
    .map((ch) => `c.${quoteIdent(ch.orphanColumn!)} IS NOT NULL`);
  return { join, condition: [noParent, ...setAside].join(' OR ') };
}

/**
 * A table's rows, and, for a table whose key converts, its largest key: rows above it were written
 * after this check (a sequence, or the sequence apply gave an application-supplied key), which lets a
 * rollback tell rows inserted since apply from rows deleted.
 */
export const tableCountSql = (table: TableModel, key: string | null = null): string =>
  `SELECT count(*) AS rows${key ? `, max(${quoteIdent(key)})::text AS max_key` : ''} FROM ${qualifyTable(table)}`;
