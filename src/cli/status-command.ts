import type { Command } from 'commander';
import { status } from '../executor/status.js';
import { JSON_OUTPUT_VERSION, statusOutputSchema } from '../render/json-output.js';
import { renderStatus } from '../render/status.js';
import { type CliIo, writeJson } from './io.js';
import { type CommonOptions, commonOptions, databaseUrlOf } from './options.js';

export function registerStatus(program: Command, io: CliIo): void {
  commonOptions(program.command('status'))
    .description('the plans in this database, where each stands, and the next command to run')
    .action(async (flags: CommonOptions) => {
      const report = await status({ databaseUrl: await databaseUrlOf(flags) });
      if (flags.json) {
        writeJson(io, statusOutputSchema, { version: JSON_OUTPUT_VERSION, command: 'status', ...report });
      } else {
        io.stdout(renderStatus(report));
      }
    });
}
