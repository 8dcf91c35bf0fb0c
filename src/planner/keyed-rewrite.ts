import { qualify, qualifyTable, quoteIdent, quoteLiteral } from '../db/quote.js';
import type { ForeignKeyModel, TableModel } from '../model/types.js';
import { columnKey, isKey, tableKey } from '../model/types.js';
import type { ReferenceWork } from '../model/work.js';
import { columnAttributes, dropBound } from './bound-steps.js';
import { type ColumnChange, type ComponentChanges, rootKey, withChildren } from './component-changes.js';
import { lostParentGuard, partlySet } from './guard.js';
import { holdOff, rebuiltOf, withoutForcedRowSecurity } from './hold-off.js';
import { lockTables } from './lock-order.js';
import { addColumns, keepIntegers, keepsPosition, uuidDefault } from './retype-in-place.js';
import { bulkBound, rebuildAfterRewrite, rewrittenTables } from './rewrite-bound.js';
import { columnList, doBlock } from './sql-text.js';
import { immediateConstraints, type StepDraft, step } from './step.js';
import { swapColumn } from './swap-stage.js';

/**
 * Whether every converting reference of the component holds its parent key's own integer (directly,
 * or through references to references): then its uuid can be computed from that integer alone, as
 * the parent's is (planKeyedRewrite). A repair (the parent is uuid already, found by a join) cannot;
 * nor can a reference to a reference whose orphans are set aside (a row pointing at one would keep
 * a uuid no row holds any more): those take the copy rewrite.
 */
export const keyedFits = (c: ComponentChanges): boolean =>
  c.changes.every((ch) => {
    if (ch.role === 'key') return true;
    const ref = ch.fillFrom!;
    const parent = columnKey(ref.parent, ref.parentColumns[ref.columns.indexOf(ch.column.name)]!);
    const throughSetAside = c.changes.some(
      (x) => x.role === 'reference' && x.orphanColumn && columnKey(x.table, x.column.name) === parent,
    );
    return ref.mode === 'convert' && rootKey(ch, c) !== null && !throughSetAside;
  });

/** The stage's temporary function: a uuid from (key, integer). */
const functionOf = (stageId: string) => `uuidmig_${stageId}_uuid`;

/**
 * The offline rewrite, in one transaction per component, with each table written once, in place.
 * Every new uuid is a keyed hash of (its key, the old integer): the first 16 bytes of
 * sha256(secret || key || integer), with its version (4) and variant bytes set (112 random bits). So a
 * reference computes its parent's uuid from the integer it holds, without a map, a join or a copy, and
 * each table is rewritten by one `ALTER TABLE ... ALTER COLUMN ... TYPE uuid USING ...` that also fills
 * the columns keeping the integers (every USING reads the row as it was). The secret is 244 random
 * bits drawn by the server inside the stage and folded into a temporary function's body there: no
 * statement uuidmig sends and no plan file holds it, and it is gone with the stage, so the uuids are
 * as unguessable as random ones. (What audits the server's own nested statements, such as pgaudit or
 * pg_stat_statements with track = all, sees the function's definition; its catalog row reaches the
 * WAL.) The tables keep their identity (OID), so grants, owners, comments, sequences, identity,
 * policies and triggers stay attached, and ALTER TABLE fires no row trigger and no rule.
 *
 * Before any change, one scan per child table refuses a row whose parent is gone (written since the
 * plan), as the copy's guard did; orphans the plan sets aside (--orphans null|keep) are set aside after
 * the rewrite. Keys, indexes and foreign keys are dropped first and built once at the end.
 */
