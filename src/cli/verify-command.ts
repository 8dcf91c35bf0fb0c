import type { Command } from 'commander';
import { BlockedError } from '../errors.js';
import { renderAgreement } from '../render/agreement.js';
import { JSON_OUTPUT_VERSION, verifyOutputSchema } from '../render/json-output.js';
import { renderSinceApply, WRITES_ONLY } from '../render/since-apply.js';
import { renderVerifyReport } from '../render/verify-report.js';
import { verify } from '../verify/verify.js';
import { type CliIo, writeJson } from './io.js';
import { type CommonOptions, commonOptions, databaseUrlOf, planOption, projectFolder } from './options.js';
import { pickPlanFile } from './pick-plan.js';

export function registerVerify(program: Command, io: CliIo): void {
  planOption(commonOptions(program.command('verify')))
    .description('orphan counts, row counts and relationship fingerprints: before (saved), now, diff')
    .action(async (flags: CommonOptions) => {
      const report = await verify({
        plan: pickPlanFile(flags.plan, io, projectFolder(flags)),
        databaseUrl: await databaseUrlOf(flags),
      });
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
          uncompared: report.uncompared,
          ...(report.agreement ? { agreement: report.agreement } : {}),
        });
      } else {
        if (report.agreement) {
          const title = `verify plan ${report.plan.id} (${report.status}, online): at one snapshot`;
          io.stdout(renderAgreement(title, report.agreement));
        } else {
          const title = `verify plan ${report.plan.id} (${report.status}): before -> now`;
          io.stdout(renderVerifyReport(title, report.differences, report.sinceApply));
        }
        if (report.sinceApply.length) io.stdout(renderSinceApply(report.sinceApply));
        if (report.ok && report.differences.some((d) => d.differs.length)) io.stdout(`${WRITES_ONLY}\n`);
        if (report.uncompared) {
          io.stdout(
            `${report.uncompared} check(s) of components apply has not swapped yet (status ${report.status}) were ` +
              'not compared: they have no baseline until their stage runs.\n',
          );
        }
      }
      if (!report.ok && report.scope === 'finalized') {
        throw new BlockedError(
          'Verify found orphans or a foreign key that is missing or not valid (listed above); the migration was ' +
            'finalized, so fix them in place (a backup taken before apply is the only way back).',
        );
      }
      if (!report.ok && report.scope === 'snapshot') {
        throw new BlockedError(
          'Verify found rows whose uuid disagrees with the integer it replaces (listed above); finalize refuses ' +
            'until it passes. uuidmig rollback undoes the migration exactly while the legacy integers exist.',
        );
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
