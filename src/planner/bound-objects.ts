import { deriveName } from '../db/derived-names.js';
import { qualify, quoteIdent, quoteLiteral } from '../db/quote.js';
import type { ForeignKeyModel, GrantModel, PolicyModel, TableModel, TriggerModel, ViewModel } from '../model/types.js';
import { columnKey, displayTable, referencedTable, tableKey } from '../model/types.js';
import type { ColumnChange, ComponentChanges } from './component-changes.js';
import { clauses, columnList } from './sql-text.js';
import { type StepDraft, step } from './step.js';

interface Named {
  table: TableModel;
  name: string;
  definition: string;
}

/** Everything bound to a converting column that must be dropped before a swap and rebuilt after. */
export interface BoundObjects {
  views: ViewModel[];
  foreignKeys: { table: TableModel; fk: ForeignKeyModel }[];
  keys: Named[];
  indexes: Named[];
  /** Foreign keys the Drizzle schema declares that integer columns could not have. */
  declaredForeignKeys: Named[];
  /** Row-level security policies whose expressions read a converting column. */
  policies: { table: TableModel; policy: PolicyModel }[];
  /** Triggers whose UPDATE OF list or WHEN condition names a converting column. */
  triggers: { table: TableModel; trigger: TriggerModel }[];
  /** Extended statistics objects on a converting column. */
  statistics: { table: TableModel; schema: string; name: string; definition: string }[];
}

export function boundObjects(c: ComponentChanges): BoundObjects {
  const converting = new Set(c.changes.map((ch) => columnKey(ch.table, ch.column.name)));
  const touches = (t: TableModel, columns: string[]) => columns.some((col) => converting.has(columnKey(t, col)));
  const references = new Set(
    c.changes.filter((ch) => ch.role === 'reference').map((ch) => columnKey(ch.table, ch.column.name)),
  );
  const bound: BoundObjects = {
    views: c.views,
    foreignKeys: [],
    keys: [],
    indexes: [],
    declaredForeignKeys: [],
    policies: [],
    triggers: [],
    statistics: [],
  };
  for (const table of c.tables) {
    for (const fk of table.foreignKeys) {
      if (
        touches(table, fk.columns) ||
        fk.refColumns.some((col) => converting.has(columnKey(referencedTable(fk), col)))
      )
        bound.foreignKeys.push({ table, fk });
    }
    for (const key of [table.primaryKey, ...table.uniques, ...(table.exclusions ?? [])]) {
      if (key && touches(table, key.columns)) bound.keys.push({ table, name: key.name, definition: key.definition! });
    }
    // A check on a key alone stays with the legacy integer column; one that reads a reference is rebuilt.
    for (const check of table.checks) {
      if (check.columns.some((col) => references.has(columnKey(table, col))))
        bound.keys.push({ table, name: check.name, definition: check.definition });
    }
    for (const index of table.indexes) {
      // pg_get_indexdef prints a partitioned table's index as `ON ONLY`, which would not reach its partitions.
      if (!index.backsConstraint && touches(table, index.columns))
        bound.indexes.push({ table, name: index.name, definition: index.definition.replace(/ ON ONLY /, ' ON ') });
    }
    for (const policy of table.policies ?? [])
      if (policy.uses.some((u) => converting.has(columnKey(u, u.column)))) bound.policies.push({ table, policy });
    for (const trigger of table.triggers ?? [])
      if (touches(table, trigger.columns)) bound.triggers.push({ table, trigger });
    for (const stat of table.statistics ?? [])
      if (touches(table, stat.columns)) bound.statistics.push({ table, ...stat });
  }
  for (const ref of c.references) {
    const declared = ref.declared;
    if (ref.constraint || !declared?.name) continue;
    const table = c.tables.find((t) => tableKey(t) === tableKey(ref.child))!;
    const action = (a: string | undefined) => (a ?? 'no action').toUpperCase();
    bound.declaredForeignKeys.push({
      table,
      name: declared.name,
      definition: clauses(
        `FOREIGN KEY (${columnList(ref.columns)})`,
        `REFERENCES ${qualify(ref.parent.schema, ref.parent.name)} (${columnList(ref.parentColumns)})`,
        `ON DELETE ${action(declared.onDelete)} ON UPDATE ${action(declared.onUpdate)}`,
      ),
    });
  }
  return bound;
}

