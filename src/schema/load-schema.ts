import type { DrizzleSchemaModel } from '../model/types.js';
import { findSchemaFiles } from './find-files.js';
import { importUserModule } from './import-module.js';
import { drizzleExportsToModel } from './to-model.js';

/** Load a Drizzle schema (file, folder or glob, as drizzle-kit finds them) into the model. */
export async function loadDrizzleSchema(schema: string | string[], cwd = process.cwd()): Promise<DrizzleSchemaModel> {
  const files = findSchemaFiles(schema, cwd);
  const exports: unknown[] = [];
  for (const file of files) {
    const mod = await importUserModule(file, 'Drizzle schema file');
    exports.push(...Object.values(mod));
  }
  return drizzleExportsToModel(exports, files);
}
