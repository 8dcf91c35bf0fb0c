import path from 'node:path';
import { connect, parseDatabaseUrl, withDatabaseErrors } from '../db/connect.js';
import { UsageError } from '../errors.js';
import type { Finding } from '../model/work.js';
import type { OrphanPolicy, Plan, Strategy } from '../planner/plan-schema.js';
import { writeMigrations } from '../render/migrations.js';
import { writePlanFile } from '../render/plan-file.js';
import { loadDrizzleSchema } from '../schema/load-schema.js';
import { inspect } from './inspect.js';
import { type InputOptions, resolveInputs } from './resolve-inputs.js';

export interface PlanOptions extends InputOptions {
  /** `legacy_id` for every table, `posts=old_id` for one (repeatable, as --legacy-column is). */
  legacyColumn?: string | string[];
  /** References nothing declares: `forums.last_post_id=posts.id` (--reference). */
  reference?: string[];
  /** Columns that look like references and are not: `orders.external_id` (--not-a-reference). */
  notAReference?: string[];
  orphans?: OrphanPolicy;
  /** Let the user's triggers fire for the migration's own writes. */
  fireTriggers?: boolean;
  /** rewrite (default): each table written once; update: add, UPDATE, swap. */
  strategy?: Strategy;
  /** Folder that receives plans/ and migrations/ (default: the current folder). */
  out?: string;
  name?: string;
  /** Write the plan and its migrations when nothing blocks (default true). */
  write?: boolean;
  now?: Date;
}

export interface PlanResult {
  plan: Plan;
  blockers: Finding[];
  planFile: string | null;
  migrationsFolder: string | null;
}

const NAME = /^[A-Za-z0-9_-]{1,60}$/;

/** `uuidmig plan` as a library call: read both sides, find the work, check it, write the plan. */
export async function plan(options: PlanOptions = {}): Promise<PlanResult> {
  const settings = {
    strategy: options.strategy ?? 'rewrite',
    fireTriggers: options.fireTriggers ?? false,
    legacyColumn: [options.legacyColumn ?? []].flat(),
    reference: options.reference ?? [],
    notAReference: options.notAReference ?? [],
    orphans: options.orphans ?? 'fail',
    name: options.name ?? 'uuid_keys',
    now: options.now ?? new Date(),
  };
  if (!NAME.test(settings.name))
    throw new UsageError(`The plan name "${settings.name}" may only hold letters, digits, _ and - (at most 60).`);
  if (!['fail', 'null', 'keep'].includes(settings.orphans))
    throw new UsageError(`--orphans must be fail, null or keep, not "${settings.orphans}".`);
  if (!['rewrite', 'update'].includes(settings.strategy))
    throw new UsageError(`--strategy must be rewrite or update, not "${settings.strategy}".`);
  const inputs = await resolveInputs(options);
  const url = parseDatabaseUrl(inputs.databaseUrl).toString();
  const schema = await loadDrizzleSchema(inputs.schema, options.cwd);
  const sql = await connect(url);
  let made: { plan: Plan; blockers: Finding[] };
  try {
    made = await withDatabaseErrors(url, () =>
      inspect(sql, schema, { ...settings, schemaFilter: inputs.schemaFilter }),
    );
  } finally {
    await sql.end({ timeout: 5 });
  }
  if (made.blockers.length || made.plan.stages.length === 0 || options.write === false)
    return { ...made, planFile: null, migrationsFolder: null };
  const out = path.resolve(options.cwd ?? process.cwd(), options.out ?? '.');
  const planFile = writePlanFile(made.plan, path.join(out, 'plans'));
  const migrationsFolder = writeMigrations(made.plan, path.join(out, 'migrations', made.plan.id)).folder;
  return { ...made, planFile, migrationsFolder };
}
