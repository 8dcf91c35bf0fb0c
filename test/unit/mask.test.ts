import { describe, expect, test } from 'vitest';
import { maskUrl, passwordOf, redactSecrets } from '../../src/db/mask.js';

describe('passwords never printed', () => {
  test('maskUrl hides the password and keeps the rest', () => {
    expect(maskUrl('postgres://app:s3cret@db.internal:5432/prod')).toBe('postgres://app:***@db.internal:5432/prod');
    expect(maskUrl('postgres://app@db/prod')).toBe('postgres://app@db/prod');
    expect(maskUrl('not a url://u:p@h')).not.toContain(':p@');
  });

  test('redactSecrets removes known secrets, encoded or not, and any URL password', () => {
    const url = 'postgres://app:p%40ss@h/db';
    expect(passwordOf(url)).toBe('p@ss');
    expect(redactSecrets('login p@ss failed for p%40ss', [passwordOf(url)])).toBe('login *** failed for ***');
    expect(redactSecrets('see postgresql://x:other@h/db', [])).toBe('see postgresql://x:***@h/db');
  });
});
