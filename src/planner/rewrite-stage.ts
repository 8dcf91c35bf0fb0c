import { qualify, qualifyTable, quoteIdent } from '../db/quote.js';
import type { ForeignKeyModel, TableModel } from '../model/types.js';
import { columnKey, tableKey } from '../model/types.js';
import { columnAttributes, dropBound } from './bound-steps.js';
import { type ColumnChange, type ComponentChanges, rootKey, withChildren } from './component-changes.js';
import { lostParentGuard, partlySet } from './guard.js';
import { holdOff, rebuiltOf, withoutForcedRowSecurity } from './hold-off.js';
import { keyedFits, planKeyedRewrite } from './keyed-rewrite.js';
import { lockTables } from './lock-order.js';
import { addColumns, keepsPosition, retypeColumn } from './retype-in-place.js';
import { bulkBound, rebuildAfterRewrite, rewrittenTables } from './rewrite-bound.js';
import { clauses } from './sql-text.js';
import { immediateConstraints, type StepDraft, step } from './step.js';
import { swapColumn } from './swap-stage.js';

/**
 * The offline fast path, in one transaction per component, every table written once: the keyed
 * rewrite (keyed-rewrite.ts) wherever every reference holds its parent key's integer, else (a repair:
 * the parent is uuid already) the copy rewrite below.
 */
export function planRewrite(
  c: ComponentChanges,
  external: { table: TableModel; fk: ForeignKeyModel }[],
  fireTriggers: boolean,
  stageId: string,
  /** The table keys of the catalog's partitioned tables (validatesAfter). */
  partitioned: Set<string>,
): StepDraft[] {
  return keyedFits(c)
    ? planKeyedRewrite(c, external, fireTriggers, stageId, partitioned)
    : planCopyRewrite(c, external, fireTriggers, stageId, partitioned);
}

/**
 * The copy rewrite, in one transaction per component: every row is written once through hash joins
 * instead of updated in place. Each converting key gets a map (old integer -> new uuid), each
 * table's rows are read once into a temporary table with their new values, the tables are emptied,
 * their columns swapped while empty (instant), the rows loaded back, and the keys, indexes and foreign
 * keys built once at the end. The tables keep their identity (OID), so grants, owners, comments,
 * sequences, identity, policies and triggers stay attached; and they come out freshly written, not
 * bloated. (docs/architecture.md section 8: an UPDATE writes every row twice and updates every index.)
 */
