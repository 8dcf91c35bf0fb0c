import fs from 'node:fs';
import { UsageError } from '../errors.js';
import type { ImportedSchema } from '../schema/load-schema.js';
import type { FolderEntry } from './folder.js';
import { kitImports, noExit } from './snapshot.js';

type Row = Record<string, unknown> & { entityType: string };
interface State {
  version: string;
  dialect: string;
  id: string;
  prevIds: string[];
  ddl: Row[];
}

/** What uuidmig uses of drizzle-kit 1.0's `drizzle-kit/api-postgres`. */
export interface DrizzleKitV1Api {
  generateDrizzleJson(imports: Record<string, unknown>, prevId?: string): Promise<State>;
  /** The schema the folder's snapshots build (its base, then each diff's deltas), keyed by folder name. */
  reconstruct(files: Record<string, unknown>): Promise<State>;
}

/**
 * How drizzle-kit 1.0 names an entity in a snapshot's deltas (its postgres DDL's identities):
 * `<entityType>\0<JSON of the identity's fields>`.
 */
const IDENTITY: Record<string, string[]> = {
  schemas: ['name'],
  roles: ['name'],
  tables: ['schema', 'name'],
  enums: ['schema', 'name'],
  indexes: ['schema', 'name'],
  sequences: ['schema', 'name'],
  views: ['schema', 'name'],
  columns: ['schema', 'table', 'name'],
  fks: ['schema', 'table', 'name'],
  pks: ['schema', 'table', 'name'],
  uniques: ['schema', 'table', 'name'],
  checks: ['schema', 'table', 'name'],
  policies: ['schema', 'table', 'name'],
  privileges: ['schema', 'table', 'grantor', 'grantee', 'type'],
};

function keyOf(row: Row): string {
  const fields = IDENTITY[row.entityType];
  if (!fields) throw new UsageError(`drizzle-kit's snapshot has an entity uuidmig does not know: ${row.entityType}.`);
  return `${row.entityType}\0${JSON.stringify(fields.map((f) => row[f]))}`;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * A diff snapshot's `deltas`, as drizzle-kit 1.0's generate computes them (its dialect's `delta()`,
 * which its API does not export): the created rows whole, in the new schema's order, then the dropped
 * keys, then each changed row's key with the fields that changed.
 */
export function snapshotDeltas(before: Row[], after: Row[]): Record<string, unknown>[] {
  const right = new Map(after.map((r) => [keyOf(r), r]));
  const dropped: Record<string, unknown>[] = [];
  const altered: Record<string, unknown>[] = [];
  for (const old of before) {
    const key = keyOf(old);
    const now = right.get(key);
    if (!now) {
      dropped.push({ op: 'drop', key });
      continue;
    }
    right.delete(key);
    const set: Record<string, unknown> = {};
    for (const field of new Set([...Object.keys(old), ...Object.keys(now)]))
      if (field !== 'entityType' && !same(old[field], now[field])) set[field] = now[field];
    if (Object.keys(set).length) altered.push({ op: 'alter', key, set });
  }
  const created = [...right.values()].map((row) => ({ op: 'create', row }));
  return [...created, ...dropped, ...altered];
}

/**
 * `<timestamp>_<name>/snapshot.json` for the schema as it is now, as drizzle-kit 1.0's generate writes
 * it: a `diff` from the schema the folder's snapshots build (drizzle-kit's own reconstruct and
 * generateDrizzleJson), two-space JSON without a final newline. Its `footprints` (what drizzle-kit
 * compares between two branches' migrations) are left empty, as drizzle-kit's own `--custom` leaves them.
 */
export async function renderSnapshotV1(
  kit: DrizzleKitV1Api,
  imported: ImportedSchema,
  earlier: FolderEntry[],
): Promise<{ id: string; text: string }> {
  const files: Record<string, unknown> = {};
  for (const e of earlier.filter((e) => fs.existsSync(e.snapshotFile)))
    files[e.tag] = JSON.parse(fs.readFileSync(e.snapshotFile, 'utf8'));
  if (!Object.keys(files).length) {
    throw new UsageError(
      `uuidmig plan writes its snapshot as a change from the drizzle folder's, and no migration of ` +
        `${earlier[0]?.sqlFile ?? 'the folder'} has a snapshot.json: run drizzle-kit generate once first.`,
    );
  }
  const before = await kit.reconstruct(files).catch((error: Error) => {
    throw new UsageError(`drizzle-kit cannot read the drizzle folder's snapshots: ${error.message}.`, { cause: error });
  });
  const now = await noExit(() => kit.generateDrizzleJson(kitImports(imported), before.id));
  const snapshot = {
    type: 'diff',
    version: now.version,
    dialect: now.dialect,
    id: now.id,
    prevIds: now.prevIds,
    footprints: [],
    deltas: snapshotDeltas(before.ddl, now.ddl),
  };
  return { id: now.id, text: JSON.stringify(snapshot, null, 2) };
}
