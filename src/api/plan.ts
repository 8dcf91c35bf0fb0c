import path from 'node:path';
import { connect, parseDatabaseUrl, withDatabaseErrors } from '../db/connect.js';
import { findTeamFolder } from '../drizzle/folder.js';
import { type EntryForPlan, entryForPlan } from '../drizzle/plan-entry.js';
import { migrationsOf } from '../drizzle/record.js';
import { writeEntry } from '../drizzle/team-entry.js';
import { UsageError } from '../errors.js';
import type { Finding } from '../model/work.js';
import { loadSqlParser } from '../planner/online/rewrite-sql.js';
import type { OrphanPolicy, Plan, Strategy } from '../planner/plan-schema.js';
import { sealPlan } from '../planner/seal.js';
import { writeMigrations } from '../render/migrations.js';
import { writePlanFile } from '../render/plan-file.js';
import { importDrizzleSchema, schemaModel } from '../schema/load-schema.js';
import { checkDdl, emptyCopy } from './ddl-check.js';
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
  /** Online: rows per backfill batch (default 5000). */
  batchSize?: number;
  /**
   * Folder that receives plans/ and migrations/ (default: the current folder). A drizzle-kit folder
   * (0.x's meta/_journal.json, or 1.0's folder per migration) receives the plan's migration as its
   * next entry instead (as the config's `out` does), and plans/ then goes in the current folder.
   */
  out?: string;
  /** Where plans/ and migrations/ go when `out` is not given (the CLI: the config's folder); default `.`. */
  home?: string;
  name?: string;
  /**
   * Where plan proves its statements on an empty schema-only copy: a scratch database on this server
   * (a URL the user allows it to create databases on), else an embedded server of the source's version.
   */
  ddlCheckUrl?: string;
  /** Skip that proof (a server it cannot run for: no pg_dump of its version, say); apply may then fail. */
  skipDdlCheck?: boolean;
  /** Write the plan and its migrations when nothing blocks (default true). */
  write?: boolean;
  now?: Date;
}

