import { createRequire } from 'node:module';
import path from 'node:path';
import { UsageError } from '../errors.js';
import type { ImportedSchema } from '../schema/load-schema.js';
import type { TeamFolder } from './folder.js';
import type { DrizzleKitV1Api } from './snapshot-v1.js';

/** What uuidmig uses of drizzle-kit/api (0.2x-0.31). */
interface DrizzleKitApi {
  generateDrizzleJson(
    imports: Record<string, unknown>,
    prevId?: string,
    schemaFilters?: string[],
    casing?: 'camelCase' | 'snake_case',
  ): Record<string, unknown> & { id: string; prevId: string };
}

/**
 * The project's own drizzle-kit, resolved from its folder (the config's, or the schema's): the snapshot
 * must be what the team's drizzle-kit writes and reads, never uuidmig's copy. 0.x serves the journal
 * layout through `drizzle-kit/api`, 1.0 the folder-per-migration layout through
 * `drizzle-kit/api-postgres`; each reads only its own. Missing, or the other major: one sentence.
 */
export function loadDrizzleKit(projectDir: string, team: { folder: string; layout: 'journal' }): DrizzleKitApi;
export function loadDrizzleKit(projectDir: string, team: { folder: string; layout: 'folders' }): DrizzleKitV1Api;
export function loadDrizzleKit(projectDir: string, team: Pick<TeamFolder, 'folder' | 'layout'>) {
  const require = createRequire(path.join(projectDir, 'package.json'));
  const resolve = (entry: string) => {
    try {
      return require.resolve(entry);
    } catch {
      return null;
    }
  };
  const v0 = resolve('drizzle-kit/api');
  const v1 = resolve('drizzle-kit/api-postgres');
  const where = `where ${projectDir} can find it`;
  if (!v0 && !v1) {
    throw new UsageError(
      `uuidmig plan writes the snapshot of ${team.folder} with the project's drizzle-kit, and none is installed ` +
        `${where}; install it (npm install -D drizzle-kit) or pass --out <dir> for a folder of its own.`,
    );
  }
  if (team.layout === 'folders') {
    if (!v1) {
      throw new UsageError(
        `${team.folder} has drizzle-kit 1.0's layout (a folder per migration), and the project's drizzle-kit ` +
          `(${where}) is older: install drizzle-kit 1.0, as the team's folder needs.`,
      );
    }
    return require(v1) as DrizzleKitV1Api;
  }
  if (!v0) {
    throw new UsageError(
      `${team.folder} has drizzle-kit 0.x's layout (meta/_journal.json), which the project's drizzle-kit 1.0 ` +
        'no longer reads: convert it with npx drizzle-kit up, then plan again.',
    );
  }
  const api = require(v0) as Partial<DrizzleKitApi>;
  if (typeof api.generateDrizzleJson !== 'function') {
    throw new UsageError(
      `The drizzle-kit at ${path.dirname(v0)} has no generateDrizzleJson in drizzle-kit/api; ` +
        'upgrade it to 0.31 or later.',
    );
  }
  return api as DrizzleKitApi;
}

/**
 * The schema's exports as drizzle-kit's loader hands them over: each value once, a module's exports in
 * the order esbuild gives them (by name, not by declaration).
 */
export function kitImports(imported: ImportedSchema): Record<string, unknown> {
  const seen = new Set<unknown>();
  const imports: Record<string, unknown> = {};
  for (const [i, mod] of imported.modules.entries()) {
    for (const name of Object.keys(mod).sort()) {
      const value = mod[name];
      if (seen.has(value)) continue;
      seen.add(value);
      imports[`${i}:${name}`] = value;
    }
  }
  return imports;
}

/**
 * drizzle-kit's serializer prints a schema it cannot read and calls process.exit(1): inside plan that
 * becomes an error (its message is already on stderr), so nothing stops halfway without a word.
 */
export async function noExit<T>(work: () => T | Promise<T>): Promise<T> {
  const exit = process.exit;
  process.exit = ((code?: number) => {
    throw new UsageError(`drizzle-kit could not read the Drizzle schema (exit ${code ?? 0}; its message is above).`);
  }) as typeof process.exit;
  try {
    return await work();
  } finally {
    process.exit = exit;
  }
}

/**
 * `meta/NNNN_snapshot.json` for the schema as it is now, as `drizzle-kit generate` writes it: the same
 * serializer (generateDrizzleJson runs drizzle-kit's generatePgSnapshot), the same keys in the same
 * order (`id` and `prevId` first, `_meta` emptied), two-space JSON without a final newline. Like
 * drizzle-kit generate, it takes every table of the schema (generate applies no schemaFilter) and
 * each table once, however many files export it.
 */
export async function renderSnapshot(
  kit: DrizzleKitApi,
  imported: ImportedSchema,
  prevId: string,
  casing?: 'camelCase' | 'snake_case',
): Promise<{ id: string; text: string }> {
  const made = await noExit(() => kit.generateDrizzleJson(kitImports(imported), prevId, undefined, casing));
  const { id, prevId: prev, ...rest } = made;
  const snapshot = { id, prevId: prev, ...rest, _meta: { columns: {}, schemas: {}, tables: {} } };
  return { id, text: JSON.stringify(snapshot, null, 2) };
}