export function planCopyRewrite(
  c: ComponentChanges,
  external: { table: TableModel; fk: ForeignKeyModel }[],
  fireTriggers: boolean,
  stageId: string,
  /** The table keys of the catalog's partitioned tables (validatesAfter). */
  partitioned: Set<string>,
): StepDraft[] {
  const rewritten = rewrittenTables(c);
  const names = new NameSource(stageId);
  const scratch = copiesOf(c, names);
  const { maps, order, separate } = keyMaps(c, rewritten, scratch, names);
  const bound = bulkBound(c, rewritten, external);
  const servesAsMap = new Set([...maps.values()].map((m) => m.table));
  const load = [
    ...order.flatMap((t) => {
      const name = scratch.get(tableKey(t))!;
      return [
        step(
          'fill',
          `read every row of ${t.name} once, with its new uuids`,
          scratchSql(t, c, maps, name),
          'ACCESS SHARE',
          t,
        ),
        // Without statistics the planner misjudges a fresh temporary table and may hash the big side.
        ...(servesAsMap.has(name)
          ? [
              step(
                'setting',
                `statistics for the copy of ${t.name}, so joins on it hash the small side`,
                `ANALYZE ${quoteIdent(name)}`,
                'NONE',
                null,
              ),
            ]
          : []),
      ];
    }),
    ...rewritten.flatMap((t) =>
      guard(
        t,
        c.changes.filter((ch) => ch.role === 'reference' && tableKey(ch.table) === tableKey(t)),
        scratch.get(tableKey(t))!,
      ),
    ),
    ...dropBound(bound, bound.externalForeignKeys),
    step(
      'drop',
      `empty ${rewritten.map((t) => t.name).join(', ')} (their rows are in the temporary copies)`,
      `TRUNCATE ${rewritten.map((t) => qualify(t.schema, t.name)).join(', ')}`,
      'ACCESS EXCLUSIVE',
      rewritten.length === 1 ? rewritten[0]! : null,
    ),
    ...c.changes.flatMap(addColumns),
    ...c.changes.flatMap((ch) => (keepsPosition(ch) ? retypeColumn(ch) : swapColumn(ch))),
    ...c.changes.flatMap(columnAttributes),
    ...rewritten.map((t) =>
      step(
        'fill',
        `write the rows of ${t.name} back, once`,
        insertSql(t, c, scratch.get(tableKey(t))!),
        'ROW EXCLUSIVE',
        t,
      ),
    ),
  ];
  return [
    // Temporary tables live in this session's own buffers: give them room before the first one is made.
    step('setting', 'room in memory for the temporary copies', `SET LOCAL temp_buffers = '1GB'`, 'NONE', null),
    immediateConstraints(),
    ...lockTables(rewritten, c),
    ...separate,
    ...withoutForcedRowSecurity(rewritten, holdOff(withChildren(c), load, fireTriggers, rebuiltOf(bound), true)),
    ...rebuildAfterRewrite(c, bound, partitioned),
    // (No ANALYZE here: the load counts as new rows, so autovacuum analyzes the tables right after.)
    step(
      'drop',
      'drop the temporary copies now rather than at commit',
      `DROP TABLE ${names.all.map(quoteIdent).join(', ')}`,
      'NONE',
      null,
    ),
  ];
}

/** Each rewritten table's temporary copy, by table key: the stage's first temporary names. */
const copiesOf = (c: ComponentChanges, names: NameSource) =>
  new Map(rewrittenTables(c).map((t) => [tableKey(t), names.next('rows')]));

/**
 * The temporary copies a rewrite stage makes (the copy of every row, old values and new uuids, as
 * its stage reads them before emptying the tables), by table key: where its verify-before is read.
 */
export const rewriteCopies = (c: ComponentChanges, stageId: string): Map<string, string> =>
  keyedFits(c) ? new Map() : copiesOf(c, new NameSource(stageId));

/** The rewrite stage's step that empties its tables: every row is in the copies just before it. */
export const emptiesTables = (step: { kind: string; sql: string }): boolean =>
  step.kind === 'drop' && step.sql.startsWith('TRUNCATE ');

/**
 * A keyed rewrite stage (planKeyedRewrite): a rewrite that never empties its tables. Told from the
 * stage itself, so a plan made before the keyed rewrite (every rewrite a copy rewrite) reads right.
 */
export const isKeyedRewrite = (stage: { kind: string; steps: { kind: string; sql: string }[] }): boolean =>
  stage.kind === 'rewrite' && !stage.steps.some(emptiesTables);

/** Temporary table names, unique across a plan (drizzle-kit's migrator runs all stages in one transaction). */
class NameSource {
  private n = 0;
  readonly all: string[] = [];
  constructor(private readonly stage: string) {}
  next(kind: string): string {
    const name = `uuidmig_${this.stage}_${kind}_${this.n++}`;
    this.all.push(name);
    return name;
  }
}

/** Where a converting key's old integer -> new uuid can be joined: a temporary table and two of its columns. */
interface KeyMap {
  table: string;
  old: string;
  new: string;
}

/**
 * A key unique by itself gets its uuids in its own table's copy, which then serves as the map for
 * the tables that reference it (one pass over the parent, not two); so copies are made parents first.
 * A key its own table references, or one in a reference cycle, gets a separate map made up front.
 */