export function planKeyedRewrite(
  c: ComponentChanges,
  external: { table: TableModel; fk: ForeignKeyModel }[],
  fireTriggers: boolean,
  stageId: string,
  partitioned: Set<string>,
): StepDraft[] {
  const rewritten = rewrittenTables(c);
  const bound = bulkBound(c, rewritten, external);
  const fn = functionOf(stageId);
  const keys = c.changes.filter((ch) => ch.role === 'key').map((ch) => columnKey(ch.table, ch.column.name));
  /** The uuid a converting column gets from the integer it holds: its key's number, and the integer. */
  const uuidOf = (ch: ColumnChange) => {
    const key = ch.role === 'key' ? columnKey(ch.table, ch.column.name) : rootKey(ch, c)!;
    return `pg_temp.${quoteIdent(fn)}(${keys.indexOf(key) + 1}, ${quoteIdent(ch.column.name)})`;
  };
  const ofTable = (t: TableModel) => c.changes.filter((ch) => tableKey(ch.table) === tableKey(t));
  const inPlace = c.changes.filter(keepsPosition);
  const body = [
    ...rewritten.flatMap((t) => guard(t, ofTable(t), c.tables)),
    ...dropBound(bound, bound.externalForeignKeys),
    ...c.changes.flatMap(addColumns),
    ...inPlace.flatMap((ch) => keepIntegers(ch, 'filled')),
    ...rewritten.map((t) =>
      step(
        'fill',
        `rewrite ${t.name} once: every uuid computed from its integer, the integers kept beside`,
        `ALTER TABLE ${qualifyTable(t)} ${ofTable(t)
          .flatMap((ch) => retypeClauses(ch, uuidOf(ch)))
          .join(', ')}`,
        'ACCESS EXCLUSIVE',
        t,
      ),
    ),
    ...c.changes.flatMap((ch) => (keepsPosition(ch) ? uuidDefault(ch) : swapColumn(ch))),
    ...c.changes.flatMap(columnAttributes),
    ...holdOff(withChildren(c), rewritten.flatMap(setOrphansAside(c)), fireTriggers, rebuiltOf(bound)),
  ];
  return [
    immediateConstraints(),
    ...lockTables(rewritten, c),
    uuidFunction(fn),
    ...withoutForcedRowSecurity(rewritten, body),
    ...rebuildAfterRewrite(c, bound, partitioned),
    step(
      'drop',
      'drop the function that made the uuids (its secret goes with it)',
      `DROP FUNCTION pg_temp.${quoteIdent(fn)}(integer, bigint)`,
      'NONE',
      null,
    ),
  ];
}

/**
 * The stage's uuid function, made by the server in a DO block, so the secret (two gen_random_uuid()'s
 * 122 random bits each) is written into its body there, as a constant the planner folds once (a secret
 * read on every call, from a setting, doubled the rewrite's time). The hash's bytes 6 and 8 are
 * replaced whole (0x40: version 4; 0x80: the RFC variant), which leaves 112 random bits: the bytes'
 * own low bits would need the hash three times in the expression (the planner inlines the function and
 * copies its argument), and each uuid cost 0.6 µs more, a third of its time (measured on 2M rows).
 */
function uuidFunction(fn: string): StepDraft {
  const h = `substring(sha256(%L::bytea || int4send(k) || int8send(i)) FROM 1 FOR 16)`;
  const set = (bytes: string, byte: string, at: number) =>
    `overlay(${bytes} PLACING decode('${byte}', 'hex') FROM ${at})`;
  const body =
    `format(${quoteLiteral(`SELECT encode(${set(set(h, '40', 7), '80', 9)}, 'hex')::uuid`)}, ` +
    `uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid()))`;
  const create = `CREATE FUNCTION pg_temp.%I(k integer, i bigint) RETURNS uuid LANGUAGE sql IMMUTABLE AS %L`;
  return step(
    'setting',
    'a uuid from (key, integer): a keyed hash whose secret the server draws here, in no statement sent',
    doBlock(`BEGIN EXECUTE format(${quoteLiteral(create)}, ${quoteLiteral(fn)}, ${body}); END`),
    'NONE',
    null,
  );
}

/** Each reference of `changes` whose rows must find their parent (not set aside as orphans), once. */
const mustFind = (changes: ColumnChange[]): ReferenceWork[] => [
  ...new Map(
    changes.filter((ch) => ch.role === 'reference' && !ch.orphanColumn).map((ch) => [ch.fillFrom!.id, ch.fillFrom!]),
  ).values(),
];

/** A row that holds a value in every column of `ref`, as `c`. */
const allSet = (ref: ReferenceWork) => ref.columns.map((col) => `c.${quoteIdent(col)} IS NOT NULL`).join(' AND ');

