import { describe, expect, test } from 'vitest';
import type { CheckRow } from '../../src/verify/check-schema.js';
import { compareFinalized } from '../../src/verify/finalized-checks.js';

/** After finalize: a foreign key must be valid, unless it was NOT VALID when the plan was made. */
describe('compareFinalized', () => {
  const ref = (name: string, foreignKey: CheckRow['foreignKey']): CheckRow => ({
    kind: 'reference',
    name,
    rows: 3,
    orphans: 0,
    fingerprint: null,
    foreignKey,
  });
  const before = [ref('a', undefined), ref('b', undefined), ref('c', undefined)];

  test('a foreign key not valid now differs, unless it was NOT VALID when planned; a missing one always', () => {
    const now = [ref('a', 'not valid'), ref('b', 'not valid'), ref('c', 'missing')];
    const differences = compareFinalized(before, now, new Set(['b', 'c']));
    expect(differences.map((d) => [d.name, d.differs])).toEqual([
      ['a', ['foreign key']],
      ['b', []],
      ['c', ['foreign key']],
    ]);
  });

  test('without what the plan knew, every foreign key must be valid', () => {
    expect(compareFinalized(before, [ref('b', 'not valid')]).map((d) => d.differs)).toEqual([['foreign key']]);
  });
});
