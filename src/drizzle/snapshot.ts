import { createRequire } from 'node:module';
import path from 'node:path';
import { UsageError } from '../errors.js';
import type { ImportedSchema } from '../schema/load-schema.js';

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
 * must be what the team's drizzle-kit writes and reads, never uuidmig's copy. Missing: one sentence.
 */
export function loadDrizzleKit(projectDir: string, teamFolder: string): DrizzleKitApi {
  const require = createRequire(path.join(projectDir, 'package.json'));
  let resolved: string;
  try {
    resolved = require.resolve('drizzle-kit/api');
  } catch (error) {
    throw new UsageError(
      `uuidmig plan writes the snapshot of ${teamFolder} with the project's drizzle-kit, and none is installed ` +
        `where ${projectDir} can find it; install it (npm install -D drizzle-kit) or pass --out <dir> for a ` +
        'folder of its own.',
      { cause: error },
    );
  }
  const api = require(resolved) as Partial<DrizzleKitApi>;
  if (typeof api.generateDrizzleJson !== 'function') {
    throw new UsageError(
      `The drizzle-kit at ${path.dirname(resolved)} has no generateDrizzleJson in drizzle-kit/api; ` +
        'upgrade it to 0.31 or later.',
    );
  }
  return api as DrizzleKitApi;
}

/**
 * `meta/NNNN_snapshot.json` for the schema as it is now, as `drizzle-kit generate` writes it: the same
 * serializer (generateDrizzleJson runs drizzle-kit's generatePgSnapshot), the same keys in the same
 * order (`id` and `prevId` first, `_meta` emptied), two-space JSON without a final newline. Like
 * drizzle-kit generate, it takes every table of the schema (generate applies no schemaFilter) and
 * each table once, however many files export it.
 */
export function renderSnapshot(
  kit: DrizzleKitApi,
  imported: ImportedSchema,
  prevId: string,
  casing?: 'camelCase' | 'snake_case',
): { id: string; text: string } {
  const seen = new Set<unknown>();
  const imports: Record<string, unknown> = {};
  for (const [i, mod] of imported.modules.entries()) {
    // In the order drizzle-kit's loader (esbuild) gives a module's exports: by name, not by declaration.
    for (const name of Object.keys(mod).sort()) {
      const value = mod[name];
      if (seen.has(value)) continue;
      seen.add(value);
      imports[`${i}:${name}`] = value;
    }
  }
  const { id, prevId: prev, ...rest } = kit.generateDrizzleJson(imports, prevId, undefined, casing);
  const snapshot = { id, prevId: prev, ...rest, _meta: { columns: {}, schemas: {}, tables: {} } };
  return { id, text: JSON.stringify(snapshot, null, 2) };
}
