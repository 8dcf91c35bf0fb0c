import type { Command } from 'commander';
import { BlockedError, UsageError } from '../errors.js';
import type { OrphanPolicy, Strategy } from '../planner/plan-schema.js';
import { rehearse } from '../rehearse/rehearse.js';
import { headlineText } from '../rehearse/report.js';
import { JSON_OUTPUT_VERSION, rehearseOutputSchema } from '../render/json-output.js';
import { type CliIo, writeJson } from './io.js';
import { progressFor } from './progress.js';

interface RehearseFlags {
  sourceUrl?: string;
  stagingUrl?: string;
  schema?: string;
  config?: string;
  plan?: string;
  force?: boolean;
  jobs: string;
  orphans: OrphanPolicy;
  legacyColumn: string[];
  out: string;
  strategy?: Strategy;
  json?: boolean;
}

export function registerRehearse(program: Command, io: CliIo): void {
  program
    .command('rehearse')
    .description('copy a source database to staging (pg_dump/pg_restore), run plan, apply and verify there, and report')
    .option('--source-url <url>', 'the database to rehearse; only read, never written')
    .option('--staging-url <url>', 'where to restore it (default: an embedded PostgreSQL of a compatible version)')
    .option('--schema <path>', 'Drizzle schema file, folder or glob (to plan on staging)')
    .option('--config <file>', 'drizzle.config.ts to read the schema from')
    .option('--plan <file>', 'a plan made for the source, instead of planning on staging')
    .option('--force', 'replace the contents of a non-empty staging database')
    .option('--jobs <n>', 'parallel pg_restore jobs', '1')
    .option('--orphans <policy>', 'rows whose reference has no parent: fail, null or keep', 'fail')
    .option(
      '--legacy-column <name>',
      'column that keeps the old integer key (default legacy_id); table=name for one table; repeatable',
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option('--strategy <name>', 'plan on staging with this strategy: rewrite (default), update or online')
    .option('--out <dir>', 'folder that receives rehearsals/<timestamp>/', '.')
    .option('--json', 'print the report as JSON on stdout')
    .option('--verbose', 'print stack traces with errors')
    .action(async (flags: RehearseFlags) => {
      if (!flags.sourceUrl) throw new UsageError('uuidmig rehearse needs --source-url, the database to copy.');
      const jobs = Number(flags.jobs);
      if (!Number.isInteger(jobs) || jobs < 1 || jobs > 64)
        throw new UsageError(`--jobs takes a whole number from 1 to 64, not "${flags.jobs}".`);
      const progress = progressFor(io);
      const { report, folder } = await rehearse({
        sourceUrl: flags.sourceUrl,
        stagingUrl: flags.stagingUrl,
        schema: flags.schema,
        config: flags.config,
        plan: flags.plan,
        force: flags.force,
        jobs,
        orphans: flags.orphans,
        legacyColumn: flags.legacyColumn,
        ...(flags.strategy ? { strategy: flags.strategy } : {}),
        out: flags.out,
        say: (line) => progress.say(line),
      });
      if (flags.json) {
        writeJson(io, rehearseOutputSchema, { version: JSON_OUTPUT_VERSION, command: 'rehearse', folder, report });
      } else
        io.stdout(`${headlineText(report).join('\n')}\nReport: ${folder}/report.html (also report.md, report.json)\n`);
      if (!report.verification.ok)
        throw new BlockedError(
          'The rehearsal ran, but verification on staging found differences (listed in the report).',
        );
    });
}
