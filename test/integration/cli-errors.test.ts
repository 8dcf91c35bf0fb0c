import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { quoteIdent } from '../../src/db/quote.js';
import { runUuidmig } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { fixturePath, loadFixture } from '../helpers/fixtures.js';

/** The error contract (README, "Exit codes"): exit code and one plain sentence, no stack, no password. */
let db: TestDatabase;
let tmp: string;
const schema = fixturePath('self-reference', 'schema.ts');

function withUrl(url: string, change: (u: URL) => void): string {
  const u = new URL(url);
  change(u);
  return u.toString();
}

function expectOneSentence(stderr: string): void {
  const lines = stderr.trimEnd().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^uuidmig: [A-Z].*\.$/);
  expect(stderr).not.toMatch(/\n\s+at /);
}

beforeAll(async () => {
  db = await createTestDatabase('cli_errors');
  await loadFixture(db.sql, 'self-reference');
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'uuidmig-cli-'));
  fs.writeFileSync(
    path.join(tmp, 'syntax.ts'),
    "import { pgTable } from 'drizzle-orm/pg-core';\nexport const users = pgTable('users', {\n",
  );
  fs.writeFileSync(
    path.join(tmp, 'missing-package.ts'),
    "import { pgTable } from 'drizzle-orm-that-is-not-installed';\nexport const t = pgTable;\n",
  );
  fs.writeFileSync(path.join(tmp, 'broken.config.ts'), 'export default { schema: ;\n');
  const credentials = `dbCredentials: { url: ${JSON.stringify(db.url)} }`;
  fs.writeFileSync(
    path.join(tmp, 'drizzle.config.ts'),
    `export default { dialect: 'postgresql', schema: ${JSON.stringify(schema)}, ${credentials} };\n`,
  );
});

