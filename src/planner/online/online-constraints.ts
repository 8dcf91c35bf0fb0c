import { qualify, qualifyTable, quoteIdent, quoteLiteral } from '../../db/quote.js';
import { type ForeignKeyModel, referencedTable, type TableModel, tableKey } from '../../model/types.js';
import type { Named } from '../bound-objects.js';
import type { ColumnChange, ComponentChanges } from '../component-changes.js';
import { clauses, columnList, doBlock } from '../sql-text.js';
import { type StepDraft, step } from '../step.js';
import { notNullCheckName, shadowObject, shadowsOf } from './online-names.js';
import { expressionOnShadows } from './rewrite-sql.js';

/** Checks and foreign keys built beside the old ones: added NOT VALID, then validated while writes go on. */

/**
 * ADD CONSTRAINT ... NOT VALID unless it is there (a resumed build), then VALIDATE; a constraint that
 * was NOT VALID before (`validate` false) stays so: validating it would check rows its owner never
 * had checked, and fail on the first that breaks it.
 */
export function addThenValidate(
  table: TableModel,
  name: string,
  definition: string,
  what: string,
  validate = true,
): StepDraft[] {
  const t = qualifyTable(table);
  return [
    {
      ...step(
        'constraint',
        `add ${what} as ${name}, NOT VALID (checks new writes from now on; no scan)`,
        doBlock(
          clauses(
            `BEGIN IF NOT EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = ${quoteLiteral(t)}::regclass`,
            `AND conname = ${quoteLiteral(name)}) THEN`,
            `ALTER TABLE ${t} ADD CONSTRAINT ${quoteIdent(name)} ${definition} NOT VALID; END IF; END`,
          ),
        ),
        // PostgreSQL adds a foreign key under SHARE ROW EXCLUSIVE, a check under ACCESS EXCLUSIVE (for a
        // moment: NOT VALID reads no row).
        definition.startsWith('FOREIGN KEY') ? 'SHARE ROW EXCLUSIVE' : 'ACCESS EXCLUSIVE',
        table,
      ),
      creates: name,
    },
    ...(validate
      ? [
          step(
            'constraint',
            `validate ${name}: one scan, while writes go on`,
            `ALTER TABLE ${t} VALIDATE CONSTRAINT ${quoteIdent(name)}`,
            'SHARE UPDATE EXCLUSIVE',
            table,
          ),
        ]
      : []),
  ];
}

export function notNullCheck(change: ColumnChange): StepDraft[] {
  return addThenValidate(
    change.table,
    notNullCheckName(change),
    `CHECK (${quoteIdent(change.shadow)} IS NOT NULL)`,
    `a check that ${change.shadow} is set`,
  );
}

/** A CHECK that reads a converting reference, again on the shadows (as it reads after the swap). */
export function checkOnShadows(c: ComponentChanges, check: Named): StepDraft[] {
  const parts = /^CHECK \((.*)\)( NO INHERIT)?( NOT VALID)?$/s.exec(check.definition);
  if (!parts) throw new Error(`unexpected CHECK definition: ${check.definition}`);
  const expression = expressionOnShadows(parts[1]!, shadowsOf(c, check.table));
  const definition = `CHECK (${expression})${parts[2] ?? ''}`;
  const what = `check ${check.name} on the uuid columns`;
  return addThenValidate(check.table, shadowObject(check.name), definition, what, !parts[3]);
}

const action = (a: string) => a.toUpperCase();

/** A foreign key again on the shadows: the child's converting columns, and the parent's. */
export function foreignKey(
  c: ComponentChanges,
  table: TableModel,
  fk: ForeignKeyModel,
  own = shadowsOf(c, table),
): StepDraft[] {
  return foreignKeyOnColumns(table, fk, own, shadowsOf(c, referencedTable(fk)), {
    name: shadowObject(fk.name),
    what: `foreign key ${fk.name} on the uuid columns`,
  });
}

/** A foreign key as it was, on other columns of the child (`own`) and the parent (`parent`). */
export function foreignKeyOnColumns(
  table: TableModel,
  fk: ForeignKeyModel,
  own: ReadonlyMap<string, string>,
  parent: ReadonlyMap<string, string>,
  as: { name: string; what: string },
): StepDraft[] {
  return addThenValidate(table, as.name, foreignKeyDefinition(fk, own, parent), as.what, fk.validated);
}

/** `FOREIGN KEY (...) REFERENCES ...` with its actions, on the columns `own` and `parent` map to. */
export function foreignKeyDefinition(
  fk: ForeignKeyModel,
  own: ReadonlyMap<string, string> = new Map(),
  parent: ReadonlyMap<string, string> = new Map(),
): string {
  const refColumns = columnList(fk.refColumns.map((col) => parent.get(col) ?? col));
  return clauses(
    `FOREIGN KEY (${columnList(fk.columns.map((col) => own.get(col) ?? col))})`,
    `REFERENCES ${qualify(fk.refSchema, fk.refTable)} (${refColumns})`,
    fk.match === 'full' && 'MATCH FULL',
    `ON DELETE ${action(fk.onDelete)} ON UPDATE ${action(fk.onUpdate)}`,
    fk.deferrable && 'DEFERRABLE',
    fk.initiallyDeferred && 'INITIALLY DEFERRED',
  );
}

/** Foreign keys the Drizzle schema declares that the integer columns could not have: added on the shadows. */
export function declaredForeignKeys(c: ComponentChanges): { table: TableModel; fk: ForeignKeyModel }[] {
  return c.references
    .filter((ref) => !ref.constraint && ref.declared?.name)
    .map((ref) => ({
      table: c.tables.find((t) => tableKey(t) === tableKey(ref.child))!,
      fk: {
        name: ref.declared!.name!,
        columns: ref.columns,
        refSchema: ref.parent.schema,
        refTable: ref.parent.name,
        refColumns: ref.parentColumns,
        onDelete: ref.declared!.onDelete ?? 'no action',
        onUpdate: ref.declared!.onUpdate ?? 'no action',
        deferrable: false,
        initiallyDeferred: false,
        match: 'simple',
        validated: true,
      },
    }));
}
