import type { Sql } from '../db/connect.js';
import { qualifyTable, quoteIdent } from '../db/quote.js';
import { displayColumn, tableKey } from '../model/types.js';
import type { Finding, ReferenceWork } from '../model/work.js';

/**
 * In the repair case children join through the parent's mapping column (its legacy column): a value
 * held by two parents would send a child to whichever the join finds first. Such a mapping blocks the
 * plan. Parents whose mapping is lost are left out: find-work already reported them.
 */
export async function checkLegacyKeys(sql: Sql, references: ReferenceWork[], lost: Set<string>): Promise<Finding[]> {
  const findings: Finding[] = [];
  const mappings = new Map<string, { parent: ReferenceWork['parent']; column: string }>();
  for (const ref of references.filter((r) => r.mode === 'repair' && !lost.has(tableKey(r.parent)))) {
    const at = ref.columns.indexOf(ref.convertColumns[0]!);
    mappings.set(tableKey(ref.parent), { parent: ref.parent, column: ref.joinColumns[at]! });
  }
  for (const { parent, column } of mappings.values()) {
    const legacy = quoteIdent(column);
    const table = qualifyTable(parent);
    const sharedValues = `SELECT 1 FROM ${table} WHERE ${legacy} IS NOT NULL GROUP BY ${legacy} HAVING count(*) > 1`;
    const [row] = await sql.unsafe<{ duplicated: bigint | number }[]>(
      `SELECT count(*) AS duplicated FROM (${sharedValues}) AS d`,
    );
    const duplicated = Number(row!.duplicated);
    if (duplicated > 0) {
      findings.push({
        kind: 'legacy-not-unique',
        table: parent,
        columns: [column],
        message:
          `${displayColumn(parent, column)} holds ${duplicated} value(s) shared by more than one row, so ` +
          'children cannot be mapped back unambiguously; fix the duplicates first.',
      });
    }
  }
  return findings;
}