afterAll(async () => {
  await db.drop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('exit 2: usage and configuration', () => {
  test('an unknown flag', async () => {
    const r = await runUuidmig(['plan', '--bogus']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("uuidmig: Unknown option '--bogus'; see uuidmig --help.\n");
  });

  test('a schema path that does not exist', async () => {
    const r = await runUuidmig(['plan', '--schema', 'nope/schema.ts', '--database-url', db.url], { cwd: tmp });
    expect(r.code).toBe(2);
    expectOneSentence(r.stderr);
    expect(r.stderr).toContain('The Drizzle schema path nope/schema.ts does not exist');
  });

  test('a schema file with a syntax error names the file', async () => {
    const r = await runUuidmig(['plan', '--schema', path.join(tmp, 'syntax.ts'), '--database-url', db.url]);
    expect(r.code).toBe(2);
    expectOneSentence(r.stderr);
    expect(r.stderr).toContain(`Could not load the Drizzle schema file ${path.join(tmp, 'syntax.ts')}: `);
  });

  test('a schema that imports a missing package names the package', async () => {
    const r = await runUuidmig(['plan', '--schema', path.join(tmp, 'missing-package.ts'), '--database-url', db.url]);
    expect(r.code).toBe(2);
    expectOneSentence(r.stderr);
    expect(r.stderr).toContain('it imports "drizzle-orm-that-is-not-installed", which cannot be found');
  });

  test('a config file that does not exist, and one that does not parse', async () => {
    const missing = await runUuidmig(['plan', '--config', path.join(tmp, 'absent.config.ts')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(`uuidmig: The config file ${path.join(tmp, 'absent.config.ts')} does not exist.\n`);
    const broken = await runUuidmig(['plan', '--config', path.join(tmp, 'broken.config.ts')]);
    expect(broken.code).toBe(2);
    expectOneSentence(broken.stderr);
    expect(broken.stderr).toContain(`Could not load the config file ${path.join(tmp, 'broken.config.ts')}: `);
  });

  test('no database URL anywhere', async () => {
    const r = await runUuidmig(['plan', '--schema', schema]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'uuidmig: No database URL: pass --database-url, set DATABASE_URL, ' +
        "or give the drizzle config's dbCredentials one.\n",
    );
  });

  test('--schema beside a config in the folder, no URL: the sentence says the config was not read', async () => {
    // The schema path is checked first: a wrong one is the problem to name, not the URL.
    const wrong = await runUuidmig(['plan', '--schema', 'nope.ts'], { cwd: tmp });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('The Drizzle schema path nope.ts does not exist');
    const r = await runUuidmig(['plan', '--schema', schema], { cwd: tmp });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'uuidmig: No database URL: pass --database-url or set DATABASE_URL. drizzle.config.ts in this folder was ' +
        'not read, because --schema was given without --config; add --config drizzle.config.ts to use its ' +
        'dbCredentials.\n',
    );
  });

  test('a URL whose password breaks it (unencoded @, /, %): exit 2, the password not printed', async () => {
    for (const [url, shown] of [
      ['postgres://u:p@ss:w/rd%@127.0.0.1:1/app', 'is not a valid URL'],
      ['postgres://u:p@ss#w0rd@127.0.0.1:1/app', 'is not a valid URL'],
      ['postgres://u:p%zz@127.0.0.1:1/app', 'holds a % that does not start a percent-encoded character'],
    ] as const) {
      const r = await runUuidmig(['plan', '--schema', schema, '--database-url', url]);
      expect(r.code).toBe(2);
      expectOneSentence(r.stderr);
      expect(r.stderr).toContain(shown);
      expect(r.stderr).toContain('postgres://u:***@127.0.0.1:1/app');
    }
  });

  test('no schema and no config', async () => {
    const r = await runUuidmig(['plan', '--database-url', db.url], { cwd: os.tmpdir() });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'uuidmig: No Drizzle schema: pass --schema <file or folder> or --config <drizzle.config.ts>.\n',
    );
  });

  test('a drizzle.config.ts in the current folder is found like drizzle-kit finds it', async () => {
    const r = await runUuidmig(['plan', '--json', '--out', path.join(tmp, 'out')], { cwd: tmp });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).plan.conversions).toHaveLength(1);
  });
});

describe('exit 3: the database could not be reached or refused us', () => {
  test('an unreachable server', async () => {
    const r = await runUuidmig([
      'plan',
      '--schema',
      schema,
      '--database-url',
      'postgres://someone:hunter2secret@127.0.0.1:1/app',
    ]);
    expect(r.code).toBe(3);
    expectOneSentence(r.stderr);
    expect(r.stderr).toContain('Could not reach the database server at 127.0.0.1:1: connection refused');
    expect(r.stderr).not.toContain('hunter2secret');
  });

  test('a wrong password is refused, and never printed, not even with --verbose', async () => {
    const url = withUrl(db.url, (u) => (u.password = 'wrong-Pa55word'));
    for (const verbose of [[], ['--verbose']]) {
      const r = await runUuidmig(['plan', '--schema', schema, '--database-url', url, ...verbose]);
      expect(r.code).toBe(3);
      expect(r.stderr).toContain('refused the login for user "postgres"');
      expect(r.stderr).not.toContain('wrong-Pa55word');
      if (verbose.length === 0) expectOneSentence(r.stderr);
      else expect(r.stderr).toMatch(/\n\s+at /);
    }
  });

  test('a password that is also a package name is masked in URLs only: the stack stays readable', async () => {
    const url = withUrl(db.url, (u) => {
      u.password = 'postgres';
    });
    const r = await runUuidmig(['plan', '--schema', schema, '--database-url', url, '--verbose']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('refused the login for user "postgres": password authentication failed');
    expect(r.stderr).toContain('node_modules/postgres/src/connection.js');
    expect(r.stderr).not.toContain('***');
    expect(r.stderr).not.toContain(':postgres@');
  });

  test('a database that does not exist', async () => {
    const r = await runUuidmig([
      'plan',
      '--schema',
      schema,
      '--database-url',
      withUrl(db.url, (u) => (u.pathname = '/no_such_database')),
    ]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('The database "no_such_database" does not exist on 127.0.0.1:');
    expectOneSentence(r.stderr);
  });

  test('a missing privilege names it', async () => {
    const role = `uuidmig_reader_${randomBytes(3).toString('hex')}`;
    await db.sql.unsafe(`CREATE ROLE ${quoteIdent(role)} LOGIN PASSWORD 'reader-secret'`);
    try {
      const url = withUrl(db.url, (u) => {
        u.username = role;
        u.password = 'reader-secret';
      });
      const r = await runUuidmig(['plan', '--schema', schema, '--database-url', url]);
      expect(r.code).toBe(3);
      expectOneSentence(r.stderr);
      expect(r.stderr).toContain('The database refused us: permission denied for table users');
      expect(r.stderr).toContain(`grant the missing privilege to "${role}"`);
      expect(r.stderr).not.toContain('reader-secret');
    } finally {
      await db.sql.unsafe(`DROP OWNED BY ${quoteIdent(role)}; DROP ROLE ${quoteIdent(role)}`);
    }
  });
});
