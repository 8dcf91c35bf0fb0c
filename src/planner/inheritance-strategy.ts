import type { CatalogSnapshot, TableModel } from '../model/types.js';
import { displayTable, tableKey } from '../model/types.js';
import type { Component, Finding } from '../model/work.js';
import type { Strategy } from './plan-schema.js';

/** The component's tables with old-style inheritance children (INHERITS, not partitions), each with them. */
function inheritanceParents(component: Component, catalog: CatalogSnapshot): [TableModel, TableModel[]][] {
  const members = new Set(component.tables.map(tableKey));
  const children = catalog.tables.filter((t) => t.parent && !t.isPartition && members.has(tableKey(t.parent)));
  return catalog.tables
    .filter((t) => members.has(tableKey(t)))
    .map((t): [TableModel, TableModel[]] => [t, children.filter((ch) => tableKey(ch.parent!) === tableKey(t))])
    .filter(([, below]) => below.length > 0);
}

/**
 * The rewrite empties and reloads whole tables; a table with inheritance children would take their
 * rows along (TRUNCATE reaches them, INSERT does not), so such a component is updated in place.
 */
export function strategyFor(component: Component, catalog: CatalogSnapshot, wanted: Strategy): Strategy {
  return inheritanceParents(component, catalog).length ? 'update' : wanted;
}

/**
 * A component the plan updates in place although it was asked to rewrite (strategyFor), said in the
 * plan's warnings: its locks are not the rewrite's, and its backfill holds every row it updates until
 * its one transaction commits.
 */
export function inheritanceStrategyWarnings(
  components: Component[],
  catalog: CatalogSnapshot,
  wanted: Strategy,
): Finding[] {
  if (wanted !== 'rewrite') return [];
  return components.flatMap((component) => {
    const parents = inheritanceParents(component, catalog);
    if (!parents.length) return [];
    // LOCK TABLE of a parent reaches its inheritance children too.
    const locked = [...new Set([...component.tables, ...parents.flatMap(([, below]) => below)].map(displayTable))];
    const has = parents
      .map(
        ([t, below]) =>
          `${displayTable(t)} has inheritance children (old-style INHERITS: ${below.map(displayTable).join(', ')})`,
      )
      .join('; ');
    return [
      {
        kind: 'inheritance-update',
        table: { schema: parents[0]![0].schema, name: parents[0]![0].name },
        columns: [],
        message:
          `${has}: its component ${component.id} migrates by expand, backfill and swap, not by a rewrite ` +
          "(a rewrite's TRUNCATE would reach the children, its reload would not). The swap locks its tables " +
          `(${locked.join(', ')}) ACCESS EXCLUSIVE for as long as it brings the backfill up to date and ` +
          'rebuilds every key, index and foreign key (rehearse measures it); the backfill ' +
          'updates every row in one transaction, so writers to those rows wait for it.',
      },
    ];
  });
}
