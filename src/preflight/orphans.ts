import type { Sql } from '../db/connect.js';
import { qualify, quoteIdent } from '../db/quote.js';
import type { ReferenceWork } from '../model/work.js';

export interface OrphanCount {
  reference: string;
  orphans: number;
}

/**
 * Rows whose reference has no parent: every column set (MATCH SIMPLE ignores a row with a NULL
 * in it) and no parent row matching on the parent's pre-migration value (its integer key, or its
 * legacy column in the repair case).
 */
export function orphanCountSql(work: ReferenceWork): string {
  const notNull = work.columns.map((c) => `c.${quoteIdent(c)} IS NOT NULL`).join(' AND ');
  const match = work.columns.map((c, i) => `p.${quoteIdent(work.joinColumns[i]!)} = c.${quoteIdent(c)}`).join(' AND ');
  return `SELECT count(*) AS orphans FROM ${qualify(work.child.schema, work.child.name)} AS c
WHERE ${notNull}
  AND NOT EXISTS (SELECT 1 FROM ${qualify(work.parent.schema, work.parent.name)} AS p WHERE ${match})`;
}

export async function countOrphans(sql: Sql, references: ReferenceWork[]): Promise<OrphanCount[]> {
  const counts: OrphanCount[] = [];
  for (const work of references) {
    const [row] = await sql.unsafe<{ orphans: bigint | number }[]>(orphanCountSql(work));
    counts.push({ reference: work.id, orphans: Number(row!.orphans) });
  }
  return counts;
}
