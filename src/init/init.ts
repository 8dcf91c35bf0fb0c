import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { findSchemaFiles } from '../schema/find-files.js';
import { chooseColumns } from './choose-columns.js';
import { unifiedDiff } from './diff.js';
import { findReferences } from './find-references.js';
import { findTables } from './find-tables.js';
import { fixImports } from './imports.js';
import { optionReferences } from './option-references.js';
import { Resolver } from './resolve.js';
import { camelCase, FileRewrite } from './rewrite-file.js';
import { loadSourceFiles } from './source-files.js';
import { type ColumnInfo, columnLabel, type TableInfo, tableLabel } from './types.js';

export interface InitOptions {
  /** The Drizzle schema: a file, a folder or a glob (or several), as drizzle-kit expands `schema`. */
  schema: string | string[];
  /** Only the keys of these tables (`posts` or `blog.posts`); default every table. */
  tables?: string[];
  /** Declare each converted key's old integer (`legacyId: integer('legacy_id')`), which `plan` then keeps. */
  keepLegacy?: boolean;
  /** The legacy column's name, as `plan --legacy-column` names it (default legacy_id). */
  legacyColumn?: string;
  /** `child.col=parent.col`: references the files declare nowhere, converted with their parents. */
  references?: string[];
  /** Compute the diffs, write nothing. */
  dryRun?: boolean;
  cwd?: string;
}

export interface InitResult {
  dryRun: boolean;
  /** Every schema file, whether it changed, and its unified diff (null when unchanged). */
  files: { file: string; changed: boolean; diff: string | null }[];
  keys: string[];
  references: string[];
  opclasses: number;
  legacyColumns: string[];
  skipped: string[];
}

/**
 * `uuidmig init`: rewrite the Drizzle schema files from integer keys to uuid keys (keys, the columns
 * that reference them, their index operator classes, the imports), editing only the calls that
 * change. Every file is computed before any is written; a second run changes nothing.
 */
export function init(options: InitOptions): InitResult {
  const cwd = options.cwd ?? process.cwd();
  const legacyName = options.legacyColumn ?? 'legacy_id';
  if (!/^[a-z_][a-z0-9_]*$/i.test(legacyName))
    throw new UsageError(`--legacy-column takes a plain column name (letters, digits, _), not "${legacyName}".`);
  const sources = loadSourceFiles(findSchemaFiles(options.schema, cwd));
  const tables = sources.flatMap(findTables);
  const found = findReferences(sources, new Resolver(tables));
  found.references.push(...optionReferences(tables, options.references ?? []));
  const choice = chooseColumns(tables, found, chosenTables(tables, options.tables));
  const rewrites = new Map(sources.map((s) => [s, new FileRewrite(s)]));
  const rewriteOf = (column: ColumnInfo) => rewrites.get(column.table.file)!;
  const legacyColumns: string[] = [];
  const skipped = [...choice.skipped];
  for (const key of choice.keys) {
    rewriteOf(key).convertColumn(key, 'key');
    if (!options.keepLegacy) continue;
    const taken = key.table.columns.find((c) => c.sqlName === legacyName || c.prop === camelCase(legacyName));
    if (taken) {
      skipped.push(`${tableLabel(key.table)}: already has a column ${taken.sqlName}, so no legacy column is declared.`);
    } else if (choice.keys.find((k) => k.table === key.table) === key) {
      rewriteOf(key).addLegacyColumn(key, legacyName);
      legacyColumns.push(`${tableLabel(key.table)}.${legacyName}`);
    }
  }
  for (const reference of choice.references) rewriteOf(reference).convertColumn(reference, 'reference');
  const converting = new Set([...choice.keys, ...choice.references]);
  let opclasses = 0;
  for (const site of found.opclasses.filter((s) => converting.has(s.column)))
    if (rewriteOf(site.column).convertOpclass(site)) opclasses++;

  const files = sources.map((source) => {
    const rewrite = rewrites.get(source)!;
    const before = source.getFullText();
    const after = rewrite.edits.length
      ? fixImports(source.getFilePath(), rewrite.apply(), rewrite.needs, rewrite.replaced)
      : before;
    const name = path.relative(cwd, source.getFilePath()).split(path.sep).join('/');
    return { path: source.getFilePath(), after, file: name, changed: after !== before, before };
  });
  if (!options.dryRun) for (const f of files.filter((x) => x.changed)) write(f.path, f.after);
  if (!tables.length) skipped.push(`No pgTable() call was found in the ${sources.length} schema file(s).`);
  return {
    dryRun: Boolean(options.dryRun),
    files: files.map((f) => ({
      file: f.file,
      changed: f.changed,
      diff: f.changed ? unifiedDiff(f.file, f.before, f.after) : null,
    })),
    keys: choice.keys.map(columnLabel),
    references: choice.references.map(columnLabel),
    opclasses,
    legacyColumns,
    skipped,
  };
}

/** Which tables' keys convert: `--tables users,blog.posts`, each naming a table of the schema files. */
function chosenTables(tables: TableInfo[], names: string[] | undefined): (table: TableInfo) => boolean {
  if (!names?.length) return () => true;
  const named = (table: TableInfo, name: string) => table.name === name || tableLabel(table) === name;
  const unknown = names.filter((name) => !tables.some((t) => named(t, name)));
  if (unknown.length)
    throw new UsageError(`--tables names no table of the Drizzle schema files: ${unknown.join(', ')}.`);
  return (table) => names.some((name) => named(table, name));
}

function write(file: string, text: string): void {
  try {
    fs.writeFileSync(file, text);
  } catch (error) {
    throw new UsageError(`Could not write ${file}: ${(error as Error).message}.`, { cause: error });
  }
}
