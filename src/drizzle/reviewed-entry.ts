import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import type { Plan } from '../planner/plan-schema.js';
import { entrySqlFile, migrationHash } from './record.js';

/**
 * The team folder's entry apply records must be the file plan wrote: drizzle's migrator tells a file
 * it ran by its hash, so an entry edited after plan would run again on this database (and refuse, it
 * has rows), or a hand-made change would be marked applied without having run. Checked, like the
 * migration files of plan's own folder, before anything connects; a folder that is not there (the
 * plan file was carried elsewhere) is not checked.
 */
export function checkEntryFile(plan: Plan, planFile: string): void {
  if (!plan.drizzle) return;
  const base = path.dirname(path.dirname(path.resolve(planFile)));
  const folder = path.resolve(base, plan.drizzle.folder);
  const file = entrySqlFile(folder, plan.drizzle);
  if (!fs.existsSync(folder)) return;
  const reason = !fs.existsSync(file)
    ? 'it is missing'
    : migrationHash(fs.readFileSync(file, 'utf8')) !== plan.drizzle.hash
      ? 'it was changed after uuidmig plan wrote it'
      : null;
  if (reason) {
    throw new UsageError(
      `The plan file ${planFile} names the drizzle migration ${file}, and ${reason}; nothing was run. Make the ` +
        'plan again with uuidmig plan.',
    );
  }
}