const at = (t: TableModel) => qualify(t.schema, t.name);
const viewKind = (v: ViewModel) => (v.kind === 'materialized' ? 'MATERIALIZED VIEW' : 'VIEW');

/** Drop views (dependents first), foreign keys, keys and checks, then indexes. */
export function dropBound(b: BoundObjects, extraForeignKeys: Named[] = []): StepDraft[] {
  return [
    ...b.views.map((v) =>
      step(
        'view',
        `drop ${viewKind(v).toLowerCase()} ${v.name} (rebuilt below: views bind columns by number)`,
        `DROP ${viewKind(v)} ${qualify(v.schema, v.name)}`,
        'ACCESS EXCLUSIVE',
        v,
      ),
    ),
    ...[...b.foreignKeys.map(({ table, fk }) => ({ table, name: fk.name })), ...extraForeignKeys].map(
      ({ table, name }) =>
        step(
          'drop',
          `drop foreign key ${name}`,
          `ALTER TABLE ${at(table)} DROP CONSTRAINT ${quoteIdent(name)}`,
          'ACCESS EXCLUSIVE',
          table,
        ),
    ),
    ...b.keys.map(({ table, name }) =>
      step(
        'drop',
        `drop constraint ${name}`,
        `ALTER TABLE ${at(table)} DROP CONSTRAINT ${quoteIdent(name)}`,
        'ACCESS EXCLUSIVE',
        table,
      ),
    ),
    ...b.indexes.map(({ table, name }) =>
      step('drop', `drop index ${name}`, `DROP INDEX ${qualify(table.schema, name)}`, 'ACCESS EXCLUSIVE', table),
    ),
    ...b.policies.map(({ table, policy }) =>
      step(
        'drop',
        `drop policy ${policy.name} (rebuilt below: policies bind columns by number)`,
        `DROP POLICY ${quoteIdent(policy.name)} ON ${at(table)}`,
        'ACCESS EXCLUSIVE',
        table,
      ),
    ),
    ...b.statistics.map(({ table, schema, name }) =>
      step('drop', `drop statistics ${name}`, `DROP STATISTICS ${qualify(schema, name)}`, 'ACCESS EXCLUSIVE', table),
    ),
    ...b.triggers.map(({ table, trigger }) =>
      step(
        'drop',
        `drop trigger ${trigger.name} (rebuilt below: UPDATE OF and WHEN bind columns by number)`,
        `DROP TRIGGER ${quoteIdent(trigger.name)} ON ${at(table)}`,
        'ACCESS EXCLUSIVE',
        table,
      ),
    ),
  ];
}

/** Rebuild keys and checks, indexes, foreign keys and views from the definitions PostgreSQL printed. */
export function rebuildBound(
  b: BoundObjects,
  on: string,
  between: StepDraft[] = [],
  extraForeignKeys: Named[] = [],
): StepDraft[] {
  return [
    ...b.keys.map(({ table, name, definition }) =>
      step(
        'constraint',
        `rebuild ${name} on the ${on} column`,
        `ALTER TABLE ${at(table)} ADD CONSTRAINT ${quoteIdent(name)} ${definition}`,
        'ACCESS EXCLUSIVE',
        table,
      ),
    ),
    ...between,
    ...b.indexes.map(({ table, name, definition }) =>
      step('index', `rebuild index ${name} on the ${on} column`, definition, 'SHARE', table),
    ),
    ...b.foreignKeys.map(({ table, fk }) =>
      step(
        'constraint',
        `rebuild foreign key ${fk.name}`,
        `ALTER TABLE ${at(table)} ADD CONSTRAINT ${quoteIdent(fk.name)} ${fk.definition}`,
        'SHARE ROW EXCLUSIVE',
        table,
      ),
    ),
    ...extraForeignKeys.map(({ table, name, definition }) =>
      step(
        'constraint',
        `add the foreign key ${name} the Drizzle schema declares (integer columns could not have one)`,
        `ALTER TABLE ${at(table)} ADD CONSTRAINT ${quoteIdent(name)} ${definition}`,
        'SHARE ROW EXCLUSIVE',
        table,
      ),
    ),
    ...b.statistics.map(({ table, name, definition }) =>
      step('index', `rebuild statistics ${name} on the ${on} column`, definition, 'SHARE UPDATE EXCLUSIVE', table),
    ),
    ...b.policies.map(({ table, policy }) =>
      step(
        'constraint',
        `rebuild policy ${policy.name} on the ${on} columns`,
        policySql(policy, at(table)),
        'ACCESS EXCLUSIVE',
        table,
      ),
    ),
    ...b.triggers.flatMap(({ table, trigger }) => [
      step(
        'constraint',
        `rebuild trigger ${trigger.name} on the ${on} columns`,
        trigger.definition,
        'SHARE ROW EXCLUSIVE',
        table,
      ),
      ...(trigger.enabled === 'O'
        ? []
        : [
            step(
              'constraint',
              `trigger ${trigger.name} keeps its state`,
              `ALTER TABLE ${at(table)} ${TRIGGER_STATE[trigger.enabled]} TRIGGER ${quoteIdent(trigger.name)}`,
              'SHARE ROW EXCLUSIVE',
              table,
            ),
          ]),
    ]),
    ...[...b.views].reverse().flatMap((v) => recreateView(v, on)),
  ];
}

