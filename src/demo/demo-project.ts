import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { DEMO_SCHEMA } from './forum-schema.js';

const require = createRequire(import.meta.url);

/** The folder of the drizzle-orm uuidmig itself resolves (hoisted or not). */
function drizzleOrmFolder(): string {
  let dir = path.dirname(require.resolve('drizzle-orm'));
  while (!fs.existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return dir;
}

/**
 * A throwaway project like a team's: the target Drizzle schema in `schema.ts`, and drizzle-orm in its
 * own node_modules (a link to the copy uuidmig installed), so the schema imports it from there.
 */
export function writeDemoProject(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uuidmig-demo-'));
  fs.writeFileSync(path.join(dir, 'schema.ts'), DEMO_SCHEMA);
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(drizzleOrmFolder(), path.join(dir, 'node_modules', 'drizzle-orm'), 'dir');
  return dir;
}
