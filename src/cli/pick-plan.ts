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
  const file = newestPlanFile(folder);
  if (file) {
    io.stderr(`uuidmig: using the newest plan, ${path.relative(cwd, file) || file}\n`);
    return file;
  }
  const where = planFolders(folder)
    .map((f) => path.relative(cwd, f) || '.')
    .map((f) => (f.startsWith('.') ? f : `./${f}`));
  throw new UsageError(
    `No plan given and none in ${where.join(' or ')}: pass --plan <file> (uuidmig plan writes one).`,
  );
}

const planFolders = (folder: string) => [...new Set([path.join(folder, 'plans'), path.join(process.cwd(), 'plans')])];

/** The newest plan file in `<folder>/plans`, else in ./plans: the one apply takes without --plan. */
export function newestPlanFile(folder = process.cwd()): string | null {
  for (const plans of planFolders(folder)) {
    const files = fs.existsSync(plans) ? fs.readdirSync(plans).filter((f) => f.endsWith('.json')) : [];
    if (files.length) return path.join(plans, files.sort().at(-1)!);
  }
  return null;
}
