import type { CatalogSnapshot, ColumnModel, ColumnRef, TableModel, TableRef } from './types.js';
import { columnKey, isIntegerType, sameTable } from './types.js';
import type { Work } from './work.js';

/** A converting key an undeclared column may hold values of. */
export interface KeyParent {
  table: TableRef;
  column: string;
  type: string;
}

/** An integer column nothing declares as a reference that may hold ids of converting keys. */
export interface LikelyReference {
  child: TableModel;
  column: ColumnModel;
  /** Parents its name or its comment points at; empty when only its values can tell (a polymorphic `content_id`). */
  named: { parent: KeyParent; by: 'name' | 'comment' }[];
  /** Where its values are looked for: the named parents, else every converting key. */
  parents: KeyParent[];
}

/** `posts` -> `post`, `categories` -> `category`, `boxes` -> `box`: enough for table names. */
export function singular(name: string): string {
  if (/ies$/.test(name)) return name.replace(/ies$/, 'y');
  if (/(s|x|z|ch|sh)es$/.test(name)) return name.replace(/es$/, '');
  if (/[^s]s$/.test(name)) return name.slice(0, -1);
  return name;
}

const snake = (name: string) => name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();

/** Whether a column's name ends with `<parent>_id` on a word boundary: `post_id`, `last_post_id`, `postId`. */
function namesParent(column: string, parent: TableRef): boolean {
  const name = snake(column);
  return [singular(parent.name), parent.name]
    .map((p) => `${snake(p)}_id`)
    .some((suffix) => name === suffix || name.endsWith(`_${suffix}`));
}

const mentions = (comment: string | null | undefined, parent: TableRef) =>
  Boolean(comment && new RegExp(`\\b${parent.name.replace(/[^A-Za-z0-9_]/g, '.')}\\b`, 'i').test(comment));

/**
 * Integer columns that hold ids of a converting key but are declared nowhere (no foreign key, no
 * `.references()`, no `relations()`): a `last_post_id`, an `active_frame_id`, a polymorphic
 * `content_id`. After finalize they would point at nothing, silently. Candidates by name (or comment)
 * and type; the database then says what share of their values are the parent's keys. Pure.
 */
export function likelyReferences(catalog: CatalogSnapshot, work: Work, settled: ColumnRef[]): LikelyReference[] {
  const parents: KeyParent[] = work.conversions.map((c) => ({ table: c.table, column: c.column, type: c.fromType }));
  const referencing = new Set([
    ...work.conversions.map((c) => columnKey(c.table, c.column)),
    ...work.references.flatMap((r) => r.columns.map((c) => columnKey(r.child, c))),
    ...catalog.tables.flatMap((t) => t.foreignKeys.flatMap((fk) => fk.columns.map((c) => columnKey(t, c)))),
    ...settled.map((s) => columnKey(s, s.column)),
  ]);
  const found: LikelyReference[] = [];
  for (const child of catalog.tables.filter((t) => !t.isPartition)) {
    for (const column of child.columns) {
      if (!isIntegerType(column.type) || column.identity || column.ownedSequence || column.inherited) continue;
      if (referencing.has(columnKey(child, column.name))) continue;
      const others = parents.filter((p) => !sameTable(p.table, child) || p.column !== column.name);
      const named = others.flatMap((parent): LikelyReference['named'] => {
        if (namesParent(column.name, parent.table)) return [{ parent, by: 'name' }];
        return mentions(column.comment, parent.table) ? [{ parent, by: 'comment' }] : [];
      });
      const idLike = /(_id|Id|ID)$/.test(column.name) && !(child.primaryKey?.columns ?? []).includes(column.name);
      if (!named.length && !idLike) continue;
      const candidates = named.length ? named.map((n) => n.parent) : others.filter((p) => !sameTable(p.table, child));
      if (candidates.length) found.push({ child, column, named, parents: candidates });
    }
  }
  return found;
}