const TRIGGER_STATE = { O: 'ENABLE', D: 'DISABLE', R: 'ENABLE REPLICA', A: 'ENABLE ALWAYS' } as const;

const grantee = (g: GrantModel) => (g.grantee === 'PUBLIC' ? 'PUBLIC' : quoteIdent(g.grantee));

/** A view or materialized view as it was: definition, options, owner, comment, grants, indexes. */
function recreateView(v: ViewModel, on: string): StepDraft[] {
  const name = qualify(v.schema, v.name);
  const kind = viewKind(v);
  const options = v.options?.length ? ` WITH (${v.options.join(', ')})` : '';
  return [
    step(
      'view',
      `recreate ${kind.toLowerCase()} ${v.name} on the ${on} columns`,
      `CREATE ${kind} ${name}${options} AS\n${v.definition.trim().replace(/;$/, '')}`,
      'ACCESS EXCLUSIVE',
      v,
    ),
    ...(v.owner
      ? [
          step(
            'view',
            `${v.name} keeps its owner`,
            `ALTER ${kind} ${name} OWNER TO ${quoteIdent(v.owner)}`,
            'ACCESS EXCLUSIVE',
            v,
          ),
        ]
      : []),
    ...(v.comment
      ? [
          step(
            'view',
            `${v.name} keeps its comment`,
            `COMMENT ON ${kind} ${name} IS ${quoteLiteral(v.comment)}`,
            'ACCESS EXCLUSIVE',
            v,
          ),
        ]
      : []),
    ...(v.grants ?? []).map((g) =>
      step(
        'view',
        `${v.name} keeps ${g.privilege} for ${g.grantee}`,
        `GRANT ${g.privilege} ON ${name} TO ${grantee(g)}${g.grantable ? ' WITH GRANT OPTION' : ''}`,
        'ACCESS EXCLUSIVE',
        v,
      ),
    ),
    ...v.indexes.map((index) =>
      step('index', `rebuild index ${index.name} of ${v.name}`, index.definition, 'SHARE', v),
    ),
  ];
}

/** CREATE POLICY from its parts, on `table` (SQL text: the real table, or a probe copy). */
export function policySql(p: PolicyModel, table: string): string {
  const roles = p.roles.map((r) => (r === 'PUBLIC' ? 'PUBLIC' : quoteIdent(r))).join(', ');
  return clauses(
    `CREATE POLICY ${quoteIdent(p.name)} ON ${table}`,
    `AS ${p.permissive ? 'PERMISSIVE' : 'RESTRICTIVE'} FOR ${p.command} TO ${roles}`,
    p.using && `USING (${p.using})`,
    p.withCheck && `WITH CHECK (${p.withCheck})`,
  );
}

