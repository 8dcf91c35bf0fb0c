import type { Sql } from '../db/connect.js';
import { qualify, quoteIdent } from '../db/quote.js';
import { displayColumn, tableKey } from '../model/types.js';
import type { Finding, ReferenceWork } from '../model/work.js';

/**
 * In the repair case children join through the parent's legacy column: a legacy value held by two
 * parents would send a child to whichever the join finds first. Such a mapping blocks the plan.
 */
export async function checkLegacyKeys(sql: Sql, references: ReferenceWork[], legacyColumn: string): Promise<Finding[]> {
  const findings: Finding[] = [];
  const parents = new Map(references.filter((r) => r.mode === 'repair').map((r) => [tableKey(r.parent), r.parent]));
  for (const parent of parents.values()) {
    const table = qualify(parent.schema, parent.name);
    const exists = await sql`SELECT 1 FROM pg_attribute
      WHERE attrelid = ${table}::regclass AND attname = ${legacyColumn} AND NOT attisdropped`;
    if (exists.length === 0) continue; // find-work already reported the lost mapping
    const legacy = quoteIdent(legacyColumn);
    const sharedValues = `SELECT 1 FROM ${table} WHERE ${legacy} IS NOT NULL GROUP BY ${legacy} HAVING count(*) > 1`;
    const [row] = await sql.unsafe<{ duplicated: bigint | number }[]>(
      `SELECT count(*) AS duplicated FROM (${sharedValues}) AS d`,
    );
    const duplicated = Number(row!.duplicated);
    if (duplicated > 0) {
      findings.push({
        kind: 'legacy-not-unique',
        table: parent,
        columns: [legacyColumn],
        message:
          `${displayColumn(parent, legacyColumn)} holds ${duplicated} value(s) shared by more than one row, so ` +
          `children cannot be mapped back unambiguously; fix the duplicates first.`,
      });
    }
  }
  return findings;
}
