import type { Sql } from '../db/connect.js';
import { qualify } from '../db/quote.js';
import { displayTable, sameTable, type TableModel, tableKey } from '../model/types.js';
import type { ComponentChanges } from '../planner/component-changes.js';
import { planChanges } from '../planner/plan-changes.js';
import type { Plan } from '../planner/plan-schema.js';
import { rewriteCopies } from '../planner/rewrite-stage.js';
import type { CheckDifference, CheckRow } from './check-schema.js';
import { copyCheckSql, type FingerprintFormula, referencesCheckSql, tableCountSql } from './check-sql.js';

export { formulaOf } from './check-sql.js';

import type { KeyState } from './legacy-values.js';

export type { CheckDifference, CheckRow } from './check-schema.js';

type Queryable = Pick<Sql, 'unsafe'>;

/** Which side of the swap a component is on now: read from the type of one of its converting columns. */
export async function componentState(sql: Queryable, changes: ComponentChanges): Promise<KeyState> {
  const probe = changes.changes[0]!;
  const rows = await sql.unsafe<{ type: string }[]>(
    `SELECT format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = $1::regclass AND attname ` +
      `= $2 AND NOT attisdropped`,
    [qualify(probe.table.schema, probe.table.name), probe.column.name],
  );
  return rows[0]?.type === 'uuid' ? 'uuid' : 'integer';
}

/**
 * Fresh statistics for a component's tables, taken inside the stage before its checks: a table the
 * stage just rewrote, or rewrote at apply and never analyzed since, has none that fit, and the checks'
 * anti-joins then get nested-loop plans that take minutes instead of seconds. ANALYZE samples (30,000
 * rows a table by default), so it costs little beside the checks' full scans.
 */
export async function analyzeComponent(sql: Queryable, plan: Plan, component: string): Promise<void> {
  const changes = planChanges(plan).find((c) => c.component.id === component);
  if (!changes?.tables.length) return;
  await sql.unsafe(`ANALYZE ${changes.tables.map((t) => qualify(t.schema, t.name)).join(', ')}`);
}

/**
 * Row counts of every table the plan touches, and orphans + fingerprint of every reference, now.
 * `component`: only that component's tables and references (by component id). `formula`: the
 * fingerprint of the recorded checks these are compared with (formulaOf), else the current one.
 */
export async function runChecks(
  sql: Queryable,
  plan: Plan,
  component?: string,
  formula: FingerprintFormula = 2,
): Promise<CheckRow[]> {
  const checks: CheckRow[] = [];
  for (const changes of planChanges(plan)) {
    if (component !== undefined && changes.component.id !== component) continue;
    checks.push(...(await componentChecks(sql, plan, changes, await componentState(sql, changes), formula)));
  }
  return checks;
}

/**
 * A component's checks before its rewrite stage empties its tables, read from the stage's temporary
 * copies (every row, as the tables held them: the integer state), inside the stage's transaction, so
 * the references cost no join of their own. The copy selects each table's columns as they are, so
 * only a row lost or doubled could make it differ from its table: the tables' counts come from the
 * tables themselves. A table without a copy is read itself.
 */
export async function checksFromCopies(sql: Queryable, plan: Plan, component: string, stageId: string) {
  const changes = planChanges(plan).find((c) => c.component.id === component)!;
  const copies = rewriteCopies(changes, stageId);
  const [present] = await sql.unsafe<{ n: number }[]>(
    `SELECT count(*)::int AS n FROM unnest($1::text[]) AS t(name) WHERE to_regclass(quote_ident(t.name)) IS NOT NULL`,
    [[...copies.values()]] as never[],
  );
  // Copies not there (a stage written by another version): the tables themselves, as before.
  if (present!.n !== copies.size) return componentChecks(sql, plan, changes, 'integer', 2);
  return componentChecks(sql, plan, changes, 'integer', 2, copies);
}

/** One component's checks: each child table scanned once (its copy's when given), then the other tables. */
async function componentChecks(
  sql: Queryable,
  plan: Plan,
  changes: ComponentChanges,
  state: KeyState,
  formula: FingerprintFormula,
  copies?: Map<string, string>,
): Promise<CheckRow[]> {
  const checks: CheckRow[] = [];
  const keyOf = (table: TableModel) => {
    const key = changes.changes.find((ch) => ch.role === 'key' && sameTable(ch.table, table));
    return key ? (state === 'uuid' ? key.keepAs : key.column.name) : null;
  };
  // One scan per child table, however many of its references the plan converts; it counts the
  // child's rows too. Tables no reference starts from are counted alone.
  const refs = plan.references.filter((r) => changes.references.some((x) => x.id === r.id));
  const counts = new Map<string, { rows: number | bigint; max_key?: string | null }>();
  const found = new Map<string, CheckRow>();
  for (const key of new Set(refs.map((r) => tableKey(r.child)))) {
    const own = refs.filter((r) => tableKey(r.child) === key);
    const child = changes.tables.find((t) => tableKey(t) === key)!;
    const copy = copies?.get(key);
    const text = copy
      ? copyCheckSql(own, child, changes, copy, formula)
      : referencesCheckSql(own, child, changes, state, null, formula, keyOf(child));
    const [row] = await sql.unsafe<Record<string, string | number | bigint | null>[]>(text);
    // A copy's rows are not the table's count: that is read from the table itself, so a copy that lost
    // or doubled rows shows as the table's count against the rows written back.
    if (!copy)
      counts.set(key, { rows: Number(row!.rows), max_key: (row!.max_key as string | null | undefined) ?? null });
    own.forEach((ref, i) => {
      const suffix = own.length === 1 ? '' : `_${i}`;
      found.set(ref.id, {
        kind: 'reference',
        name: ref.id,
        rows: Number(row!.rows),
        orphans: Number(row![`orphans${suffix}`]),
        fingerprint: String(row![`fingerprint${suffix}`]),
      });
    });
  }
  for (const table of changes.tables) {
    const keyColumn = keyOf(table);
    const counted =
      counts.get(tableKey(table)) ??
      (await sql.unsafe<{ rows: bigint | number; max_key?: string | null }[]>(tableCountSql(table, keyColumn)))[0]!;
    checks.push({
      kind: 'table',
      name: displayTable(table),
      rows: Number(counted.rows),
      orphans: null,
      fingerprint: null,
      ...(keyColumn ? { maxKey: counted.max_key ?? null } : {}),
    });
  }
  for (const ref of refs) checks.push(found.get(ref.id)!);
  return checks;
}

/** Compare two sets of checks; an empty `differs` everywhere means nothing was lost or moved. */
export function compareChecks(before: CheckRow[], now: CheckRow[]): CheckDifference[] {
  const key = (c: CheckRow) => `${c.kind}:${c.name}`;
  const nowByKey = new Map(now.map((c) => [key(c), c]));
  const names = [...new Set([...before.map(key), ...now.map(key)])];
  return names.map((k) => {
    const b = before.find((c) => key(c) === k) ?? null;
    const n = nowByKey.get(k) ?? null;
    const differs: string[] = [];
    if (!b || !n) differs.push('missing');
    else {
      if (b.rows !== n.rows) differs.push('rows');
      if (b.orphans !== n.orphans) differs.push('orphans');
      if (b.fingerprint !== n.fingerprint) differs.push('fingerprint');
    }
    const sample = (b ?? n)!;
    return { kind: sample.kind, name: sample.name, before: b, now: n, differs };
  });
}
