import { expect, test } from 'vitest';
import { syncTriggerName } from '../../src/planner/online/sync-triggers.js';
import { catalogOf } from '../helpers/model-builder.js';

/** The online sync trigger sorts after every trigger of its table (byte order), whatever they are named. */
test.each([
  [[], 'uuidmig_sync'],
  [['audit', 'touch'], 'uuidmig_sync'],
  [['zz_fill_owner', 'audit'], 'zz_fill_owner_uuidmig_sync'],
  [['Zed', 'uuidmig_sync'], 'uuidmig_sync_uuidmig_sync'],
  [['z'.repeat(63)], '~uuidmig_sync'],
])('triggers %j: %s', (names, expected) => {
  const table = catalogOf([{ name: 't' }]).tables[0]!;
  const triggers = names.map((name) => ({ name, definition: '', enabled: 'O' as const, onUpdate: false, columns: [] }));
  const name = syncTriggerName({ ...table, triggers });
  expect(name).toBe(expected);
  expect(names.every((n) => Buffer.compare(Buffer.from(n), Buffer.from(name)) < 0)).toBe(true);
  expect(Buffer.byteLength(name)).toBeLessThanOrEqual(63);
});