/** A converting column's comment and column-level grants, given to the column that takes its name. */
export function columnAttributes(change: ColumnChange): StepDraft[] {
  const t = qualify(change.table.schema, change.table.name);
  const column = quoteIdent(change.column.name);
  return [
    ...(change.column.comment
      ? [
          step(
            'column',
            `${change.column.name} keeps its comment`,
            `COMMENT ON COLUMN ${t}.${column} IS ${quoteLiteral(change.column.comment)}`,
            'ACCESS EXCLUSIVE',
            change.table,
          ),
        ]
      : []),
    ...(change.column.grants ?? []).map((g) =>
      step(
        'column',
        `${change.column.name} keeps ${g.privilege} for ${g.grantee}`,
        `GRANT ${g.privilege} (${column}) ON ${t} TO ${grantee(g)}${g.grantable ? ' WITH GRANT OPTION' : ''}`,
        'ACCESS EXCLUSIVE',
        change.table,
      ),
    ),
  ];
}

/**
 * The migration's own writes must not fire the user's triggers (an updated_at trigger would rewrite
 * every timestamp): each enabled trigger that fires on UPDATE (or on anything, for the rewrite's
 * TRUNCATE and INSERT) is disabled around them and put back in its exact state, in the same
 * transaction, so a failure can never leave it disabled.
 */
export function silenceTriggers(
  componentTables: TableModel[],
  steps: StepDraft[],
  fire: boolean,
  dropped: TriggerModel[] = [],
  allEvents = false,
): StepDraft[] {
  if (fire) return steps;
  const filled = new Set(steps.filter((s) => s.kind === 'fill' || s.kind === 'orphans').map((s) => s.table));
  const tables = componentTables.filter((t) => filled.has(displayTable(t)));
  const silenced = tables.flatMap((table) =>
    (table.triggers ?? [])
      .filter((t) => (allEvents || t.onUpdate) && t.enabled !== 'D' && !dropped.includes(t))
      .map((trigger) => ({ table, trigger })),
  );
  return [
    ...silenced.map(({ table, trigger }) =>
      step(
        'setting',
        `${trigger.name} does not fire for the migration's own writes`,
        `ALTER TABLE ${at(table)} DISABLE TRIGGER ${quoteIdent(trigger.name)}`,
        'SHARE ROW EXCLUSIVE',
        table,
      ),
    ),
    ...steps,
    ...silenced.map(({ table, trigger }) =>
      step(
        'setting',
        `${trigger.name} is back as it was`,
        `ALTER TABLE ${at(table)} ${TRIGGER_STATE[trigger.enabled]} TRIGGER ${quoteIdent(trigger.name)}`,
        'SHARE ROW EXCLUSIVE',
        table,
      ),
    ),
  ];
}

/** The unique constraint that keeps a legacy column unique: a stable name within 63 bytes. */
export function legacyUniqueName(change: ColumnChange, tables: TableModel[]): string {
  const taken = new Set(
    tables
      .flatMap((x) => [x.primaryKey?.name, ...x.uniques.map((u) => u.name), ...x.indexes.map((i) => i.name)])
      .filter((n): n is string => !!n),
  );
  return deriveName(`${change.table.name}_${change.keepAs}`, '_key', taken);
}

/**
 * Under FORCE ROW LEVEL SECURITY even the table's owner sees and writes only what the policies allow:
 * the migration's reads would silently miss rows. It is lifted around the migration's own reads and
 * writes, in the same transaction, and put back. (A superuser bypasses it anyway.)
 */
export function withoutForcedRowSecurity(tables: TableModel[], steps: StepDraft[]): StepDraft[] {
  const forced = tables.filter((t) => t.rowSecurity?.forced);
  return [
    ...forced.map((t) =>
      step(
        'setting',
        `${t.name}'s policies do not hide rows from the migration`,
        `ALTER TABLE ${at(t)} NO FORCE ROW LEVEL SECURITY`,
        'ACCESS EXCLUSIVE',
        t,
      ),
    ),
    ...steps,
    ...forced.map((t) =>
      step(
        'setting',
        `${t.name} forces row-level security again`,
        `ALTER TABLE ${at(t)} FORCE ROW LEVEL SECURITY`,
        'ACCESS EXCLUSIVE',
        t,
      ),
    ),
  ];
}
