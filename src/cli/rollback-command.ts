import type { Command } from 'commander';
import { openRollback } from '../executor/rollback.js';
import { JSON_OUTPUT_VERSION, rollbackOutputSchema } from '../render/json-output.js';
import { renderSinceApply } from '../render/since-apply.js';
import { confirm } from './confirm.js';
import { type CliIo, writeJson } from './io.js';
import { type CommonOptions, commonOptions, databaseUrlOf, planOption, projectFolder, yesOption } from './options.js';
import { pickPlanFile } from './pick-plan.js';
import { progressFor } from './progress.js';
import { type RunFlags, runOptions, runSettings } from './run-options.js';
import { showSession } from './show-session.js';
import { stageTimes } from './stage-times.js';

export function registerRollback(program: Command, io: CliIo): void {
  planOption(yesOption(runOptions(commonOptions(program.command('rollback')))))
    .description('undo an applied plan while the legacy columns still exist')
    .action(async (flags: CommonOptions & RunFlags) => {
      const planFile = pickPlanFile(flags.plan, io, projectFolder(flags));
      const settings = runSettings(flags);
      await confirm(`Roll back ${planFile}: the keys become integers again?`, flags.yes);
      const session = await openRollback({ plan: planFile, databaseUrl: await databaseUrlOf(flags), settings });
      const labels = new Map(session.stages.map((s) => [s.id, session.label(s)]));
      const report = await showSession(session, progressFor(io));
      if (flags.json) {
        writeJson(io, rollbackOutputSchema, {
          version: JSON_OUTPUT_VERSION,
          command: 'rollback',
          planId: report.plan.id,
          stages: report.stages,
          verification: { ok: report.ok, differences: report.differences },
          sinceApply: report.sinceApply,
        });
      } else {
        io.stdout(`Rolled back plan ${report.plan.id}:\n`);
        io.stdout(stageTimes(report.stages, labels));
        io.stdout(
          'Every row holds the integer of the parent its uuid pointed to: checked inside each stage, before it ' +
            'committed (rows written after apply included).\n',
        );
        io.stdout(renderSinceApply(report.sinceApply, "the application's writes, not the rollback's"));
      }
    });
}
