import type { Command } from 'commander';
import { openFinalize } from '../executor/finalize.js';
import { displayColumn, displayTable } from '../model/types.js';
import { finalizeOutputSchema, JSON_OUTPUT_VERSION } from '../render/json-output.js';
import { confirm } from './confirm.js';
import { type CliIo, writeJson } from './io.js';
import { type CommonOptions, commonOptions, databaseUrlOf, planOption, projectFolder, yesOption } from './options.js';
import { pickPlanFile } from './pick-plan.js';
import { progressFor } from './progress.js';
import { type RunFlags, runOptions, runSettings } from './run-options.js';
import { showSession } from './show-session.js';
import { stageTimes } from './stage-times.js';

export function registerFinalize(program: Command, io: CliIo): void {
  planOption(yesOption(runOptions(commonOptions(program.command('finalize')))))
    .description(
      'after verify passes, drop what only the migration needed (legacy columns the schema does not declare)',
    )
    .option(
      '--accept-moved',
      "go on when rows of apply's time point at other parents since apply (verify counts them): the application's",
    )
    .action(async (flags: CommonOptions & RunFlags & { acceptMoved?: boolean }) => {
      const planFile = pickPlanFile(flags.plan, io, projectFolder(flags));
      const settings = runSettings(flags);
      await confirm(`Finalize ${planFile}: drop the legacy columns, after which rollback is impossible?`, flags.yes);
      const databaseUrl = await databaseUrlOf(flags);
      const session = await openFinalize({ plan: planFile, databaseUrl, settings, acceptMoved: flags.acceptMoved });
      const labels = new Map(session.stages.map((s) => [s.id, session.label(s)]));
      const report = await showSession(session, progressFor(io));
      if (flags.json) {
        writeJson(io, finalizeOutputSchema, {
          version: JSON_OUTPUT_VERSION,
          command: 'finalize',
          planId: report.plan.id,
          stages: report.stages,
          dropped: report.dropped.map((d) => ({ table: displayTable(d.table), column: d.column })),
          kept: report.kept.map((k) => ({ table: displayTable(k.table), column: k.column })),
        });
        return;
      }
      const count = report.dropped.length;
      io.stdout(`Finalized plan ${report.plan.id}: dropped ${count} column(s); rollback is no longer possible.\n`);
      io.stdout(stageTimes(report.stages, labels));
      for (const d of report.dropped) io.stdout(`  dropped ${displayColumn(d.table, d.column)}\n`);
      for (const k of report.kept) {
        const why =
          'it held the old ids before this plan (the repair joined through it); drop it once nothing reads it';
        io.stdout(`  kept ${displayColumn(k.table, k.column)}: ${why}\n`);
      }
    });
}
