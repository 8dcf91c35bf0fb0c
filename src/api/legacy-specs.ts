import { UsageError } from '../errors.js';
import type { LegacyNames } from '../model/legacy-columns.js';
import { matchTables } from '../model/specs.js';
import type { CatalogSnapshot } from '../model/types.js';
import { displayTable } from '../model/types.js';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_$]*$/;

/**
 * `--legacy-column` values: `legacy_id` names the legacy column of every table (the last one given
 * wins); `posts=old_id`, `blog.posts=old_id` or `"My Schema".posts=old_id` names one table's, as
 * `uuidmig plan` prints tables. A table it does not find, or finds twice, is a usage error.
 */
export function resolveLegacySpecs(specs: string[], catalog: CatalogSnapshot): LegacyNames {
  const names: LegacyNames = { default: 'legacy_id', perTable: [] };
  for (const spec of specs) {
    const at = spec.lastIndexOf('=');
    if (at < 0) {
      names.default = columnName(spec, spec);
      continue;
    }
    const [table, column] = [spec.slice(0, at), columnName(spec.slice(at + 1), spec)];
    const matches = matchTables(catalog, table);
    if (matches.length !== 1) {
      const why = matches.length
        ? `names ${matches.length} tables (${matches.map(displayTable).join(', ')}); qualify it with its schema`
        : 'names no table of this database';
      throw new UsageError(`--legacy-column ${spec} ${why}.`);
    }
    names.perTable.push({ table: { schema: matches[0]!.schema, name: matches[0]!.name }, column });
  }
  return names;
}

function columnName(name: string, spec: string): string {
  if (name.length > 0 && name.length <= 63 && (IDENTIFIER.test(name) || !name.includes('\0'))) return name;
  throw new UsageError(`--legacy-column ${spec} does not name a column.`);
}
