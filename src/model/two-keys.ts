import { columnKey, displayColumn } from './types.js';
import type { Finding, ReferenceWork } from './work.js';

const SOURCE: Record<ReferenceWork['sources'][number], string> = {
  'foreign-key': 'its foreign key',
  'drizzle-reference': "the Drizzle schema's .references()",
  'drizzle-relation': "the Drizzle schema's relation",
  option: '--reference',
};

/**
 * A column that two references give two different parent columns (a column a composite reference
 * keeps counts: it still names its parent's column). Each reference is followed through references to
 * references (a composite foreign key's tenant_id onto projects.tenant_id, itself onto tenants.id) down
 * to the column that owns the values. Two owners mean one of the references is wrong (drizzle-kit pull
 * writes a relation on one column of a composite foreign key onto the wrong parent column), and the
 * column's uuid would come from a key its numbers merely overlap: blocked, naming both.
 */
export function columnsWithTwoKeys(works: ReferenceWork[]): Finding[] {
  const targets = new Map<string, { work: ReferenceWork; parent: string }[]>();
  const shown = new Map<string, string>();
  for (const work of works) {
    work.columns.forEach((column, i) => {
      const key = columnKey(work.child, column);
      const parent = columnKey(work.parent, work.parentColumns[i]!);
      shown.set(parent, displayColumn(work.parent, [work.parentColumns[i]!]));
      targets.set(key, [...(targets.get(key) ?? []), { work, parent }]);
    });
  }
  const ownersOf = (key: string, depth = 0): Set<string> => {
    const next = targets.get(key);
    if (!next || depth > 64) return new Set([key]);
    return new Set(next.flatMap((t) => [...ownersOf(t.parent, depth + 1)]));
  };
  const findings: Finding[] = [];
  for (const [key, through] of targets) {
    const owners = through.map((t) => ({ ...t, owners: [...ownersOf(t.parent)] }));
    const first = owners[0]!;
    const other = owners.find((o) => o.owners.some((x) => !first.owners.includes(x)));
    if (!other) continue;
    const { work } = first;
    const column = work.columns.find((c) => columnKey(work.child, c) === key)!;
    const path = (o: typeof first) => {
      const sources = o.work.sources.map((s) => SOURCE[s]).join(', ');
      return `${o.owners.map((x) => shown.get(x)).join(' / ')} (through ${o.work.id}, ${sources})`;
    };
    findings.push({
      kind: 'two-keys',
      table: work.child,
      columns: [column],
      message:
        `${displayColumn(work.child, [column])} is given two parent columns: ${path(first)} and ${path(other)}; ` +
        "a column holds one column's values, so one of these references is wrong (drizzle-kit pull writes a " +
        'relation on one column of a composite foreign key onto the wrong parent column): fix it, then plan again.',
    });
  }
  return findings;
}