/**
 * Refuse to go on if a row's reference has no parent (written since the plan; the plan's orphans are
 * set aside, or refused by plan): one scan of `t`, each parent joined on its integers (its distinct
 * values where they are not a key, so no row is counted twice).
 */
function guard(t: TableModel, changes: ColumnChange[], tables: TableModel[]): StepDraft[] {
  const refs = mustFind(changes);
  if (!refs.length) return [];
  const joins = refs.map((ref, i) => {
    const parent = qualify(ref.parent.schema, ref.parent.name);
    const model = tables.find((x) => tableKey(x) === tableKey(ref.parent));
    const source =
      model && isKey(model, ref.joinColumns)
        ? parent
        : `(SELECT DISTINCT ${columnList(ref.joinColumns)} FROM ${parent})`;
    const on = ref.columns.map((col, j) => `p${i}.${quoteIdent(ref.joinColumns[j]!)} = c.${quoteIdent(col)}`);
    return `LEFT JOIN ${source} AS p${i} ON ${on.join(' AND ')}`;
  });
  const from = [`${qualifyTable(t)} AS c`, ...joins].join(' ');
  const guarded = changes.filter((ch) => ch.role === 'reference' && !ch.orphanColumn);
  const lost = (ch: ColumnChange) => {
    const ref = ch.fillFrom!;
    const i = refs.findIndex((r) => r.id === ref.id);
    return `${allSet(ref)} AND p${i}.${quoteIdent(ref.joinColumns[0]!)} IS NULL`;
  };
  const columns = guarded.map((ch) => ch.column.name).join(', ');
  const guardSql = lostParentGuard(from, guarded, lost, (ch) => partlySet(ch, t, 'c.'));
  return [step('guard', `check every ${columns} found its parent`, guardSql, 'NONE', t)];
}

/** The rewrite's clauses for one column: where its integers go, and its uuid. */
function retypeClauses(ch: ColumnChange, uuid: string): string[] {
  const col = quoteIdent(ch.column.name);
  if (!keepsPosition(ch)) return [`ALTER COLUMN ${quoteIdent(ch.shadow)} TYPE uuid USING ${uuid}`];
  return [
    `ALTER COLUMN ${quoteIdent(ch.keepAs)} TYPE ${ch.column.type} USING ${col}`,
    `ALTER COLUMN ${col} TYPE uuid USING ${uuid}`,
  ];
}

/**
 * The plan's orphans (--orphans null|keep), and any since: a row whose reference finds no parent
 * among the uuids keeps its old value in the orphan column and holds NULL. One UPDATE per reference
 * (its columns together), after every table is rewritten.
 */
const setOrphansAside =
  (c: ComponentChanges) =>
  (t: TableModel): StepDraft[] => {
    const aside = c.changes.filter((ch) => tableKey(ch.table) === tableKey(t) && ch.orphanColumn);
    const refs = [...new Map(aside.map((ch) => [ch.fillFrom!.id, ch.fillFrom!])).values()];
    return refs.map((ref) => {
      const own = aside.filter((ch) => ch.fillFrom!.id === ref.id);
      const set = own.flatMap((ch) => [
        `${quoteIdent(ch.orphanColumn!)} = c.${quoteIdent(ch.keepAs)}`,
        `${quoteIdent(ch.column.name)} = NULL`,
      ]);
      const match = ref.columns.map((col, j) => `p.${quoteIdent(ref.parentColumns[j]!)} = c.${quoteIdent(col)}`);
      const parent = qualify(ref.parent.schema, ref.parent.name);
      return step(
        'orphans',
        `set aside the rows of ${t.name} whose ${own.map((ch) => ch.column.name).join(', ')} has no parent`,
        `UPDATE ${qualifyTable(t)} AS c SET ${set.join(', ')} WHERE ${allSet(ref)} ` +
          `AND NOT EXISTS (SELECT FROM ${parent} AS p WHERE ${match.join(' AND ')})`,
        'ROW EXCLUSIVE',
        t,
      );
    });
  };
