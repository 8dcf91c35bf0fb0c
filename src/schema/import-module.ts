import { createRequire } from 'node:module';
import path from 'node:path';
import { createJiti, type Jiti, type TransformOptions } from 'jiti';
import { type Transform, transform } from 'sucrase';
import { UsageError } from '../errors.js';

/**
 * Import a user's TypeScript or JavaScript file the way drizzle-kit does (it registers a TS loader
 * and requires the file). Imports resolve from the file's own folder, so a schema gets the project's
 * own drizzle-orm, never ours. A failure becomes one sentence naming the file and the reason.
 */
export async function importUserModule(file: string, what: string): Promise<Record<string, unknown>> {
  const [module] = await importUserModules([file], what);
  return module!;
}

const moduleCache = createRequire(import.meta.url).cache;
const JITI_OPTIONS = { moduleCache: true, fsCache: false, interopDefault: false } as const;

/**
 * TypeScript to CommonJS with sucrase, which only strips types and rewrites imports: about five times
 * faster than jiti's Babel on a schema file (a 164-file schema loads in under a second instead of
 * four). What sucrase cannot read goes to Babel, as before.
 */
function fastTransform(file: string): (opts: TransformOptions) => { code: string } {
  let babel: Jiti | undefined;
  return (opts) => {
    try {
      const transforms: Transform[] = opts.ts ? ['typescript', 'imports'] : ['imports'];
      return {
        code: transform(opts.source, { transforms, ...(opts.filename ? { filePath: opts.filename } : {}) }).code,
      };
    } catch {
      babel ??= createJiti(file, JITI_OPTIONS);
      return { code: babel.transform(opts) };
    }
  };
}

/**
 * Import several files through one loader, as drizzle-kit's one `require` of each does: a module they
 * share (a columns helper, another schema file, drizzle-orm) is compiled and run once, and a table one
 * file imports from another is the same object in both. Afterwards the project's own files leave the
 * module cache, so a later load (init rewrote them, a test planned again) reads them afresh; the
 * packages under node_modules stay compiled for it.
 */
export async function importUserModules(files: string[], what: string): Promise<Record<string, unknown>[]> {
  if (!files.length) return [];
  const jiti = createJiti(files[0]!, { ...JITI_OPTIONS, transform: fastTransform(files[0]!) });
  const before = new Set(Object.keys(moduleCache));
  const modules: Record<string, unknown>[] = [];
  try {
    for (const file of files) {
      try {
        modules.push(await toStderr(() => jiti.import(file) as Promise<Record<string, unknown>>));
      } catch (error) {
        throw new UsageError(`Could not load the ${what} ${file}: ${reasonOf(error)}.`, { cause: error });
      }
    }
    return modules;
  } finally {
    for (const key of Object.keys(moduleCache)) {
      if (!before.has(key) && !key.split(path.sep).includes('node_modules')) delete moduleCache[key];
    }
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
