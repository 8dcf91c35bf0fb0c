import { qualify, quoteIdent, quoteLiteral } from '../db/quote.js';
import type { GrantModel, PolicyModel, RuleModel, TableModel, ViewModel } from '../model/types.js';
import { referencedTable } from '../model/types.js';
import type { BoundObjects, Named } from './bound-objects.js';
import type { ColumnChange } from './component-changes.js';
import { clauses } from './sql-text.js';
import { type StepDraft, step } from './step.js';

const at = (t: TableModel) => qualify(t.schema, t.name);
const viewKind = (v: ViewModel) => (v.kind === 'materialized' ? 'MATERIALIZED VIEW' : 'VIEW');

/** ALTER TABLE ... <state> TRIGGER|RULE: the words that put a trigger or a rule back in its state. */
export const FIRING_STATE = { O: 'ENABLE', D: 'DISABLE', R: 'ENABLE REPLICA', A: 'ENABLE ALWAYS' } as const;

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
    ...b.rules.map(({ table, rule }) =>
      step(
        'drop',
        `drop rule ${rule.name} (rebuilt below: rules bind columns by number)`,
        `DROP RULE ${quoteIdent(rule.name)} ON ${at(table)}`,
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
  /** The foreign keys to add NOT VALID, validated by a stage after this one (the rewrite's). */
  notValid: (fk: Named) => boolean = () => false,
): StepDraft[] {
  const foreignKey = (fk: Named, what: string) =>
    notValid(fk)
      ? step(
          'constraint',
          `${what}, NOT VALID (no scan: it checks every write from now on; validated after the commit)`,
          `ALTER TABLE ${at(fk.table)} ADD CONSTRAINT ${quoteIdent(fk.name)} ${fk.definition} NOT VALID`,
          'SHARE ROW EXCLUSIVE',
          fk.table,
        )
      : step(
          'constraint',
          what,
          `ALTER TABLE ${at(fk.table)} ADD CONSTRAINT ${quoteIdent(fk.name)} ${fk.definition}`,
          'SHARE ROW EXCLUSIVE',
          fk.table,
        );
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
      foreignKey(
        { table, name: fk.name, definition: fk.definition!, into: referencedTable(fk) },
        `rebuild foreign key ${fk.name}`,
      ),
    ),
    ...extraForeignKeys.map((fk) =>
      foreignKey(fk, `add the foreign key ${fk.name} the Drizzle schema declares (integer columns could not have one)`),
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
              `ALTER TABLE ${at(table)} ${FIRING_STATE[trigger.enabled]} TRIGGER ${quoteIdent(trigger.name)}`,
              'SHARE ROW EXCLUSIVE',
              table,
            ),
          ]),
    ]),
    ...[...b.views].reverse().flatMap((v) => recreateView(v, on)),
    ...b.rules.flatMap(({ table, rule }) => recreateRule(table, rule, on)),
  ];
}

/** A grant's role as SQL: PUBLIC, or the quoted role name. */
export const grantee = (g: GrantModel) => (g.grantee === 'PUBLIC' ? 'PUBLIC' : quoteIdent(g.grantee));

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

/** A rule from the CREATE RULE statement PostgreSQL printed, in its firing state. */
function recreateRule(table: TableModel, rule: RuleModel, on: string): StepDraft[] {
  const sql = rule.definition.trim().replace(/;$/, '');
  return [
    step('constraint', `rebuild rule ${rule.name} on the ${on} columns`, sql, 'ACCESS EXCLUSIVE', table),
    ...(rule.enabled === 'O'
      ? []
      : [
          step(
            'constraint',
            `rule ${rule.name} keeps its state`,
            `ALTER TABLE ${at(table)} ${FIRING_STATE[rule.enabled]} RULE ${quoteIdent(rule.name)}`,
            'SHARE ROW EXCLUSIVE',
            table,
          ),
        ]),
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
