import { deriveName } from '../../db/derived-names.js';
import { qualify, qualifyTable, quoteIdent } from '../../db/quote.js';
import { type IndexModel, type TableModel, tableKey } from '../../model/types.js';
import type { ColumnChange, ComponentChanges } from '../component-changes.js';
import { clauses } from '../sql-text.js';
import { type StepDraft, step } from '../step.js';
import { indexShape } from './rewrite-sql.js';

/**
 * A partitioned table takes neither CREATE INDEX CONCURRENTLY nor ADD CONSTRAINT ... USING INDEX, and
 * (before PostgreSQL 18) no NOT VALID foreign key: the online build makes each index, key and foreign
 * key on every partition instead (concurrently, NOT VALID + VALIDATE), and the swap attaches them to
 * the partitioned table (catalog only: an index or constraint made on the partitioned table adopts
 * the matching ones its partitions already have).
 */
export const isPartitioned = (table: TableModel): boolean => table.kind === 'partitioned';

/** The partitions of a partitioned table of the component. */
export function partitionsOf(c: ComponentChanges, table: TableModel): TableModel[] {
  return c.children
    .map((ch) => ch.table)
    .filter((t) => t.isPartition && t.parent && tableKey(t.parent) === tableKey(table));
}

/** The partition's index that is its copy of the partitioned table's index `definition`. */
export function partitionIndex(partition: TableModel, definition: string): IndexModel | null {
  const shape = indexShape(definition);
  return partition.indexes.find((i) => i.inherited && indexShape(i.definition) === shape) ?? null;
}

/** The unique index each partition gets on its legacy integer (with the partition key). */
export const partitionLegacyName = (partition: TableModel, change: ColumnChange): string =>
  deriveName(`${partition.name}_${change.keepAs}`, '_key');

/** Attach a partition's index to the partitioned table's index (catalog only). */
export function attachIndex(table: TableModel, index: string, partition: TableModel, partitionIndex: string) {
  return step(
    'constraint',
    `index ${partitionIndex} of ${partition.name} becomes a part of ${index}`,
    `ALTER INDEX ${qualify(table.schema, index)} ATTACH PARTITION ${qualify(partition.schema, partitionIndex)}`,
    'SHARE UPDATE EXCLUSIVE',
    partition,
  );
}

/** A constraint added on a partition through an index built for it (renamed to the constraint's name). */
export function partitionConstraint(partition: TableModel, name: string, kind: string, index: string): StepDraft {
  return step(
    'constraint',
    `${partition.name} gets ${kind.toLowerCase()} ${name} through the index built for it (no scan)`,
    clauses(
      `ALTER TABLE ${qualifyTable(partition)} ADD CONSTRAINT ${quoteIdent(name)} ${kind}`,
      `USING INDEX ${quoteIdent(index)}`,
    ),
    'ACCESS EXCLUSIVE',
    partition,
  );
}
