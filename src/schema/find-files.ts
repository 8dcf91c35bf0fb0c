import fs from 'node:fs';
import path from 'node:path';
import { globSync } from 'tinyglobby';
import { UsageError } from '../errors.js';

const SCHEMA_EXTENSIONS = ['.ts', '.js', '.mjs', '.cjs', '.mts', '.cts'];

/**
 * Expand `schema` the way drizzle-kit does: each entry is a file, a folder (its files, not its
 * subfolders) or a glob, relative to the current directory.
 */
export function findSchemaFiles(schema: string | string[], cwd = process.cwd()): string[] {
  const entries = Array.isArray(schema) ? schema : [schema];
  const found = new Set<string>();
  for (const entry of entries) {
    const absolute = path.resolve(cwd, entry);
    const matches = fs.existsSync(absolute) ? [absolute] : globSync(entry, { cwd, absolute: true, onlyFiles: false });
    if (matches.length === 0) {
      throw new UsageError(`The Drizzle schema path ${entry} does not exist (looked in ${cwd}).`);
    }
    for (const match of matches) {
      const stat = fs.statSync(match);
      const files = stat.isDirectory() ? fs.readdirSync(match).map((f) => path.join(match, f)) : [match];
      for (const file of files) if (fs.statSync(file).isFile()) found.add(path.resolve(file));
    }
  }
  const schemaFiles = [...found].filter((f) => SCHEMA_EXTENSIONS.includes(path.extname(f))).sort();
  if (schemaFiles.length === 0) {
    throw new UsageError(`No Drizzle schema files (.ts or .js) found at ${entries.join(', ')}.`);
  }
  return schemaFiles;
}
