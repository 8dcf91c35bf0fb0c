import { compareText } from '../model/types.js';
import type { CheckDifference } from '../verify/run-checks.js';
import type { ChangeSinceApply } from '../verify/since-apply.js';

const cell = (v: number | null | undefined) => (v === null || v === undefined ? '-' : String(v));

/**
 * The verify table: reference, rows, orphans before/after, fingerprint match; tables' row counts.
 * After finalize (no fingerprints: the legacy integers are gone) the reference's foreign key instead.
 */
export function renderVerifyReport(
  title: string,
  differences: CheckDifference[],
  sinceApply: ChangeSinceApply[] = [],
): string {
  // A difference made only by rows the application wrote since apply (every row of apply's time points
  // where it did) is labelled so, not DIFFERS: verify passes with it.
  const byWrites = new Set(sinceApply.filter((c) => c.change === 'rows').map((c) => `${c.kind}:${c.name}`));
  const result = (d: CheckDifference) =>
    !d.differs.length
      ? 'ok'
      : byWrites.has(`${d.kind}:${d.name}`)
        ? 'rows written since apply'
        : `DIFFERS (${d.differs.join(', ')})`;
  const finalized = differences.some((d) => d.kind === 'reference' && d.now && d.now.fingerprint === null);
  // Tables first, then references, each by name: the same order whichever side the checks came from.
  const order = (d: CheckDifference) => `${d.kind === 'table' ? 0 : 1}${d.name}`;
  const sorted = [...differences].sort((a, b) => compareText(order(a), order(b)));
  const rows = sorted.map((d) => {
    const rowsCell =
      d.before?.rows === d.now?.rows ? cell(d.now?.rows) : `${cell(d.before?.rows)} -> ${cell(d.now?.rows)}`;
    if (d.kind === 'table') return [`table ${d.name}`, rowsCell, '', '', result(d)];
    const fingerprint = finalized
      ? `foreign key ${d.now?.foreignKey ?? 'none'}`
      : d.differs.includes('fingerprint')
        ? 'differs'
        : 'match';
    return [d.name, rowsCell, `${cell(d.before?.orphans)} / ${cell(d.now?.orphans)}`, fingerprint, result(d)];
  });
  const header = ['reference', 'rows', 'orphans before / now', finalized ? 'after finalize' : 'fingerprint', 'result'];
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  const lines = all.map((r) => `  ${r.map((c, i) => c.padEnd(widths[i]!)).join('  ')}`.trimEnd());
  const bad = differences.filter((d) => d.differs.length && !byWrites.has(`${d.kind}:${d.name}`));
  const written = differences.filter((d) => d.differs.length).length - bad.length;
  const intact = finalized
    ? 'Every table has its rows, no reference leads to a missing parent and every foreign key is valid; ' +
      'the row-by-row proof ended at finalize (it needs the legacy integers finalize dropped).'
    : 'Every table has its rows and every reference points at the same parent as before.';
  const verdict =
    bad.length === 0
      ? written
        ? `${written} table(s) and reference(s) changed only by rows written since apply (below).`
        : intact
      : `${bad.length} difference(s): ${bad.map((d) => `${d.name} (${d.differs.join(', ')})`).join('; ')}.`;
  return [title, ...lines, verdict, ''].join('\n');
}
