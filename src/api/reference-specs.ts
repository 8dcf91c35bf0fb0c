import { UsageError } from '../errors.js';
import type { GivenReference } from '../model/references.js';
import { matchColumns } from '../model/specs.js';
import type { CatalogSnapshot, ColumnRef } from '../model/types.js';
import { displayColumn } from '../model/types.js';

/** One column named on the command line, or a usage error that says why not. */
function resolveColumn(catalog: CatalogSnapshot, text: string, option: string): ColumnRef {
  const found = matchColumns(catalog, text);
  if (found.length === 1) return found[0]!;
  const why = found.length
    ? `names ${found.length} columns (${found.map((c) => displayColumn(c, c.column)).join(', ')}); qualify it`
    : 'names no column of this database (write table.column, or schema.table.column)';
  throw new UsageError(`${option} ${text} ${why}.`);
}

/** `--reference child.col=parent.col`, repeatable: references nothing else declares. */
export function resolveReferenceSpecs(specs: string[], catalog: CatalogSnapshot): GivenReference[] {
  return specs.map((spec) => {
    const at = spec.indexOf('=');
    if (at < 0) throw new UsageError(`--reference ${spec} needs the form child_table.column=parent_table.column.`);
    const child = resolveColumn(catalog, spec.slice(0, at), '--reference');
    const parent = resolveColumn(catalog, spec.slice(at + 1), '--reference');
    return { child, parent };
  });
}

/** `--not-a-reference table.col`, repeatable: a column uuidmig should stop asking about. */
export const resolveNotReferences = (specs: string[], catalog: CatalogSnapshot): ColumnRef[] =>
  specs.map((spec) => resolveColumn(catalog, spec, '--not-a-reference'));
