import { qualify, quoteIdent } from '../db/quote.js';
import type { ForeignKeyModel, TableModel } from '../model/types.js';
import { displayTable, referencedTable, tableKey } from '../model/types.js';
import { type BoundObjects, boundObjects, type Named } from './bound-objects.js';
import { rebuildBound } from './bound-steps.js';
import type { ComponentChanges } from './component-changes.js';
import type { Plan, Step } from './plan-schema.js';
import { type StepDraft, step } from './step.js';
import { legacySequence, legacyUnique } from './swap-stage.js';

export const rewrittenTables = (c: ComponentChanges) =>
  c.tables.filter((t) => c.changes.some((ch) => tableKey(ch.table) === tableKey(t)));

/**
 * Everything on a rewritten table that a bulk load would otherwise maintain row by row, or that
 * binds a converting column: all keys, indexes and foreign keys (in and out, including foreign keys
 * from tables outside the component, which hang on a key dropped here, and which a copy rewrite's
 * TRUNCATE would refuse), plus what boundObjects finds.
 */
export function bulkBound(
  c: ComponentChanges,
  rewritten: TableModel[],
  external: { table: TableModel; fk: ForeignKeyModel }[],
): BoundObjects & { externalForeignKeys: Named[] } {
  const bound = boundObjects(c);
  const isRewritten = new Set(rewritten.map(tableKey));
  const has = <T extends { name: string }>(list: T[], name: string, table: TableModel) =>
    list.some((x) => x.name === name && tableKey((x as unknown as { table: TableModel }).table) === tableKey(table));
  for (const table of rewritten) {
    for (const key of [table.primaryKey, ...table.uniques, ...(table.exclusions ?? [])]) {
      if (key && !has(bound.keys, key.name, table))
        bound.keys.push({ table, name: key.name, definition: key.definition! });
    }
    for (const index of table.indexes) {
      if (!index.backsConstraint && !index.inherited && !has(bound.indexes, index.name, table))
        bound.indexes.push({ table, name: index.name, definition: index.definition.replace(/ ON ONLY /, ' ON ') });
    }
  }
  for (const table of c.tables) {
    for (const fk of table.foreignKeys) {
      const into = isRewritten.has(tableKey(referencedTable(fk)));
      if (
        (into || isRewritten.has(tableKey(table))) &&
        !bound.foreignKeys.some((b) => b.fk.name === fk.name && tableKey(b.table) === tableKey(table))
      )
        bound.foreignKeys.push({ table, fk });
    }
  }
  const externalForeignKeys = external
    .filter(({ fk }) => isRewritten.has(tableKey(referencedTable(fk))))
    .map(({ table, fk }) => ({ table, name: fk.name, definition: fk.definition!, into: referencedTable(fk) }));
  return { ...bound, externalForeignKeys };
}

/**
 * The end of either rewrite: the keys (and each legacy column's unique constraint), indexes, views,
 * policies and triggers built once, the foreign keys added NOT VALID where a validate stage follows
 * (validatesAfter), and the sequence an application-supplied key's legacy column gets.
 */
export const rebuildAfterRewrite = (
  c: ComponentChanges,
  bound: ReturnType<typeof bulkBound>,
  partitioned: Set<string>,
): StepDraft[] => [
  ...rebuildBound(
    bound,
    'uuid',
    c.changes.filter((ch) => ch.role === 'key').map((ch) => legacyUnique(ch, c.tables)),
    [...bound.declaredForeignKeys, ...bound.externalForeignKeys],
    validatesAfter(partitioned),
  ),
  ...c.changes.flatMap(legacySequence),
];

/** A bound foreign key as `Named` (with the table it points into). */
export const namedForeignKey = ({ table, fk }: BoundObjects['foreignKeys'][number]): Named => ({
  table,
  name: fk.name,
  definition: fk.definition!,
  into: referencedTable(fk),
});

