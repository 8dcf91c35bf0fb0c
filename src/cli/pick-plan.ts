import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import type { CliIo } from './io.js';

/**
 * --plan, or the newest plan in `<folder>/plans` (the config's folder, where plan writes them), else
 * in ./plans; said on stderr, so nobody applies a plan by surprise.
 */
export function pickPlanFile(flag: string | undefined, io: CliIo, folder = process.cwd()): string {
  if (flag) return flag;
  const cwd = process.cwd();
  const folders = [...new Set([path.join(folder, 'plans'), path.join(cwd, 'plans')])];
  for (const plans of folders) {
    const files = fs.existsSync(plans)
      ? fs
          .readdirSync(plans)
          .filter((f) => f.endsWith('.json'))
          .sort()
      : [];
    if (!files.length) continue;
    const file = path.join(plans, files.at(-1)!);
    io.stderr(`uuidmig: using the newest plan, ${path.relative(cwd, file) || file}\n`);
    return file;
  }
  const where = folders.map((f) => path.relative(cwd, f) || '.').map((f) => (f.startsWith('.') ? f : `./${f}`));
  throw new UsageError(
    `No plan given and none in ${where.join(' or ')}: pass --plan <file> (uuidmig plan writes one).`,
  );
}
