import { describe, expect, test } from 'vitest';
import { deriveName, SHADOW_SUFFIX } from '../../src/db/derived-names.js';
import { identifierBytes } from '../../src/db/quote.js';

describe('deriveName', () => {
  test('appends the suffix when it fits', () => {
    expect(deriveName('author_id', SHADOW_SUFFIX)).toBe('author_id__uuidmig_new');
  });

  test('stays within 63 bytes for a 63-byte base, and two long bases that share a prefix do not collide', () => {
    const a = `${'x'.repeat(60)}_aaa`;
    const b = `${'x'.repeat(60)}_bbb`;
    const na = deriveName(a, SHADOW_SUFFIX);
    const nb = deriveName(b, SHADOW_SUFFIX);
    expect(identifierBytes(na)).toBeLessThanOrEqual(63);
    expect(identifierBytes(nb)).toBeLessThanOrEqual(63);
    expect(na).not.toBe(nb);
    expect(na.endsWith(SHADOW_SUFFIX)).toBe(true);
  });

  test('does not split a multi-byte character', () => {
    const name = deriveName('é'.repeat(40), SHADOW_SUFFIX);
    expect(identifierBytes(name)).toBeLessThanOrEqual(63);
    expect(name).not.toContain('\uFFFD');
    expect(Buffer.from(name, 'utf8').toString('utf8')).toBe(name);
  });

  test('avoids names already taken', () => {
    const taken = new Set(['id__uuidmig_new']);
    const name = deriveName('id', SHADOW_SUFFIX, taken);
    expect(name).not.toBe('id__uuidmig_new');
    expect(name).toMatch(/^id_[0-9a-f]{8}__uuidmig_new$/);
  });
});
