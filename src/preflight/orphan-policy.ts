import { displayColumn, displayTable, type TableModel, tableKey } from '../model/types.js';
import type { Finding, ReferenceWork } from '../model/work.js';
import type { OrphanPolicy } from '../planner/plan-schema.js';
import type { OrphanCount } from './orphans.js';

/**
 * What the orphans found by preflight mean under --orphans: `fail` blocks on any; `null` and `keep`
 * set them to NULL (old values kept aside), which a NOT NULL column cannot take.
 */
export function orphanBlockers(
  references: ReferenceWork[],
  counts: OrphanCount[],
  policy: OrphanPolicy,
  tables: TableModel[],
  /** References the database's own foreign key contradicts (conflicting-reference warnings). */
  contradicted: Set<string> = new Set(),
): Finding[] {
  const findings: Finding[] = [];
  const byId = new Map(counts.map((c) => [c.reference, c.orphans]));
  for (const ref of references) {
    const n = byId.get(ref.id) ?? 0;
    if (n === 0) continue;
    const child = tables.find((t) => tableKey(t) === tableKey(ref.child));
    const notNull = ref.convertColumns.filter((c) => child?.columns.find((col) => col.name === c)?.notNull);
    if (contradicted.has(ref.id)) {
      // The rows are likely right and the declaration wrong: no advice to delete or null them.
      findings.push({
        kind: 'orphans',
        table: ref.child,
        columns: ref.convertColumns,
        reference: ref.id,
        message:
          `${ref.id}: ${n} row(s) point at no ${displayTable(ref.parent)} row through this reference, which the ` +
          "database's own foreign key on the same columns contradicts (see the warning): fix the reference in the " +
          'Drizzle schema (or --reference), not the rows, and plan again.',
      });
      continue;
    }
    if (policy === 'fail') {
      // Both other policies set the orphans' reference to NULL: a NOT NULL column leaves fixing the rows.
      const otherwise = notNull.length
        ? ` (delete them, or point them at a row): ${displayColumn(ref.child, notNull)} is NOT NULL, so neither ` +
          '--orphans null nor --orphans keep can take them'
        : `, or pass --orphans null (set to NULL, old value kept in ${ref.convertColumns[0]}_legacy) or --orphans keep`;
      const parent = displayTable(ref.parent);
      findings.push({
        kind: 'orphans',
        table: ref.child,
        columns: ref.convertColumns,
        reference: ref.id,
        message: `${ref.id}: ${n} row(s) point at no ${parent} row; fix them${otherwise}.`,
      });
      continue;
    }
    if (notNull.length) {
      findings.push({
        kind: 'orphans-not-null',
        table: ref.child,
        columns: notNull,
        reference: ref.id,
        message:
          `${displayColumn(ref.child, notNull)} is NOT NULL and ${n} row(s) have no parent, so --orphans ${policy} ` +
          `cannot set them to NULL; fix those rows first.`,
      });
    }
  }
  return findings;
}
