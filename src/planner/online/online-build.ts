import { deriveName, SHADOW_SUFFIX } from '../../db/derived-names.js';
import { qualify, qualifyTable, quoteIdent, quoteLiteral } from '../../db/quote.js';
import { type ForeignKeyModel, referencedTable, type TableModel, type TableRef, tableKey } from '../../model/types.js';
import { boundObjects, legacyUniqueName, type Named } from '../bound-objects.js';
import type { ColumnChange, ComponentChanges } from '../component-changes.js';
import { clauses, columnList, doBlock } from '../sql-text.js';
import { type StepDraft, step } from '../step.js';
import { isPartitioned, partitionIndex, partitionLegacyName, partitionsOf } from './online-partitions.js';
import { expressionOnShadows, indexOnShadows } from './rewrite-sql.js';

/**
 * Everything the online swap needs, made beside the integer objects while the application writes,
 * so the swap only renames and attaches: a unique index on each key's shadow (it becomes the primary
 * key), one on each legacy integer (it keeps it unique), every index and unique key on a converting
 * column again on the shadows, `CHECK (shadow IS NOT NULL)` for each NOT NULL column (the swap's
 * SET NOT NULL trusts it instead of scanning), and every foreign key again on the shadows. Indexes
 * are built CONCURRENTLY; checks and foreign keys are added NOT VALID (a moment's lock) and then
 * validated under SHARE UPDATE EXCLUSIVE, which writers do not wait for.
 */
export function planOnlineBuild(c: ComponentChanges): StepDraft[] {
  const bound = boundObjects(c);
  const keys = bound.keys.filter((k) => /^(PRIMARY KEY|UNIQUE)\b/.test(k.definition));
  const index = (table: TableModel, definition: string, name: string, what: string) =>
    indexBeside(c, table, { definition, name, what }, shadowsOf(c, table));
  return [
    ...keys.flatMap((k) => index(k.table, indexOf(k), k.name, `key ${k.name}`)),
    ...c.changes.filter((ch) => ch.role === 'key').flatMap((ch) => legacyIndex(c, ch)),
    ...bound.indexes.flatMap((ix) => index(ix.table, ix.definition, ix.name, `index ${ix.name}`)),
    ...c.changes.filter((ch) => ch.column.notNull).flatMap(notNullCheck),
    ...bound.keys.filter((k) => k.definition.startsWith('CHECK')).flatMap((k) => checkOnShadows(c, k)),
    ...[...bound.foreignKeys, ...declaredForeignKeys(c)]
      .filter(({ fk }) => !intoPartitioned(c, fk))
      .flatMap(({ table, fk }) =>
        isPartitioned(table)
          ? partitionsOf(c, table).flatMap((p) => foreignKey(c, p, fk, shadowsOf(c, table)))
          : foreignKey(c, table, fk),
      ),
  ];
}

/**
 * An index built again beside the old one, on other columns (`columns`), under `built(name)`; a
 * partitioned table's on each partition (the swap attaches them).
 */
export function indexBeside(
  c: ComponentChanges,
  table: TableModel,
  index: { definition: string; name: string; what: string },
  columns: ReadonlyMap<string, string>,
  built = shadowObject,
  on = 'uuid',
): StepDraft[] {
  if (!isPartitioned(table)) return buildIndex(table, index.definition, built(index.name), index.what, columns, on);
  return partitionsOf(c, table).flatMap((p) => {
    const own = partitionIndex(p, index.definition);
    if (!own) throw new Error(`no index of partition ${p.name} matches ${index.name}`);
    return buildIndex(p, own.definition, built(own.name), `${index.what}, on partition ${p.name}`, columns, on);
  });
}

/**
 * A foreign key into a partitioned table needs a unique key on it, which the shadows get only at the
 * swap: the swap adds it NOT VALID (catalog only) and a stage after it validates it.
 */
export function intoPartitioned(c: ComponentChanges, fk: ForeignKeyModel): boolean {
  const parent = c.tables.find((t) => tableKey(t) === tableKey(referencedTable(fk)));
  return !!parent && isPartitioned(parent);
}

/** The name of the shadow copy of an index or constraint, renamed into place by the swap. */
export const shadowObject = (name: string): string => deriveName(name, SHADOW_SUFFIX);

/** The CHECK (shadow IS NOT NULL) that lets the swap's SET NOT NULL skip its scan. */
export const notNullCheckName = (change: ColumnChange): string =>
  deriveName(`${change.table.name}_${change.column.name}`, '__uuidmig_not_null');

/** A table's converting columns and their shadows. */
export function shadowsOf(c: ComponentChanges, table: TableRef): Map<string, string> {
  const owner = tableKey(rootOf(c, table));
  return new Map(c.changes.filter((ch) => tableKey(ch.table) === owner).map((ch) => [ch.column.name, ch.shadow]));
}

