import type { Command } from 'commander';
import { BlockedError } from '../errors.js';
import { rollback } from '../executor/rollback.js';
import { renderVerifyReport } from '../render/verify-report.js';
import { confirm } from './confirm.js';
import type { CliIo } from './io.js';
import { type CommonOptions, commonOptions } from './options.js';
import { pickPlanFile } from './pick-plan.js';
import { type RunFlags, runOptions, runSettings } from './run-options.js';

export function registerRollback(program: Command, io: CliIo): void {
  runOptions(commonOptions(program.command('rollback')))
    .description('undo an applied plan while the legacy columns still exist')
    .option('--plan <file>', 'the plan (default: the newest in ./plans)')
    .action(async (flags: CommonOptions & RunFlags) => {
      const planFile = pickPlanFile(flags.plan, io);
      await confirm(`Roll back ${planFile}: the keys become integers again?`, flags.yes);
      const report = await rollback(
        { plan: planFile, databaseUrl: flags.databaseUrl, settings: runSettings(flags) },
        {
          onStep: (step, t) => {
            if (t.rows !== null || t.ms >= 1000)
              io.stderr(
                `uuidmig: ${step.id} ${step.description}${t.rows === null ? '' : `: ${t.rows} rows`} (${t.ms} ms)\n`,
              );
          },
        },
      );
      if (flags.json) io.stdout(`${JSON.stringify(report, null, 2)}\n`);
      else {
        io.stdout(`Rolled back plan ${report.plan.id}:\n`);
        for (const s of report.stages) io.stdout(`  stage ${s.stageId}: ${s.ms} ms\n`);
        io.stdout(renderVerifyReport('verify (integer keys again): before -> now', report.differences));
      }
      if (!report.ok)
        throw new BlockedError('The rollback ran, but the checks differ from verify-before (listed above).');
    });
}