/** Every foreign key a rewrite stage adds at its end, as `Named`. */
export const rebuiltForeignKeys = (b: ReturnType<typeof bulkBound>): Named[] => [
  ...b.foreignKeys.map(namedForeignKey),
  ...b.declaredForeignKeys,
  ...b.externalForeignKeys,
];

/** VALIDATE CONSTRAINT of a foreign key added NOT VALID, in a stage after (SHARE UPDATE EXCLUSIVE). */
export const validateForeignKey = (fk: Named): StepDraft =>
  step(
    'constraint',
    `validate foreign key ${fk.name}: one scan, while writes go on`,
    `ALTER TABLE ${qualify(fk.table.schema, fk.table.name)} VALIDATE CONSTRAINT ${quoteIdent(fk.name)}`,
    'SHARE UPDATE EXCLUSIVE',
    fk.table,
  );

/**
 * Whether the rewrite adds this foreign key NOT VALID and validates it after its commit: every one
 * but those already NOT VALID or NOT ENFORCED (they stay so), those on a partitioned table (PostgreSQL takes no NOT
 * VALID foreign key there before 18) and those into one (VALIDATE leaves the copies PostgreSQL makes
 * for each of its partitions marked not valid, before 18): those are validated inside the stage, as
 * before. NOT VALID costs no scan under the stage's lock, and the key checks every write from that
 * moment; the rows the stage wrote back are proven by its own checks before it commits (no orphan,
 * every reference to the same parent), so the VALIDATE after it is PostgreSQL's confirmation, taken
 * while writes go on. `partitioned`: the table keys of the catalog's partitioned tables.
 */
export const validatesAfter =
  (partitioned: Set<string>) =>
  (fk: Named): boolean =>
    !partitioned.has(tableKey(fk.table)) &&
    !(fk.into && partitioned.has(tableKey(fk.into))) &&
    // (PostgreSQL 18 prints NOT ENFORCED for a key it does not enforce, which VALIDATE refuses.)
    !/\sNOT (VALID|ENFORCED)$/.test(fk.definition);

/** The stage after a rewrite: VALIDATE CONSTRAINT for each foreign key it added NOT VALID (SHARE UPDATE EXCLUSIVE). */
export function planRewriteValidate(
  c: ComponentChanges,
  external: { table: TableModel; fk: ForeignKeyModel }[],
  partitioned: Set<string>,
): StepDraft[] {
  return rebuiltForeignKeys(bulkBound(c, rewrittenTables(c), external))
    .filter(validatesAfter(partitioned))
    .map(validateForeignKey);
}

/** The key a validate step validates, as `<table as displayed>\0<name>`; null for another statement. */
export function validatedKey(step: Pick<Step, 'sql' | 'table'>): string | null {
  const name = /VALIDATE CONSTRAINT "((?:[^"]|"")+)"$/.exec(step.sql)?.[1];
  return name && step.table ? `${step.table}\0${name.replace(/""/g, '"')}` : null;
}

/**
 * Rolling back a rewritten component: the keys its validate stage validates were added NOT VALID by
 * the rewrite. Rollback rebuilds those on the converting columns, not the others (on columns that
 * stay, or from tables outside the component): if apply stopped before validating them, rollback
 * validates them here (a key already valid costs nothing). Keys only the Drizzle schema declared are
 * dropped by rollback: left out.
 */
export function validateAgain(plan: Plan, component: string): StepDraft[] {
  const declared = new Set(
    plan.references
      .filter((r) => !r.constraint && r.declared?.name)
      .map((r) => `${displayTable(r.child)}\0${r.declared!.name!}`),
  );
  return plan.stages
    .filter((s) => s.kind === 'validate' && s.component === component)
    .flatMap((s) => s.steps)
    .filter((st) => !declared.has(validatedKey(st) ?? ''))
    .map(({ id: _id, transactional: _t, ...draft }) => ({
      ...draft,
      description: `${draft.description.replace(/:.*$/, '')}, if apply stopped before it did (else nothing to do)`,
    }));
}
