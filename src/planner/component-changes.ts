import { deriveName, ORPHAN_SUFFIX, RETIRED_SUFFIX, SHADOW_SUFFIX } from '../db/derived-names.js';
import { definingTable, descendantsOf, tablesByKey } from '../model/inheritance.js';
import type { CatalogSnapshot, ColumnModel, RuleModel, TableModel, ViewModel } from '../model/types.js';
import { columnKey, compareText, tableKey } from '../model/types.js';
import type { Component, KeyConversion, ReferenceWork } from '../model/work.js';
import type { OrphanPolicy } from './plan-schema.js';

/** One column that becomes uuid, and the names the migration gives it along the way. */
export interface ColumnChange {
  table: TableModel;
  column: ColumnModel;
  /** `key`: gets fresh uuids, old value kept in the legacy column. `reference`: filled from its parent. */
  role: 'key' | 'reference';
  shadow: string;
  /** key: the legacy column name; reference: where the old integer rests until finalize. */
  keepAs: string;
  newDefault: string | null;
  /** reference: the reference its value is filled from. */
  fillFrom: ReferenceWork | null;
  /** reference with orphans under --orphans null|keep: the column that keeps their old values. */
  orphanColumn: string | null;
  /**
   * key without a default (the application supplied its ids): the sequence its legacy column gets, so
   * rows inserted after apply still get an integer and rollback stays exact.
   */
  legacySequence: string | null;
}

export interface ComponentChanges {
  component: Component;
  tables: TableModel[];
  changes: ColumnChange[];
  references: ReferenceWork[];
  /** Views that read a converting column, directly or through another view: drop order. */
  views: ViewModel[];
  /** Rules, on any table, that read a converting column: they bind columns by number, like views. */
  rules: { table: TableModel; rule: RuleModel }[];
  /**
   * Partitions and inheritance children of the component's tables, with the columns they take from a
   * converting column: those change with the parent, and the child's own keys, indexes and foreign keys
   * on them are carried like the parent's.
   */
  children: { table: TableModel; columns: string[] }[];
}

/**
 * A NOT NULL key with no default and no identity: the application supplied its values, and once its
 * legacy column stays NOT NULL, every insert that only gives a uuid would fail.
 */
export const appSupplied = (column: ColumnModel): boolean =>
  column.notNull && column.default === null && !column.identity;

/** The component's tables that have a column changing: the ones a stage alters. */
export const changedTables = (c: ComponentChanges): TableModel[] =>
  c.tables.filter((t) => c.changes.some((ch) => tableKey(ch.table) === tableKey(t)));

/** The component's tables with their partitions and inheritance children: what its writes reach. */
export const withChildren = (c: ComponentChanges): TableModel[] => {
  const members = new Set(c.tables.map(tableKey));
  // A child with work of its own is a member too: once.
  return [...c.tables, ...c.children.map((ch) => ch.table).filter((t) => !members.has(tableKey(t)))];
};

export interface ChangeInput {
  catalog: CatalogSnapshot;
  conversions: KeyConversion[];
  references: ReferenceWork[];
  orphans: Map<string, number>;
  orphanPolicy: OrphanPolicy;
}

/** Work out, per component, every column that changes and the derived names it needs. Pure. */
export function componentChanges(component: Component, input: ChangeInput): ComponentChanges {
  const inComponent = new Set(component.tables.map(tableKey));
  const tables = input.catalog.tables.filter((t) => inComponent.has(tableKey(t)));
  const byKey = new Map(tables.map((t) => [tableKey(t), t]));
  const references = input.references.filter((r) => inComponent.has(tableKey(r.child)));
  const taken = new Map(tables.map((t) => [tableKey(t), new Set(t.columns.map((c) => c.name))]));
  const reserve = (t: TableModel, base: string, suffix: string) => {
    const names = taken.get(tableKey(t))!;
    const name = deriveName(base, suffix, names);
    names.add(name);
    return name;
  };
  // Sequences share their schema's namespace with tables and indexes: the component's are avoided (a
  // clash with another relation fails the DDL check at plan time).
  const relations = new Set(tables.flatMap((t) => [t.name, ...t.indexes.map((i) => i.name)]));
  const sequenceName = (table: TableModel, legacy: string) => {
    const name = deriveName(`${table.name}_${legacy}`, '_seq', relations);
    relations.add(name);
    return name;
  };
  const changes: ColumnChange[] = [];
  for (const conversion of input.conversions.filter((c) => inComponent.has(tableKey(c.table)))) {
    const table = byKey.get(tableKey(conversion.table))!;
    const column = table.columns.find((c) => c.name === conversion.column)!;
    changes.push({
      table,
      column,
      role: 'key',
      shadow: reserve(table, column.name, SHADOW_SUFFIX),
      keepAs: conversion.legacyColumn,
      newDefault: conversion.newDefault,
      fillFrom: null,
      orphanColumn: null,
      legacySequence: appSupplied(column) ? sequenceName(table, conversion.legacyColumn) : null,
    });
  }
  const fills = fillingReferences(references);
  for (const ref of references) {
    const table = byKey.get(tableKey(ref.child))!;
    for (const name of ref.convertColumns) {
      if (fills.get(columnKey(table, name)) !== ref) continue;
      const column = table.columns.find((c) => c.name === name)!;
      const hasOrphans = (input.orphans.get(ref.id) ?? 0) > 0 && input.orphanPolicy !== 'fail';
      changes.push({
        table,
        column,
        role: 'reference',
        shadow: reserve(table, name, SHADOW_SUFFIX),
        keepAs: reserve(table, name, RETIRED_SUFFIX),
        newDefault: null,
        fillFrom: ref,
        orphanColumn: hasOrphans ? reserve(table, name, ORPHAN_SUFFIX) : null,
        legacySequence: null,
      });
    }
  }
  changes.sort(
    (a, b) =>
      compareText(tableKey(a.table), tableKey(b.table)) ||
      a.table.columns.indexOf(a.column) - b.table.columns.indexOf(b.column),
  );
  const converting = new Set(changes.map((c) => columnKey(c.table, c.column.name)));
  const children = childrenOf(tables, input.catalog, converting);
  // Views and rules may read a child's column: it is a converting column too.
  const following = new Set([
    ...converting,
    ...children.flatMap((ch) => ch.columns.map((c) => columnKey(ch.table, c))),
  ]);
  return {
    component,
    tables,
    changes,
    references,
    views: dependentViews(input.catalog.views, following),
    rules: input.catalog.tables.flatMap((table) =>
      (table.rules ?? [])
        .filter((rule) => rule.uses.some((u) => following.has(columnKey(u, u.column))))
        .map((rule) => ({ table, rule })),
    ),
    children,
  };
}

