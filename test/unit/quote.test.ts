import { describe, expect, test } from 'vitest';
import { identifierBytes, qualify, quoteIdent, quoteLiteral } from '../../src/db/quote.js';

describe('quoteIdent', () => {
  test.each([
    ['users', '"users"'],
    ['Post Reactions', '"Post Reactions"'],
    ['a"b', '"a""b"'],
    ['"', '""""'],
    ['schema.table', '"schema.table"'],
    ['user', '"user"'],
    ['émoji_✓', '"émoji_✓"'],
    ['x"; DROP TABLE users; --', '"x""; DROP TABLE users; --"'],
  ])('%s', (name, quoted) => {
    expect(quoteIdent(name)).toBe(quoted);
  });

  test('refuses the empty name and NUL', () => {
    expect(() => quoteIdent('')).toThrow('cannot be empty');
    expect(() => quoteIdent('a\0b')).toThrow('NUL');
  });

  test('qualify never joins a dotted string: two quoted parts', () => {
    expect(qualify('my.schema', 'my"table')).toBe('"my.schema"."my""table"');
  });
});

describe('quoteLiteral', () => {
  test('doubles single quotes and keeps backslashes', () => {
    expect(quoteLiteral("it's")).toBe("'it''s'");
    expect(quoteLiteral('a\\b')).toBe("'a\\b'");
    expect(() => quoteLiteral('\0')).toThrow('NUL');
  });

  test('counts bytes, not characters', () => {
    expect(identifierBytes('é')).toBe(2);
  });
});