function keyMaps(
  c: ComponentChanges,
  rewritten: TableModel[],
  scratch: Map<string, string>,
  names: NameSource,
): { maps: Map<string, KeyMap>; order: TableModel[]; separate: StepDraft[] } {
  const keys = c.changes.filter((x) => x.role === 'key');
  const uniqueAlone = (ch: ColumnChange) =>
    [ch.table.primaryKey, ...ch.table.uniques].some((k) => k?.columns.length === 1 && k.columns[0] === ch.column.name);
  const inline = new Set(keys.filter(uniqueAlone).map((ch) => columnKey(ch.table, ch.column.name)));
  const tableOfKey = new Map(keys.map((ch) => [columnKey(ch.table, ch.column.name), tableKey(ch.table)]));
  const dependsOn = (t: TableModel) =>
    c.changes
      .filter((ch) => ch.role === 'reference' && ch.fillFrom!.mode === 'convert' && tableKey(ch.table) === tableKey(t))
      .map((ch) => rootKey(ch, c))
      .filter((k): k is string => k !== null && inline.has(k));
  let order: TableModel[] = [];
  for (let settled = false; !settled; ) {
    settled = true;
    order = [];
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (t: TableModel): boolean => {
      state.set(tableKey(t), 'visiting');
      for (const key of dependsOn(t)) {
        const parent = rewritten.find((x) => tableKey(x) === tableOfKey.get(key))!;
        const seen = state.get(tableKey(parent));
        if (seen === 'visiting') {
          inline.delete(key); // a self-reference or a cycle: this key gets a separate map
          return false;
        }
        if (!seen && !visit(parent)) return false;
      }
      state.set(tableKey(t), 'done');
      order.push(t);
      return true;
    };
    for (const t of rewritten) if (!state.has(tableKey(t)) && !visit(t)) settled = false;
    if (!settled) continue;
  }
  const maps = new Map<string, KeyMap>();
  const separate: StepDraft[] = [];
  for (const ch of keys) {
    const key = columnKey(ch.table, ch.column.name);
    if (inline.has(key)) {
      maps.set(key, {
        table: scratch.get(tableKey(ch.table))!,
        old: quoteIdent(ch.column.name),
        new: quoteIdent(ch.shadow),
      });
      continue;
    }
    const map = names.next('map');
    maps.set(key, { table: map, old: 'old', new: 'new' });
    separate.push(
      step('fill', `give every ${ch.table.name}.${ch.column.name} its uuid`, mapSql(map, ch), 'ACCESS SHARE', ch.table),
      step(
        'setting',
        `statistics for the map of ${ch.table.name}.${ch.column.name}, so joins on it hash`,
        `ANALYZE ${quoteIdent(map)}`,
        'NONE',
        null,
      ),
    );
  }
  return { maps, order, separate };
}

/** Join a key map on the integer `old` holds today. */
const mapJoin = (map: KeyMap, alias: string, old: string): string =>
  `LEFT JOIN ${quoteIdent(map.table)} AS ${alias} ON ${alias}.${map.old} = ${old}`;

/** A map of every distinct value of a key to a fresh uuid, in a temporary table (old, new). */
function mapSql(map: string, ch: ColumnChange): string {
  const key = quoteIdent(ch.column.name);
  const values = `SELECT DISTINCT ${key} AS old FROM ${qualifyTable(ch.table)} WHERE ${key} IS NOT NULL`;
  const select = `SELECT d.old, gen_random_uuid() AS new FROM (${values}) AS d`;
  return `CREATE TEMPORARY TABLE ${quoteIdent(map)} ON COMMIT DROP AS ${select}`;
}