/** The descendants of the component's tables, each with the columns it takes from a converting one. */
function childrenOf(
  tables: TableModel[],
  catalog: CatalogSnapshot,
  converting: Set<string>,
): ComponentChanges['children'] {
  const byKey = tablesByKey(catalog.tables);
  const seen = new Set<string>();
  return tables
    .flatMap((t) => descendantsOf(catalog.tables, t))
    .filter((child) => !seen.has(tableKey(child)) && seen.add(tableKey(child)))
    .map((table) => {
      const follows = (c: ColumnModel) => converting.has(columnKey(definingTable(byKey, table, c.name), c.name));
      return { table, columns: table.columns.filter((c) => c.inherited && follows(c)).map((c) => c.name) };
    })
    .filter((child) => child.columns.length > 0);
}

/** Views reading a converting column, transitively through other views, dependents first. */
function dependentViews(views: ViewModel[], columns: Set<string>): ViewModel[] {
  const affected = new Set<string>();
  for (let changed = true; changed; ) {
    changed = false;
    for (const v of views) {
      if (affected.has(tableKey(v))) continue;
      if (v.uses.some((u) => columns.has(columnKey(u, u.column)) || affected.has(tableKey(u)))) {
        affected.add(tableKey(v));
        changed = true;
      }
    }
  }
  // Drop order: a view before the views it reads.
  const order: ViewModel[] = [];
  const visit = (v: ViewModel, stack: Set<string>) => {
    if (order.includes(v) || stack.has(tableKey(v))) return;
    stack.add(tableKey(v));
    for (const other of views) {
      if (affected.has(tableKey(other)) && other.uses.some((u) => tableKey(u) === tableKey(v))) visit(other, stack);
    }
    order.push(v);
  };
  for (const v of views.filter((x) => affected.has(tableKey(x)))) visit(v, new Set());
  return order;
}

/** The key a reference ultimately holds, through references to references (1:1 keys). */
export function rootKey(ch: ColumnChange, c: ComponentChanges): string | null {
  for (let current: ColumnChange | undefined = ch, hops = 0; current && hops < 64; hops++) {
    const ref: ColumnChange['fillFrom'] & object = current.fillFrom!;
    const parentColumn: string = ref.parentColumns[ref.columns.indexOf(current.column.name)]!;
    const key = columnKey(ref.parent, parentColumn);
    if (c.changes.some((x) => x.role === 'key' && columnKey(x.table, x.column.name) === key)) return key;
    const next: ColumnChange | undefined = c.changes.find(
      (x) => x.role === 'reference' && columnKey(x.table, x.column.name) === key,
    );
    current = next;
  }
  return null;
}

/**
 * The reference each converting column is filled from (by columnKey): a column in several references
 * is filled once, from a single-column reference if it has one (then the fewest columns, then the id).
 */
export function fillingReferences(references: ReferenceWork[]): Map<string, ReferenceWork> {
  const fills = new Map<string, ReferenceWork>();
  const ordered = [...references].sort((a, b) => a.columns.length - b.columns.length || compareText(a.id, b.id));
  for (const ref of ordered) {
    for (const name of ref.convertColumns) {
      const key = columnKey(ref.child, name);
      if (!fills.has(key)) fills.set(key, ref);
    }
  }
  return fills;
}
