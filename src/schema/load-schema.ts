import type { DrizzleSchemaModel } from '../model/types.js';
import { findSchemaFiles } from './find-files.js';
import { importUserModules } from './import-module.js';
import { drizzleExportsToModel } from './to-model.js';

/** The user's Drizzle schema files, imported once: the model and drizzle-kit's snapshot both read these. */
export interface ImportedSchema {
  files: string[];
  /** Each file's exports, in the order of `files`. */
  modules: Record<string, unknown>[];
}

/** Import a Drizzle schema (file, folder or glob, as drizzle-kit finds them). */
export async function importDrizzleSchema(schema: string | string[], cwd = process.cwd()): Promise<ImportedSchema> {
  const files = findSchemaFiles(schema, cwd);
  return { files, modules: await importUserModules(files, 'Drizzle schema file') };
}

/** The model of an imported schema. */
export const schemaModel = (imported: ImportedSchema): DrizzleSchemaModel =>
  drizzleExportsToModel(
    imported.modules.flatMap((m) => Object.values(m)),
    imported.files,
  );

/** Load a Drizzle schema (file, folder or glob, as drizzle-kit finds them) into the model. */
export async function loadDrizzleSchema(schema: string | string[], cwd = process.cwd()): Promise<DrizzleSchemaModel> {
  return schemaModel(await importDrizzleSchema(schema, cwd));
}
