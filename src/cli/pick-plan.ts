import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import type { CliIo } from './io.js';

/** --plan, or the newest plan in ./plans (said on stderr, so nobody applies a plan by surprise). */
export function pickPlanFile(flag: string | undefined, io: CliIo, cwd = process.cwd()): string {
  if (flag) return flag;
  const folder = path.join(cwd, 'plans');
  const files = fs.existsSync(folder)
    ? fs
        .readdirSync(folder)
        .filter((f) => f.endsWith('.json'))
        .sort()
    : [];
  if (files.length === 0)
    throw new UsageError('No plan given and none in ./plans: pass --plan <file> (uuidmig plan writes one).');
  const file = path.join(folder, files.at(-1)!);
  io.stderr(`uuidmig: using the newest plan, ${path.relative(cwd, file)}\n`);
  return file;
}
