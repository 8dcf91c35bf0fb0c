import type { Found } from './find-references.js';
import { type ColumnInfo, columnLabel, isInteger, type TableInfo, tableLabel } from './types.js';

export interface Choice {
  /** Integer primary keys that become `uuid(...).primaryKey().defaultRandom()`. */
  keys: ColumnInfo[];
  /** Integer columns that reference a key that is (or becomes) uuid: they become `uuid(...)`. */
  references: ColumnInfo[];
  /** What is left alone, and why, one sentence each. */
  skipped: string[];
}

const IDENTITY = new Set(['generatedAlwaysAsIdentity', 'generatedByDefaultAsIdentity']);

/**
 * The table's key columns: `.primaryKey()`, a one-column `primaryKey({ columns })`, or, when the table
 * declares no primary key, an identity column. A composite key is not one.
 */
export function keyColumns(table: TableInfo): ColumnInfo[] {
  const declared = table.columns.filter((c) => c.links.some((l) => l.name === 'primaryKey'));
  for (const pk of table.primaryKeys) if (pk.length === 1 && !declared.includes(pk[0]!)) declared.push(pk[0]!);
  if (declared.length || table.primaryKeys.length) return declared;
  return table.columns.filter((c) => c.links.some((l) => IDENTITY.has(l.name)));
}

/**
 * Which columns become uuid. The keys of the chosen tables (integer ones convert; uuid ones already
 * are) are the parents; every integer column that references a parent, through `.references()`,
 * `foreignKey()` or `relations()`, follows it, and so on transitively (a 1:1 key that references
 * users.id follows it, and the columns that reference that key follow too). A key that references
 * another column follows that column rather than getting uuids of its own.
 */
export function chooseColumns(tables: TableInfo[], found: Found, chosen: (t: TableInfo) => boolean): Choice {
  const parentsOf = new Map<ColumnInfo, ColumnInfo[]>();
  for (const { child, parent } of found.references.flatMap((r) => r.pairs))
    parentsOf.set(child, [...(parentsOf.get(child) ?? []), parent]);
  const following = new Set([...parentsOf.keys(), ...found.unresolved]);
  const keys: ColumnInfo[] = [];
  const uuidish = new Set<ColumnInfo>();
  for (const table of tables.filter(chosen)) {
    for (const key of keyColumns(table)) {
      if (following.has(key) || (!isInteger(key) && key.builder !== 'uuid')) continue;
      uuidish.add(key);
      if (isInteger(key)) keys.push(key);
    }
  }
  const references: ColumnInfo[] = [];
  for (let grew = true; grew; ) {
    grew = false;
    for (const [child, parents] of parentsOf) {
      if (uuidish.has(child) || !parents.some((p) => uuidish.has(p))) continue;
      if (!isInteger(child) && child.builder !== 'uuid') continue;
      uuidish.add(child);
      if (isInteger(child)) references.push(child);
      grew = true;
    }
  }
  return { keys: sorted(keys), references: sorted(references), skipped: skipped(tables, chosen, found, uuidish) };
}

function skipped(tables: TableInfo[], chosen: (t: TableInfo) => boolean, found: Found, uuidish: Set<ColumnInfo>) {
  const notes: string[] = [];
  for (const table of tables.filter(chosen)) {
    for (const pk of table.primaryKeys.filter((k) => k.length > 1)) {
      if (!pk.some((c) => isInteger(c) && !uuidish.has(c))) continue;
      const columns = pk.map((c) => c.sqlName).join(', ');
      notes.push(`${tableLabel(table)} (${columns}): a composite primary key is left alone.`);
    }
    for (const key of keyColumns(table).filter((k) => isInteger(k) && !uuidish.has(k))) {
      const parents = found.references.flatMap((r) => r.pairs).filter((p) => p.child === key);
      if (parents.length)
        notes.push(`${columnLabel(key)}: left alone, it references ${columnLabel(parents[0]!.parent)}, which stays.`);
    }
  }
  for (const child of found.unresolved) {
    if (!isInteger(child) || uuidish.has(child)) continue;
    notes.push(`${columnLabel(child)}: left alone, its reference leads to no table of the schema files.`);
  }
  return [...new Set(notes)].sort();
}

const sorted = (columns: ColumnInfo[]) => [...columns].sort((a, b) => columnLabel(a).localeCompare(columnLabel(b)));
