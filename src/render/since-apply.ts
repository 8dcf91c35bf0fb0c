import type { ChangeSinceApply } from '../verify/since-apply.js';

/** The verdict when every difference is the application's own writes. */
export const WRITES_ONLY =
  "Verdict: ok. Every row of apply's time points at the same parent; the differences above are rows the " +
  'application inserted or deleted since.';

/** The verdict of a resumed apply whose checks differ only by the application's writes, moved rows too. */
export const writesOnly = (since: ChangeSinceApply[]): string => {
  const moved = since.filter((c) => c.change === 'repointed').reduce((n, c) => n + (c.moved ?? 0), 0);
  if (!moved) return WRITES_ONLY;
  return (
    'Verdict: ok. Each stage proved every row before it committed; the differences above are rows the ' +
    `application wrote since (inserted, deleted, and ${moved} of apply's time re-pointed).`
  );
};

/**
 * What the application changed since apply (printed by rollback after its proof, and by verify and
 * apply when their checks differ): each table and reference that changed, and a count of the others.
 */
export function renderSinceApply(changes: ChangeSinceApply[], whose = "the application's writes"): string {
  const changed = changes.filter((c) => c.change !== 'none');
  const same = changes.length - changed.length;
  if (!changed.length) return `Since apply: nothing changed (${same} tables and references as they were).\n`;
  const lines = changed.map((c) => {
    const rows = c.rowsNow === c.rowsAtApply ? `${c.rowsNow} rows` : `${c.rowsAtApply} -> ${c.rowsNow} rows`;
    if (c.kind === 'table') {
      const split = c.inserted === null ? '' : ` (${c.inserted} inserted, ${c.deleted} deleted)`;
      return `  table ${c.name}: ${rows}${split}`;
    }
    const moved = c.moved === null ? 'some rows' : `${c.moved} row(s)`;
    const what = {
      rows: 'rows inserted or deleted; every row of apply time points where it did',
      repointed:
        `${moved} of apply time point at other parents since apply (each stage proved every row before it ` +
        'committed: moved by a writer of this database; once you know it is the application, ' +
        'uuidmig finalize --accept-moved goes on)',
      changed: 'rows written since apply that cannot be told from the rows of apply time (deleted ones, or no key)',
      none: '',
    }[c.change];
    return `  ${c.name}: ${rows}, ${what}`;
  });
  return [
    `Since apply (${whose}):`,
    ...lines,
    ...(same ? [`  unchanged: ${same} tables and references`] : []),
    '',
  ].join('\n');
}
