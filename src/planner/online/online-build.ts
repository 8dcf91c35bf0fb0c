import { qualify, qualifyTable, quoteIdent, quoteLiteral } from '../../db/quote.js';
import type { TableModel } from '../../model/types.js';
import { boundObjects, legacyUniqueName } from '../bound-objects.js';
import type { ColumnChange, ComponentChanges } from '../component-changes.js';
import { clauses, columnList, doBlock } from '../sql-text.js';
import { type StepDraft, step } from '../step.js';
import { checkOnShadows, declaredForeignKeys, foreignKey, notNullCheck } from './online-constraints.js';
import { indexOf, intoPartitioned, shadowObject, shadowsOf } from './online-names.js';
import { isPartitioned, partitionIndex, partitionLegacyName, partitionsOf } from './online-partitions.js';
import { indexOnShadows } from './rewrite-sql.js';

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
