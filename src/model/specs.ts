import type { CatalogSnapshot, ColumnRef, TableModel, TableRef } from './types.js';
import { displayColumn, displayTable, sameTable } from './types.js';

/**
 * How people name tables and columns on the command line (`--legacy-column posts=old_id`,
 * `--reference forums.last_post_id=posts.id`): `posts`, `blog.posts` or `"My Schema".posts`, as
 * `uuidmig plan` prints them. Pure: resolved against the catalog.
 */
export function matchTables(catalog: CatalogSnapshot, text: string): TableModel[] {
  return catalog.tables.filter((t) => [t.name, `${t.schema}.${t.name}`, displayTable(t)].includes(text));
}

/** The columns a `table.column` text can mean (any of the table forms above, then `.column`). */
export function matchColumns(catalog: CatalogSnapshot, text: string): ColumnRef[] {
  const found: ColumnRef[] = [];
  for (let at = text.indexOf('.'); at > 0; at = text.indexOf('.', at + 1)) {
    const [table, column] = [
      text.slice(0, at),
      text
        .slice(at + 1)
        .replace(/^"(.*)"$/, '$1')
        .replaceAll('""', '"'),
    ];
    for (const t of matchTables(catalog, table)) {
      if (t.columns.some((c) => c.name === column) && !found.some((f) => sameTable(f, t) && f.column === column)) {
        found.push({ schema: t.schema, name: t.name, column });
      }
    }
  }
  return found;
}

/** The shortest text that names this column alone: `posts.author_id`, else `blog.posts.author_id`. */
export function columnSpec(catalog: CatalogSnapshot, table: TableRef, column: string): string {
  const short = `${table.name}.${column}`;
  return matchColumns(catalog, short).length === 1 ? short : displayColumn(table, column);
}
