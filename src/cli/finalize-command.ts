import type { Command } from 'commander';
import { finalize } from '../executor/finalize.js';
import { displayColumn } from '../model/types.js';
import { confirm } from './confirm.js';
import type { CliIo } from './io.js';
import { type CommonOptions, commonOptions } from './options.js';
import { pickPlanFile } from './pick-plan.js';
import { type RunFlags, runOptions, runSettings } from './run-options.js';

export function registerFinalize(program: Command, io: CliIo): void {
  runOptions(commonOptions(program.command('finalize')))
    .description(
      'after verify passes, drop what only the migration needed (legacy columns the schema does not declare)',
    )
    .option('--plan <file>', 'the plan (default: the newest in ./plans)')
    .action(async (flags: CommonOptions & RunFlags) => {
      const planFile = pickPlanFile(flags.plan, io);
      await confirm(`Finalize ${planFile}: drop the legacy columns, after which rollback is impossible?`, flags.yes);
      const report = await finalize({ plan: planFile, databaseUrl: flags.databaseUrl, settings: runSettings(flags) });
      if (flags.json) io.stdout(`${JSON.stringify(report, null, 2)}\n`);
      else {
        io.stdout(
          `Finalized plan ${report.plan.id}: dropped ${report.dropped.length} column(s); rollback is no longer ` +
            `possible.\n`,
        );
        for (const d of report.dropped) io.stdout(`  ${displayColumn(d.table, d.column)}\n`);
      }
    });
}
