import { createJiti } from 'jiti';
import { UsageError } from '../errors.js';

/**
 * Import a user's TypeScript or JavaScript file the way drizzle-kit does (it registers a TS loader
 * and requires the file). Imports resolve from the file's own folder, so a schema gets the project's
 * own drizzle-orm, never ours. A failure becomes one sentence naming the file and the reason.
 */
export async function importUserModule(file: string, what: string): Promise<Record<string, unknown>> {
  const jiti = createJiti(file, { moduleCache: false, fsCache: false, interopDefault: false });
  try {
    return (await jiti.import(file)) as Record<string, unknown>;
  } catch (error) {
    throw new UsageError(`Could not load the ${what} ${file}: ${reasonOf(error)}.`, { cause: error });
  }
}

function reasonOf(error: unknown): string {
  const e = error as { code?: string; message?: string };
  const message = (e?.message ?? String(error)).split('\n')[0]!.trim().replace(/\.$/, '');
  const missing = /Cannot find (?:module|package) '([^']+)'/.exec(e?.message ?? '');
  if (missing) return `it imports "${missing[1]}", which cannot be found (is it installed in the schema's project?)`;
  return message;
}