/** SELECT every row of `t` with the new value of each converting column (and the orphans' old values). */
function scratchSql(t: TableModel, c: ComponentChanges, maps: Map<string, KeyMap>, scratch: string): string {
  const joins: string[] = [];
  const values: string[] = t.columns.map((col) => `c.${quoteIdent(col.name)}`);
  for (const [i, ch] of c.changes.filter((x) => tableKey(x.table) === tableKey(t)).entries()) {
    const alias = `j${i}`;
    let value: string;
    if (ch.role === 'key') {
      const map = maps.get(columnKey(t, ch.column.name))!;
      if (map.table === scratch)
        value = 'gen_random_uuid()'; // this copy is the key's map
      else {
        joins.push(mapJoin(map, alias, `c.${quoteIdent(ch.column.name)}`));
        value = `${alias}.${map.new}`;
      }
    } else {
      const ref = ch.fillFrom!;
      const at = ref.columns.indexOf(ch.column.name);
      const root = ref.mode === 'convert' ? rootKey(ch, c) : null;
      const map = root ? maps.get(root)! : null;
      if (map && ref.columns.length === 1) {
        joins.push(mapJoin(map, alias, `c.${quoteIdent(ch.column.name)}`));
        value = `${alias}.${map.new}`;
      } else {
        // Composite references and the repair case: find the parent row on what the child holds today.
        const match = ref.columns
          .map((col, j) => `${alias}.${quoteIdent(ref.joinColumns[j]!)} = c.${quoteIdent(col)}`)
          .join(' AND ');
        joins.push(`LEFT JOIN ${qualify(ref.parent.schema, ref.parent.name)} AS ${alias} ON ${match}`);
        if (ref.mode === 'repair') value = `${alias}.${quoteIdent(ref.parentColumns[at]!)}`;
        else {
          joins.push(mapJoin(map!, `${alias}m`, `${alias}.${quoteIdent(ref.joinColumns[at]!)}`));
          value = `${alias}m.${map!.new}`;
        }
      }
    }
    values.push(`${value} AS ${quoteIdent(ch.shadow)}`);
    if (ch.orphanColumn) {
      const allSet = ch.fillFrom!.columns.map((col) => `c.${quoteIdent(col)} IS NOT NULL`).join(' AND ');
      const old = `c.${quoteIdent(ch.column.name)}`;
      values.push(`CASE WHEN ${allSet} AND ${value} IS NULL THEN ${old} END AS ${quoteIdent(ch.orphanColumn)}`);
    }
  }
  const select = clauses(`SELECT ${values.join(', ')}`, `FROM ${qualifyTable(t)} AS c`, ...joins);
  return `CREATE TEMPORARY TABLE ${quoteIdent(scratch)} ON COMMIT DROP AS ${select}`;
}

/**
 * Refuse to go on if a row that had a parent found no uuid for it (a row written since the plan):
 * one scan of the table's copy for all its references.
 */
function guard(t: TableModel, refs: ColumnChange[], scratch: string): StepDraft[] {
  if (!refs.length) return [];
  const columns = refs.map((ch) => ch.column.name).join(', ');
  return [
    step(
      'guard',
      `check every ${columns} found its parent`,
      lostParentGuard(quoteIdent(scratch), refs, undefined, (ch) => partlySet(ch, t)),
      'NONE',
      t,
    ),
  ];
}

/** INSERT the rows back: old values into the columns that keep them, new uuids under the old names. */
function insertSql(t: TableModel, c: ComponentChanges, scratch: string): string {
  const target: string[] = [];
  const source: string[] = [];
  for (const col of t.columns) {
    if (col.generated) continue;
    const ch = c.changes.find((x) => tableKey(x.table) === tableKey(t) && x.column.name === col.name);
    target.push(quoteIdent(ch ? ch.keepAs : col.name));
    source.push(quoteIdent(col.name));
    if (ch) {
      target.push(quoteIdent(col.name));
      source.push(quoteIdent(ch.shadow));
      if (ch.orphanColumn) {
        target.push(quoteIdent(ch.orphanColumn));
        source.push(quoteIdent(ch.orphanColumn));
      }
    }
  }
  const overriding = t.columns.some((col) => col.identity === 'always') && 'OVERRIDING SYSTEM VALUE';
  return clauses(
    `INSERT INTO ${qualifyTable(t)} (${target.join(', ')})`,
    overriding,
    `SELECT ${source.join(', ')} FROM ${quoteIdent(scratch)}`,
  );
}