export interface PlanResult {
  plan: Plan;
  blockers: Finding[];
  /** Where the plan's statements were proven on an empty copy, and how long it took; null when skipped. */
  ddlCheck: { where: string; ms: number; passes: string[] } | null;
  planFile: string | null;
  /** plan's own `migrations/<id>/`, or the team's drizzle folder that received the entry. */
  migrationsFolder: string | null;
  /** The entry appended to the team's drizzle folder; null when plan wrote a folder of its own. */
  drizzleEntry: {
    sqlFile: string;
    snapshotFile: string;
    /** `meta/_journal.json` (drizzle-kit 0.x's layout); null in 1.0's, which has no journal. */
    journal: string | null;
    tag: string;
    replaced: string | null;
  } | null;
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
    batchSize: options.batchSize,
    now: options.now ?? new Date(),
  };
  if (!NAME.test(settings.name))
    throw new UsageError(`The plan name "${settings.name}" may only hold letters, digits, _ and - (at most 60).`);
  if (!['fail', 'null', 'keep'].includes(settings.orphans))
    throw new UsageError(`--orphans must be fail, null or keep, not "${settings.orphans}".`);
  if (!['rewrite', 'update', 'online'].includes(settings.strategy))
    throw new UsageError(`--strategy must be rewrite, update or online, not "${settings.strategy}".`);
  if (settings.batchSize !== undefined && !(Number.isInteger(settings.batchSize) && settings.batchSize > 0))
    throw new UsageError(`--batch-size takes a whole number of rows above 0, not "${settings.batchSize}".`);
  if (settings.strategy === 'online') await loadSqlParser();
  const inputs = await resolveInputs(options);
  const cwd = options.cwd ?? process.cwd();
  const url = parseDatabaseUrl(inputs.databaseUrl).toString();
  const configDir = inputs.config ? path.dirname(inputs.config.file) : null;
  // The config's `out` is relative to the current folder for drizzle-kit; beside the config it is found too.
  const configOut = inputs.config?.out;
  // --out decides alone: a folder that is no drizzle-kit folder gets plans/ and migrations/, even when
  // the config's out is one.
  const team = findTeamFolder(
    options.out ? [options.out] : [configOut, configOut && configDir ? path.resolve(configDir, configOut) : undefined],
    cwd,
  );
  // drizzle's migrations table is its bookkeeping: the plan is made (and bound) without it.
  const migrations = migrationsOf(inputs.config);
  const drizzleMigrations = { schema: migrations.schema, name: migrations.table };
  const imported = await importDrizzleSchema(inputs.schema, options.cwd);
  const schema = schemaModel(imported);
  const sql = await connect(url);
  let made: { plan: Plan; blockers: Finding[] };
  let ddlCheck: PlanResult['ddlCheck'] = null;
  let entry: EntryForPlan | null = null;
  // The DDL check's empty copy is made while plan reads and plans (a server to start, a dump to restore);
  // awaited when the check runs, else dropped once made (so a plan that stops early still waits for it,
  // and leaves no scratch database behind). Its failure (no pg_dump for the server, say) shows there.
  const copying = options.skipDdlCheck
    ? null
    : withDatabaseErrors(url, () => emptyCopy(sql, url, settings.name, options.ddlCheckUrl));
  copying?.catch(() => {});
  let checking = false;
  try {
    const inspected = await withDatabaseErrors(url, () =>
      inspect(sql, schema, { ...settings, schemaFilter: inputs.schemaFilter, drizzleMigrations }),
    );
    made = inspected;
    if (options.skipDdlCheck) {
      made.plan.warnings.unshift({
        kind: 'ddl-check-skipped',
        table: { schema: '', name: '' },
        columns: [],
        message:
          "--skip-ddl-check: the plan's statements were not proven on an empty copy of the database, so one that " +
          'cannot run would fail inside apply (its stage is rolled back, the database left as before it).',
      });
    }
    made.plan = sealPlan(made.plan); // its warnings changed
    if (team && !made.blockers.length && made.plan.stages.length) {
      const plan = made.plan;
      entry = await withDatabaseErrors(url, () =>
        entryForPlan(sql, team, plan, inspected.input, imported, inputs.config, settings.now),
      );
      made.blockers.push(...entry.blockers);
    }
    if (!made.blockers.length && made.plan.stages.length && copying) {
      const prepared = entry?.prepared;
      checking = true;
      const copy = await copying;
      const checked = await withDatabaseErrors(url, () => checkDdl(copy, made.plan, prepared));
      made.blockers.push(...checked.blockers);
      if (checked.warnings.length)
        made.plan = sealPlan({ ...made.plan, warnings: [...made.plan.warnings, ...checked.warnings] });
      ddlCheck = { where: checked.where, ms: checked.ms, passes: checked.passes };
    }
  } finally {
    if (copying && !checking) await copying.then((copy) => copy.scratch.close()).catch(() => {});
    await sql.end({ timeout: 5 });
  }
  if (made.blockers.length || made.plan.stages.length === 0 || options.write === false)
    return { ...made, ddlCheck, planFile: null, migrationsFolder: null, drizzleEntry: null };
  const out = path.resolve(cwd, options.out ?? options.home ?? '.');
  if (!entry) {
    const planFile = writePlanFile(made.plan, path.join(out, 'plans'));
    const migrationsFolder = writeMigrations(made.plan, path.join(out, 'migrations', made.plan.id)).folder;
    return { ...made, ddlCheck, planFile, migrationsFolder, drizzleEntry: null };
  }
  // The team's folder takes the migration; the plan stays in plans/ where apply looks for it (beside the
  // config, or in the current folder, when --out is the team's folder itself), and names the entry apply records.
  const { prepared } = entry;
  const base = out === prepared.folder ? (configDir ?? cwd) : out;
  made.plan = sealPlan({ ...made.plan, drizzle: { folder: path.relative(base, prepared.folder), ...prepared.entry } });
  const planFile = writePlanFile(made.plan, path.join(base, 'plans'));
  writeEntry(prepared);
  const { sqlFile, snapshotFile } = prepared;
  const journal = prepared.journal ? path.join(prepared.folder, 'meta', '_journal.json') : null;
  const tag = prepared.entry.tag;
  const drizzleEntry = { sqlFile, snapshotFile, journal, tag, replaced: prepared.replaced?.tag ?? null };
  return { ...made, ddlCheck, planFile, migrationsFolder: prepared.folder, drizzleEntry };
}
