import type { Command } from 'commander';
import { type PlanResult, plan } from '../api/plan.js';
import { BlockedError } from '../errors.js';
import type { OrphanPolicy, Strategy } from '../planner/plan-schema.js';
import { JSON_OUTPUT_VERSION, planOutputSchema } from '../render/json-output.js';
import { renderSummary } from '../render/summary.js';
import { type CliIo, writeJson } from './io.js';
import { type CommonOptions, commonOptions, projectFolder, schemaOption } from './options.js';

interface PlanFlags extends CommonOptions {
  legacyColumn: string[];
  reference: string[];
  notAReference: string[];
  ddlCheckUrl?: string;
  skipDdlCheck?: boolean;
  orphans: OrphanPolicy;
  out?: string;
  name: string;
  fireTriggers?: boolean;
  strategy: Strategy;
  batchSize?: string;
}

export function registerPlan(program: Command, io: CliIo): void {
  schemaOption(commonOptions(program.command('plan')))
    .description('read the Drizzle schema and the live catalog, write a plan and its SQL migrations')
    .option(
      '--legacy-column <name>',
      'column that keeps the old integer key (default legacy_id); table=name for one table; repeatable',
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option(
      '--reference <child=parent>',
      'a reference nothing declares, e.g. forums.last_post_id=posts.id: it converts like any other; repeatable',
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option(
      '--not-a-reference <column>',
      'a column that looks like a reference and is not, e.g. orders.external_id; repeatable',
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option(
      '--ddl-check-url <url>',
      'prove the statements in a scratch database on this server (default: UUIDMIG_DDL_CHECK_URL, else an ' +
        'embedded PostgreSQL of the same version)',
    )
    .option('--skip-ddl-check', 'do not prove the statements on an empty copy first (apply may then fail halfway)')
    .option('--orphans <policy>', 'rows whose reference has no parent: fail, null or keep', 'fail')
    .option(
      '--strategy <name>',
      'rewrite (each table written once, the fast offline default), update (add, UPDATE, swap) or online ' +
        '(the application keeps writing: batched backfill, concurrent builds, a swap of a moment)',
      'rewrite',
    )
    .option('--batch-size <rows>', 'online: rows per backfill batch, each its own short transaction (default 5000)')
    .option('--fire-triggers', "let the user's triggers fire for the migration's own writes (default: held off)")
    .option('--out <dir>', "folder that receives plans/ and migrations/ (default: the config's folder, else .)")
    .option('--name <name>', 'name of the plan', 'uuid_keys')
    .action(async (flags: PlanFlags) => {
      const result = await plan({
        schema: flags.schema,
        config: flags.config,
        databaseUrl: flags.databaseUrl,
        legacyColumn: flags.legacyColumn,
        reference: flags.reference,
        notAReference: flags.notAReference,
        ddlCheckUrl: flags.ddlCheckUrl ?? process.env.UUIDMIG_DDL_CHECK_URL,
        skipDdlCheck: flags.skipDdlCheck,
        orphans: flags.orphans,
        out: flags.out,
        home: projectFolder(flags),
        name: flags.name,
        fireTriggers: flags.fireTriggers,
        strategy: flags.strategy,
        ...(flags.batchSize === undefined ? {} : { batchSize: Number(flags.batchSize) }),
      });
      if (flags.json) {
        writeJson(io, planOutputSchema, {
          version: JSON_OUTPUT_VERSION,
          command: 'plan',
          planFile: result.planFile,
          migrations: result.migrationsFolder,
          ...(result.drizzleEntry ? { drizzleEntry: result.drizzleEntry } : {}),
          blocked: result.blockers.length > 0,
          ddlCheck: result.ddlCheck,
          blockers: result.blockers,
          plan: result.plan,
        });
      } else {
        io.stdout(renderSummary(result.plan, result.blockers, { verbose: flags.verbose }));
        if (result.ddlCheck) io.stdout(`\n${ddlCheckLine(result.ddlCheck, result.blockers)}\n`);
        if (result.planFile) io.stdout(`\n${writtenLines(result)}`);
        else if (!result.blockers.length)
          io.stdout('\nNothing to do: no integer key or reference needs to become uuid.\n');
      }
      if (result.blockers.length) {
        throw new BlockedError(
          `The plan is blocked by ${result.blockers.length} problem(s) listed above; nothing was written.`,
        );
      }
    });
}

function writtenLines(result: PlanResult): string {
  const entry = result.drizzleEntry;
  if (!entry) return `wrote ${result.planFile}\nwrote ${result.migrationsFolder}/\n`;
  return [
    `wrote ${result.planFile}`,
    `wrote ${entry.sqlFile}, ${entry.snapshotFile}` +
      (entry.journal ? ` and its entry in ${entry.journal}` : '') +
      (entry.replaced ? ` (in place of ${entry.replaced}, an earlier uuidmig plan's, never run here)` : ''),
    `uuidmig apply runs the plan and records ${entry.tag} in drizzle's migrations table; on an empty database ` +
      'drizzle-kit migrate runs it.',
    '',
  ].join('\n');
}

const ddlCheckLine = (c: { where: string; ms: number; passes: string[] }, blockers: { kind: string }[]) =>
  blockers.some((b) => b.kind === 'ddl-check')
    ? `The DDL check (on an empty copy of this database, ${c.where}) stopped at the statement listed above, ` +
      `in ${(c.ms / 1000).toFixed(2)} s.`
    : `Every statement ran on an empty copy of this database (${c.where}): ${passesText(c.passes)}, in ` +
      `${(c.ms / 1000).toFixed(2)} s.`;

/** `apply, then rollback (which left the schema as it found it) and finalize`, or all four passes. */
const passesText = (passes: string[]) =>
  passes.includes('apply again')
    ? 'apply, rollback, apply again and finalize'
    : 'apply, then rollback (which left the schema exactly as it found it) and finalize';
