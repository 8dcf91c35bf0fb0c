import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { findSchemaFiles } from '../../src/schema/find-files.js';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uuidmig-files-'));
  fs.mkdirSync(path.join(dir, 'schema', 'nested'), { recursive: true });
  for (const f of ['schema/a.ts', 'schema/b.js', 'schema/readme.md', 'schema/nested/c.ts', 'other.ts'])
    fs.writeFileSync(path.join(dir, f), '');
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('findSchemaFiles, as drizzle-kit expands `schema`', () => {
  test('a folder gives its .ts/.js files, not its subfolders', () => {
    expect(findSchemaFiles('schema', dir).map((f) => path.relative(dir, f))).toEqual(['schema/a.ts', 'schema/b.js']);
  });

  test('a glob, a file, and a list', () => {
    expect(findSchemaFiles('schema/**/*.ts', dir).map((f) => path.relative(dir, f))).toEqual([
      'schema/a.ts',
      'schema/nested/c.ts',
    ]);
    expect(findSchemaFiles(['other.ts', 'schema/a.ts'], dir).map((f) => path.relative(dir, f))).toEqual([
      'other.ts',
      'schema/a.ts',
    ]);
  });

  test('a missing path and a folder without schema files are usage errors', () => {
    expect(() => findSchemaFiles('absent', dir)).toThrow(
      `The Drizzle schema path absent does not exist (looked in ${dir}).`,
    );
    fs.mkdirSync(path.join(dir, 'empty'));
    expect(() => findSchemaFiles('empty', dir)).toThrow('No Drizzle schema files (.ts or .js) found at empty.');
  });
});
