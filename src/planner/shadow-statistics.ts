import { qualifyTable } from '../db/quote.js';
import { descendantsOf } from '../model/inheritance.js';
import { sameTable, type TableModel } from '../model/types.js';
import { type ColumnChange, type ComponentChanges, withChildren } from './component-changes.js';
import { columnList } from './sql-text.js';
import { type StepDraft, step } from './step.js';

/**
 * ANALYZE of the shadow columns a backfill filled, before the swap's lock (`filled`: the roles it fills;
 * under `update` the expand gives keys their uuids and the backfill fills references, the online walks
 * fill both). Statistics an ANALYZE (or autovacuum, after the expand's writes) took before the backfill
 * say the shadows are all NULL: the planner then takes `shadow IS NOT NULL` for one row, and the swap's
 * refill, guards and foreign key rebuilds (a rename keeps a column's statistics) pick nested loops under
 * ACCESS EXCLUSIVE: a swap of seconds took minutes. ANALYZE samples (30,000 rows a table by default)
 * under SHARE UPDATE EXCLUSIVE, which blocks no reader or writer; unlike VACUUM it may run in a
 * transaction, and it sees that transaction's own writes. A partitioned table's ANALYZE reaches its
 * partitions; an inheritance child is analyzed for itself (its parent's covers only the parent's rows).
 */
export function analyzeShadows(c: ComponentChanges, filled: ColumnChange['role'][]): StepDraft[] {
  const tables = withChildren(c).filter((t) => !t.isPartition);
  // `table` has the shadow of a change on it, or on an inheritance ancestor.
  const has = (ch: ColumnChange, table: TableModel) =>
    sameTable(ch.table, table) || descendantsOf(tables, ch.table).some((d) => sameTable(d, table));
  return tables.flatMap((table) => {
    const shadows = c.changes.filter((ch) => filled.includes(ch.role) && has(ch, table)).map((ch) => ch.shadow);
    if (!shadows.length) return [];
    return [
      step(
        'setting',
        `statistics of ${table.name} (${shadows.join(', ')}), now filled, for the queries the swap runs in its lock`,
        `ANALYZE ${qualifyTable(table)} (${columnList(shadows)})`,
        'SHARE UPDATE EXCLUSIVE',
        table,
      ),
    ];
  });
}
