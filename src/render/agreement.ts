import type { ShadowDisagreement } from '../verify/shadow-agreement.js';

/**
 * The online proof as a table: each converting column, and how many rows disagree with their integers
 * at the snapshot (0 everywhere is the proof).
 */
export function renderAgreement(title: string, agreement: ShadowDisagreement[]): string {
  const width = Math.max(6, ...agreement.map((a) => a.column.length));
  const lines = agreement.map(
    (a) => `  ${a.column.padEnd(width)}  ${a.rows === 0 ? 'agrees' : `${a.rows} row(s) DISAGREE`}`,
  );
  const wrong = agreement.filter((a) => a.rows > 0);
  const verdict = wrong.length
    ? `${wrong.length} column(s) hold uuids that disagree with their integers: ${wrong.map((a) => a.column).join(', ')}`
    : 'At one snapshot, every uuid agrees with the integer it replaces: every row points at the same parent.';
  return [title, ...lines, verdict, ''].join('\n');
}
