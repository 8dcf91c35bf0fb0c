import type { Command } from 'commander';
import { BlockedError } from '../errors.js';
import { JSON_OUTPUT_VERSION, verifyOutputSchema } from '../render/json-output.js';
import { renderSinceApply } from '../render/since-apply.js';
import { renderVerifyReport } from '../render/verify-report.js';
import { verify } from '../verify/verify.js';
import { type CliIo, writeJson } from './io.js';
import { type CommonOptions, commonOptions } from './options.js';
import { pickPlanFile } from './pick-plan.js';

export function registerVerify(program: Command, io: CliIo): void {
  commonOptions(program.command('verify'))
    .description('orphan counts, row counts and relationship fingerprints: before (saved), now, diff')
    .option('--plan <file>', 'the plan (default: the newest in ./plans)')
    .action(async (flags: CommonOptions) => {
      const report = await verify({ plan: pickPlanFile(flags.plan, io), databaseUrl: flags.databaseUrl });
      if (flags.json) {
        writeJson(io, verifyOutputSchema, {
          version: JSON_OUTPUT_VERSION,
          command: 'verify',
          planId: report.plan.id,
          status: report.status,
          scope: report.scope,
          ok: report.ok,
          differences: report.differences,
          sinceApply: report.sinceApply,
        });
      } else {
        const title = `verify plan ${report.plan.id} (${report.status}): before -> now`;
        io.stdout(renderVerifyReport(title, report.differences));
        if (report.sinceApply.length) io.stdout(renderSinceApply(report.sinceApply));
      }
      if (!report.ok) {
        throw new BlockedError(
          'Verify found differences between before and now (listed above) that rows written since apply do not ' +
            'explain: rows of apply time point elsewhere, or are hidden by deletions; if the application did not ' +
            'make them, inspect them, and roll back with uuidmig rollback if needed.',
        );
      }
    });
}
