import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The `sql/` folder ships with the package; it sits two levels above both src/catalog and dist/catalog. */
export const SQL_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'sql');

const cache = new Map<string, string>();

/** Read a query from `sql/<name>.sql`, so a DBA can read exactly what we ask the database. */
export function readSqlFile(name: string): string {
  let text = cache.get(name);
  if (text === undefined) {
    text = fs.readFileSync(path.join(SQL_DIR, `${name}.sql`), 'utf8');
    cache.set(name, text);
  }
  return text;
}
