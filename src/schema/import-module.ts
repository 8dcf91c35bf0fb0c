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
    return await toStderr(() => jiti.import(file) as Promise<Record<string, unknown>>);
  } catch (error) {
    throw new UsageError(`Could not load the ${what} ${file}: ${reasonOf(error)}.`, { cause: error });
  }
}

/**
 * What a user's module prints while it loads (a config that logs its database, a schema that
 * console.logs) goes to stderr: stdout is uuidmig's, and under --json it carries one JSON document.
 */
async function toStderr<T>(load: () => Promise<T>): Promise<T> {
  const write = process.stdout.write;
  process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;
  try {
    return await load();
  } finally {
    process.stdout.write = write;
  }
}

function reasonOf(error: unknown): string {
  const e = error as { code?: string; message?: string };
  const message = (e?.message ?? String(error)).split('\n')[0]!.trim().replace(/\.$/, '');
  const missing = /Cannot find (?:module|package) '([^']+)'/.exec(e?.message ?? '');
  if (missing) return `it imports "${missing[1]}", which cannot be found (is it installed in the schema's project?)`;
  return message;
}
