import { is } from 'drizzle-orm';
import { PgTable } from 'drizzle-orm/pg-core';

/**
 * drizzle-orm 1.0's `defineRelations(tables, (r) => ...)` returns a plain object, one entry per table:
 * `{ table, name, relations: { field: One | Many } }`, each relation with `sourceTable`,
 * `targetTable`, `sourceColumns`, `targetColumns` (filled from the other side when a side gives no
 * `from`/`to`) and, for `r.many.x({ from: r.a.id.through(r.ab.aId), to: r.x.id.through(r.ab.xId) })`,
 * `throughTable` and `through: { source, target }`. Its columns are builder wrappers holding the real
 * column in `_.column`. Nothing here imports drizzle-orm 1.0: a relation is known by its entity kind.
 */
const ENTITY_KIND = Symbol.for('drizzle:entityKind');

interface BuilderColumn {
  _?: { column?: { name: string } };
  name?: string;
}
interface RelationV2 {
  relationType?: string;
  sourceTable: PgTable;
  targetTable: PgTable;
  sourceColumns: BuilderColumn[];
  targetColumns: BuilderColumn[];
  throughTable?: PgTable;
  through?: { source: BuilderColumn[]; target: BuilderColumn[] };
}

/** One reference a relation declares: child columns onto parent columns. */
export interface RelationLink {
  child: PgTable;
  columns: string[];
  parent: PgTable;
  parentColumns: string[];
}

function kindsOf(value: unknown): string[] {
  const kinds: string[] = [];
  for (let c = (value as { constructor?: unknown })?.constructor; typeof c === 'function'; c = Object.getPrototypeOf(c))
    if (Object.hasOwn(c, ENTITY_KIND)) kinds.push((c as unknown as Record<symbol, string>)[ENTITY_KIND]!);
  return kinds;
}

const isRelation = (value: unknown): value is RelationV2 => kindsOf(value).includes('RelationV2');

/**
 * Whether an export is what `defineRelations` (or `defineRelationsPart`) returned: an entry per table
 * or view it was given (`drizzle-kit pull` passes the whole schema, views included), at least one
 * with a relation.
 */
export function isRelationsV2(value: unknown): value is Record<string, { relations: Record<string, unknown> }> {
  if (!value || typeof value !== 'object' || Object.getPrototypeOf(value) !== Object.prototype) return false;
  const entries = Object.values(value);
  return (
    entries.length > 0 &&
    entries.every((e) => e && typeof e === 'object' && 'table' in e && 'relations' in e) &&
    entries.some((e) => Object.values((e as { relations: object }).relations ?? {}).some(isRelation))
  );
}

const names = (columns: BuilderColumn[]) => columns.map((c) => c._?.column?.name ?? c.name ?? '');

/**
 * The references an export of `defineRelations` declares. A relation names two column lists and not
 * which side holds the reference: the parent is the side whose columns are its table's primary key,
 * else a unique key (`isKey`), else the relation's target, as in drizzle-orm 0.x's `one()`. A `through`
 * relation is two references, from the junction's columns onto each side.
 */
export function relationLinks(
  value: Record<string, { relations: Record<string, unknown> }>,
  isKey: (table: PgTable, columns: string[], primaryOnly: boolean) => boolean,
): RelationLink[] {
  const links: RelationLink[] = [];
  for (const entry of Object.values(value)) {
    for (const relation of Object.values(entry.relations ?? {})) {
      // A relation of a view, or onto one, declares no reference a key could hold.
      if (!isRelation(relation) || !is(relation.sourceTable, PgTable) || !is(relation.targetTable, PgTable)) continue;
      const source = { table: relation.sourceTable, columns: names(relation.sourceColumns) };
      const target = { table: relation.targetTable, columns: names(relation.targetColumns) };
      if (relation.throughTable && relation.through) {
        if (!is(relation.throughTable, PgTable)) continue;
        const junction = relation.throughTable;
        links.push({
          child: junction,
          columns: names(relation.through.source),
          parent: source.table,
          parentColumns: source.columns,
        });
        links.push({
          child: junction,
          columns: names(relation.through.target),
          parent: target.table,
          parentColumns: target.columns,
        });
        continue;
      }
      const [child, parent] = parentSide(source, target, isKey);
      links.push({ child: child.table, columns: child.columns, parent: parent.table, parentColumns: parent.columns });
    }
  }
  return links;
}

type Side = { table: PgTable; columns: string[] };

function parentSide(
  source: Side,
  target: Side,
  isKey: (t: PgTable, c: string[], pk: boolean) => boolean,
): [Side, Side] {
  for (const primaryOnly of [true, false]) {
    if (isKey(target.table, target.columns, primaryOnly)) return [source, target];
    if (isKey(source.table, source.columns, primaryOnly)) return [target, source];
  }
  return [source, target];
}
