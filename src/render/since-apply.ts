import type { ChangeSinceApply } from '../verify/since-apply.js';

/**
 * What rollback prints after its proof: what the application changed between apply and rollback,
 * each table and reference that changed, and a count of those that did not.
 */
export function renderSinceApply(changes: ChangeSinceApply[]): string {
  const changed = changes.filter((c) => c.change !== 'none');
  const same = changes.length - changed.length;
  if (!changed.length) return `Since apply: nothing changed (${same} tables and references as they were).\n`;
  const lines = changed.map((c) => {
    const rows = c.rowsNow === c.rowsAtApply ? `${c.rowsNow} rows` : `${c.rowsAtApply} -> ${c.rowsNow} rows`;
    if (c.kind === 'table') {
      const split = c.inserted === null ? '' : ` (${c.inserted} inserted, ${c.deleted} deleted)`;
      return `  table ${c.name}: ${rows}${split}`;
    }
    const what = {
      rows: 'rows inserted or deleted; every row of apply time points where it did',
      repointed: 'some rows of apply time point at other parents (the application moved them)',
      changed: 'rows deleted since apply, so moved rows cannot be told apart from them',
      none: '',
    }[c.change];
    return `  ${c.name}: ${rows}, ${what}`;
  });
  return [
    "Since apply (the application's writes, not the rollback's):",
    ...lines,
    ...(same ? [`  unchanged: ${same} tables and references`] : []),
    '',
  ].join('\n');
}
