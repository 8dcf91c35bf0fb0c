import path from 'node:path';
import type { Command } from 'commander';
import { status } from '../executor/status.js';
import { JSON_OUTPUT_VERSION, statusOutputSchema } from '../render/json-output.js';
import { renderStatus } from '../render/status.js';
import { type CliIo, writeJson } from './io.js';
import { type CommonOptions, commonOptions, databaseUrlOf, projectFolder } from './options.js';
import { newestPlanFile } from './pick-plan.js';

export function registerStatus(program: Command, io: CliIo): void {
  commonOptions(program.command('status'))
    .description('the plans in this database, where each stands, and the next command to run')
    .action(async (flags: CommonOptions) => {
      const report = await status({ databaseUrl: await databaseUrlOf(flags) });
      // The plan apply would take without --plan, when this database has not seen it.
      const file = newestPlanFile(projectFolder(flags));
      const id = file ? path.basename(file, '.json') : null;
      if (file && id && !report.plans.some((p) => p.id === id))
        report.planned = { id, file: path.relative(process.cwd(), file) || file };
      if (flags.json) {
        writeJson(io, statusOutputSchema, {
          version: JSON_OUTPUT_VERSION,
          command: 'status',
          ...report,
          planned: report.planned ?? null,
        });
      } else {
        io.stdout(renderStatus(report));
      }
    });
}
