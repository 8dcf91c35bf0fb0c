import type { Sql } from '../db/connect.js';
import { qualifyTable, quoteIdent } from '../db/quote.js';
import type { KeyParent, LikelyReference } from '../model/likely-references.js';
import { columnSpec } from '../model/specs.js';
import type { CatalogSnapshot } from '../model/types.js';
import { displayColumn } from '../model/types.js';
import type { Finding } from '../model/work.js';

/** How many non-null values of a column are looked up among a parent's keys: enough to tell, cheap on 100M rows. */
const SAMPLE = 1000;
/** The share of sampled values that must be a parent's keys before a column is reported by its values alone. */
const BY_VALUES = 0.5;

/**
 * Look up a sample of each likely reference's values among its candidate parents' keys (an index
 * probe each), and turn the evidence into warnings the user settles: `--reference` (it converts and is
 * proven like any other reference) or `--not-a-reference`. Read only.
 */
export async function likelyReferenceWarnings(
  sql: Sql,
  catalog: CatalogSnapshot,
  likely: LikelyReference[],
): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const candidate of likely) {
    const shares = await sampleShares(sql, candidate);
    const best = [...shares].sort((a, b) => b.found - a.found);
    const byName = candidate.named.length > 0;
    const convincing = shares.sampled === 0 || best.some((s) => s.found / shares.sampled >= BY_VALUES);
    if (!convincing || (!byName && shares.sampled < 5)) continue;
    findings.push(warning(catalog, candidate, shares.sampled, best));
  }
  return findings;
}

interface Share {
  parent: KeyParent;
  found: number;
}

async function sampleShares(sql: Sql, c: LikelyReference): Promise<Share[] & { sampled: number }> {
  const value = quoteIdent(c.column.name);
  const probes = c.parents.map((p, i) => {
    const found = `EXISTS (SELECT 1 FROM ${qualifyTable(p.table)} AS p WHERE p.${quoteIdent(p.column)} = s.v)`;
    return `count(*) FILTER (WHERE ${found}) AS p${i}`;
  });
  const sample = `SELECT ${value} AS v FROM ${qualifyTable(c.child)} WHERE ${value} IS NOT NULL LIMIT ${SAMPLE}`;
  const [row] = await sql.unsafe<Record<string, bigint | number>[]>(
    `SELECT count(*) AS sampled, ${probes.join(', ')} FROM (${sample}) AS s`,
  );
  const shares = c.parents.map((parent, i) => ({ parent, found: Number(row![`p${i}`]) }));
  return Object.assign(shares, { sampled: Number(row!.sampled) });
}

function warning(catalog: CatalogSnapshot, c: LikelyReference, sampled: number, shares: Share[]): Finding {
  const column = displayColumn(c.child, c.column.name);
  const key = (p: KeyParent) => displayColumn(p.table, p.column);
  const pct = (s: Share) => `${Math.round((100 * s.found) / Math.max(sampled, 1))}%`;
  const spec = columnSpec(catalog, c.child, c.column.name);
  const values =
    sampled === 0
      ? 'it holds no values yet'
      : `of ${sampled} sampled values, ${
          shares
            .filter((s) => s.found)
            .slice(0, 3)
            .map((s) => `${pct(s)} are ${key(s.parent)} values`)
            .join(', ') || 'none is a key value'
        }`;
  const settle = (target: string) =>
    `Settle it: --reference ${spec}=${target} (it converts and is proven like any other reference) or ` +
    `--not-a-reference ${spec}.`;
  const base = { kind: 'likely-reference', table: c.child, columns: [c.column.name] };
  const top = shares[0]!;
  const named = c.named.find((n) => n.parent === top.parent);
  if (!named) {
    return {
      ...base,
      message:
        `${column} holds ids of keys that become uuid, but nothing declares it a reference (${values}); after ` +
        'finalize it would point at nothing if it is one. If it refers to one table, name it; if it refers to ' +
        `several (a polymorphic id), it needs its own migration. ${settle('<table>.<key>')}`,
    };
  }
  const evidence = [
    named.by === 'name' ? `its name points at ${key(top.parent)}` : `its comment ("${c.column.comment}") names it`,
    top.parent.type === c.column.type
      ? `it has the key's type (${c.column.type})`
      : `it is ${c.column.type}, the key ${top.parent.type}`,
    values,
  ];
  return {
    ...base,
    message:
      `${column} looks like a reference to ${key(top.parent)}, which becomes uuid, but nothing declares it ` +
      `(${evidence.join('; ')}); after finalize it would point at nothing. ` +
      settle(columnSpec(catalog, top.parent.table, top.parent.column)),
  };
}
