import { describe, expect, test } from 'vitest';
import { parseDatabaseUrl } from '../../src/db/connect.js';
import { maskUrl, redactSecrets } from '../../src/db/mask.js';
import { UsageError } from '../../src/errors.js';

describe('a password is masked where it stands, and nothing else is', () => {
  test('maskUrl hides the password field and keeps the rest', () => {
    expect(maskUrl('postgres://app:s3cret@db.internal:5432/prod')).toBe('postgres://app:***@db.internal:5432/prod');
    expect(maskUrl('postgres://app@db/prod')).toBe('postgres://app@db/prod');
    expect(maskUrl('postgres://app:p%40ss@h/db')).toBe('postgres://app:***@h/db');
  });

  test('an unencoded password that breaks the URL is hidden up to the last @', () => {
    expect(maskUrl('postgres://u:p@ss:w/rd%@host/db')).toBe('postgres://u:***@host/db');
    expect(maskUrl('postgres://u:p#1@host/db')).toBe('postgres://u:***@host/db');
  });

  test('a password that is also a package name leaves the stack trace readable', () => {
    const stack = [
      'Error: password authentication failed for user "postgres"',
      '    at ErrorResponse (/app/node_modules/postgres/src/connection.js:794:26)',
      '    while connecting to postgres://postgres:postgres@127.0.0.1:5432/postgres',
    ].join('\n');
    expect(redactSecrets(stack)).toBe(
      [
        'Error: password authentication failed for user "postgres"',
        '    at ErrorResponse (/app/node_modules/postgres/src/connection.js:794:26)',
        '    while connecting to postgres://postgres:***@127.0.0.1:5432/postgres',
      ].join('\n'),
    );
  });

  test('a password that is a common word leaves the words alone', () => {
    const text = 'the stage was rolled back; connect to postgresql://app:ro@db/x failed';
    expect(redactSecrets(text)).toBe('the stage was rolled back; connect to postgresql://app:***@db/x failed');
  });

  test('connection strings, environment assignments and quoted options', () => {
    expect(redactSecrets('host=db password=s3cret dbname=x')).toBe('host=db password=*** dbname=x');
    expect(redactSecrets("host=db password='a b c' user=u")).toBe('host=db password=*** user=u');
    expect(redactSecrets('PGPASSWORD=hunter2 pg_dump')).toBe('PGPASSWORD=*** pg_dump');
    expect(redactSecrets("{ host: 'db', password: 'hunter2', user: 'u' }")).toBe(
      "{ host: 'db', password: '***', user: 'u' }",
    );
    expect(redactSecrets('{"pass":"hunter2","user":"u"}')).toBe('{"pass":"***","user":"u"}');
    expect(redactSecrets('a password authentication failed')).toBe('a password authentication failed');
  });
});

describe('a database URL is parsed once, and a malformed one is a usage error', () => {
  const usage = (url: string) => {
    try {
      parseDatabaseUrl(url);
    } catch (error) {
      expect(error).toBeInstanceOf(UsageError);
      return (error as Error).message;
    }
    throw new Error(`${url} was accepted`);
  };

  test('an unencoded @ and / in the password', () => {
    const message = usage('postgres://u:p@ss:w/rd%@host/db');
    expect(message).toBe(
      'The database URL postgres://u:***@host/db is not a valid URL: write it as ' +
        'postgres://user:password@host:port/database, with any @ : / ? # or % in the user name or password ' +
        'percent-encoded (@ as %40, % as %25).',
    );
    expect(message).not.toContain('ss:w');
  });

  test('an unencoded @ with a # or ? after it: the URL parses, with part of the password as its host', () => {
    for (const url of ['postgres://postgres:p@ss#w0rd@127.0.0.1:55432/saas', 'postgres://u:p@ss?w0rd@host/db']) {
      const message = usage(url);
      expect(message).toMatch(/^The database URL postgres:\/\/[a-z]+:\*\*\*@[0-9a-z.:]+\/[a-z]+ is not a valid URL/);
      expect(message).not.toMatch(/@ss|w0rd/);
    }
    // A query is fine where it holds no @.
    expect(parseDatabaseUrl('postgres://u:p@host/db?sslmode=require').hostname).toBe('host');
  });

  test('a % that starts no percent-encoded character', () => {
    expect(usage('postgres://u:p%zz@host/db')).toBe(
      'The password in the database URL postgres://u:***@host/db holds a % that does not start a ' +
        'percent-encoded character; write a literal % as %25.',
    );
  });

  test('another scheme', () => {
    expect(usage('mysql://u:secret@host/db')).toBe(
      'The database URL mysql://u:***@host/db must start with postgres:// or postgresql://.',
    );
  });
});