/** A partition's columns are its partitioned table's: the table whose changes they follow. */
export function rootOf(c: ComponentChanges, table: TableRef): TableRef {
  let current: TableRef = table;
  for (let hops = 0; hops < 16; hops++) {
    const child = c.children.find((ch) => tableKey(ch.table) === tableKey(current) && ch.table.isPartition);
    if (!child?.table.parent) return current;
    current = child.table.parent;
  }
  return current;
}

/** The index PostgreSQL made for a key constraint, as it prints it. */
export function indexOf(key: Named): string {
  const index = key.table.indexes.find((i) => i.name === key.name);
  if (!index) throw new Error(`no index found for constraint ${key.name} of ${key.table.name}`);
  return index.definition;
}

/**
 * A concurrent build: first drop what a failed attempt left (an INVALID index of that name; a
 * valid one, finished before a crash, is kept by IF NOT EXISTS), then build.
 */
export function buildIndex(
  table: TableModel,
  definition: string,
  name: string,
  what: string,
  shadows: ReadonlyMap<string, string>,
  on = 'uuid',
): StepDraft[] {
  return [
    dropInvalidIndex(table, name),
    {
      ...step(
        'index',
        `build ${what} again on the ${on} columns, as ${name}, while writes go on (CONCURRENTLY)`,
        indexOnShadows(definition, name, shadows),
        'SHARE UPDATE EXCLUSIVE',
        table,
      ),
      creates: name,
    },
  ];
}

function dropInvalidIndex(table: TableModel, name: string): StepDraft {
  return step(
    'drop',
    `drop ${name} if an interrupted build left it INVALID (a moment's lock, only then)`,
    doBlock(
      clauses(
        'BEGIN IF EXISTS (SELECT 1 FROM pg_index AS i',
        `WHERE i.indexrelid = to_regclass(${quoteLiteral(qualify(table.schema, name))}) AND NOT i.indisvalid)`,
        `THEN DROP INDEX ${qualify(table.schema, name)}; END IF; END`,
      ),
    ),
    'ACCESS EXCLUSIVE',
    table,
  );
}

/**
 * The legacy integer stays unique after the swap: its index is built now, attached by the swap. On a
 * partitioned table it takes the partition key too, on each partition.
 */
function legacyIndex(c: ComponentChanges, change: ColumnChange): StepDraft[] {
  const what = `a unique index on ${change.column.name}`;
  if (!isPartitioned(change.table)) {
    const name = legacyUniqueName(change, c.tables);
    const on = `${qualifyTable(change.table)} (${quoteIdent(change.column.name)})`;
    return buildIndex(change.table, `CREATE UNIQUE INDEX ${quoteIdent(name)} ON ${on}`, name, what, new Map());
  }
  const columns = [change.column.name, ...(change.table.partitionKey ?? []).filter((k) => k !== change.column.name)];
  return partitionsOf(c, change.table).flatMap((p) => {
    const name = partitionLegacyName(p, change);
    const definition = `CREATE UNIQUE INDEX ${quoteIdent(name)} ON ${qualifyTable(p)} (${columnList(columns)})`;
    return buildIndex(p, definition, name, `${what}, on partition ${p.name}`, new Map());
  });
}

/** ADD CONSTRAINT ... NOT VALID unless it is there (a resumed build), then VALIDATE. */
export function addThenValidate(table: TableModel, name: string, definition: string, what: string): StepDraft[] {
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
        'SHARE ROW EXCLUSIVE',
        table,
      ),
      creates: name,
    },
    step(
      'constraint',
      `validate ${name}: one scan, while writes go on`,
      `ALTER TABLE ${t} VALIDATE CONSTRAINT ${quoteIdent(name)}`,
      'SHARE UPDATE EXCLUSIVE',
      table,
    ),
  ];
}

function notNullCheck(change: ColumnChange): StepDraft[] {
  return addThenValidate(
    change.table,
    notNullCheckName(change),
    `CHECK (${quoteIdent(change.shadow)} IS NOT NULL)`,
    `a check that ${change.shadow} is set`,
  );
}

/** A CHECK that reads a converting reference, again on the shadows (as it reads after the swap). */
function checkOnShadows(c: ComponentChanges, check: Named): StepDraft[] {
  const parts = /^CHECK \((.*)\)( NO INHERIT)?( NOT VALID)?$/s.exec(check.definition);
  if (!parts) throw new Error(`unexpected CHECK definition: ${check.definition}`);
  const expression = expressionOnShadows(parts[1]!, shadowsOf(c, check.table));
  const definition = `CHECK (${expression})${parts[2] ?? ''}`;
  return addThenValidate(check.table, shadowObject(check.name), definition, `check ${check.name} on the uuid columns`);
}

const action = (a: string) => a.toUpperCase();

/** A foreign key again on the shadows: the child's converting columns, and the parent's. */
function foreignKey(
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
  return addThenValidate(table, as.name, foreignKeyDefinition(fk, own, parent), as.what);
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
