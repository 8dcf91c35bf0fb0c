import { displayTable, type TableModel, tableKey } from '../../model/types.js';
import type { Finding } from '../../model/work.js';
import { boundObjects } from '../bound-objects.js';
import type { ComponentChanges } from '../component-changes.js';
import { batchKey } from './online-backfill.js';
import { intoPartitioned } from './online-names.js';
import { isPartitioned } from './online-partitions.js';

const finding = (table: TableModel, columns: string[], message: string): Finding => ({
  kind: 'online-unsupported',
  table: { schema: table.schema, name: table.name },
  columns,
  message,
});

/**
 * What the online strategy cannot do without holding a lock for longer than a moment, or at all
 * yet: each one is named at plan time, with the strategy that can (update, which locks the
 * component for its swap), rather than found out under the application's traffic.
 */
export function onlineBlockers(c: ComponentChanges): Finding[] {
  const found: Finding[] = [];
  for (const table of c.tables) {
    if (table.parent && !table.isPartition)
      found.push(
        finding(
          table,
          [],
          `${displayTable(table)} is part of an inheritance tree, which --strategy online does not convert yet ` +
            '(its indexes and foreign keys cannot all be built beside the old ones without a long lock); use ' +
            '--strategy update.',
        ),
      );
    else if (
      !batchKey(table) &&
      (isPartitioned(table) || c.changes.some((ch) => ch.role === 'key' && tableKey(ch.table) === tableKey(table)))
    )
      found.push(
        finding(
          table,
          table.primaryKey?.columns ?? [],
          `${displayTable(table)} has no primary key: the online backfill can walk a plain table by its pages to ` +
            'fill references, but not give a key its uuids or walk a partitioned table that way; ' +
            'use --strategy update.',
        ),
      );
  }
  for (const child of c.children.filter((ch) => !ch.table.isPartition || isPartitioned(ch.table)))
    found.push(
      finding(
        child.table,
        child.columns,
        `${displayTable(child.table)} inherits converting columns (an inheritance child, or a partition that is ` +
          'partitioned itself), which --strategy online does not convert yet; use --strategy update.',
      ),
    );
  const bound = boundObjects(c);
  for (const { table, fk } of bound.foreignKeys.filter((x) => isPartitioned(x.table) && intoPartitioned(c, x.fk)))
    found.push(
      finding(
        table,
        fk.columns,
        `Foreign key ${fk.name} goes from one partitioned table into another; --strategy online cannot build it ` +
          'beside the old one (PostgreSQL takes no NOT VALID foreign key on a partitioned table before 18); use ' +
          '--strategy update.',
      ),
    );
  for (const key of bound.keys.filter((k) => k.definition.startsWith('EXCLUDE')))
    found.push(
      finding(
        key.table,
        [],
        `Exclusion constraint ${key.name} on ${displayTable(key.table)} covers a converting column; --strategy ` +
          'online cannot build it beside the old one; use --strategy update.',
      ),
    );
  for (const view of c.views.filter((v) => v.kind === 'materialized'))
    found.push(
      finding(
        view as unknown as TableModel,
        [],
        `Materialized view ${displayTable(view)} reads a converting column: recreating it would read its tables ` +
          'under the swap lock; use --strategy update (or drop it and create it after the migration).',
      ),
    );
  return found;
}
