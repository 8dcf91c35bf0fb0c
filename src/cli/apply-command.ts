import type { Command } from 'commander';
import { BlockedError, UsageError } from '../errors.js';
import { openApply } from '../executor/apply.js';
import { dryRunApply } from '../executor/dry-run.js';
import { renderAgreement } from '../render/agreement.js';
import { renderDryRun } from '../render/dry-run.js';
import { applyOutputSchema, dryRunOutputSchema, JSON_OUTPUT_VERSION } from '../render/json-output.js';
import { renderSinceApply, writesOnly } from '../render/since-apply.js';
import { renderVerifyReport } from '../render/verify-report.js';
import { confirm } from './confirm.js';
import { type CliIo, writeJson } from './io.js';
import { type CommonOptions, commonOptions, databaseUrlOf, planOption, projectFolder, yesOption } from './options.js';
import { pickPlanFile } from './pick-plan.js';
import { progressFor } from './progress.js';
import { type RunFlags, runOptions, runSettings } from './run-options.js';
import { showSession } from './show-session.js';
import { stageTimes } from './stage-times.js';

interface ApplyFlags extends CommonOptions, RunFlags {
  dryRun?: boolean;
  until?: string;
}

export function registerApply(program: Command, io: CliIo): void {
  planOption(yesOption(runOptions(commonOptions(program.command('apply')))), 'the plan to run')
    .description("run a plan's stages; --dry-run prints every statement with its lock level and changes nothing")
    .option('--dry-run', 'print every statement with its lock level and estimated rows; change nothing')
    .option('--until <stage>', 'online plans: "build" stops before the swap, so the deploy can be timed with it')
    .option(
      '--batch-pause <ms>',
      'online plans: pause between two backfill batches, to spare the application ' +
        '(default auto: twice as long as the batch took; 0: none)',
    )
    .action(async (flags: ApplyFlags) => {
      const planFile = pickPlanFile(flags.plan, io, projectFolder(flags));
      const url = await databaseUrlOf(flags);
      if (flags.dryRun) return dryRun(planFile, url, flags, io);
      const settings = runSettings(flags);
      if (flags.until !== undefined && flags.until !== 'build')
        throw new UsageError(`--until takes "build" (stop an online plan before its swap), not "${flags.until}".`);
      await confirm(`Apply ${planFile} to the database?`, flags.yes);
      const until = flags.until === 'build' ? ('build' as const) : undefined;
      const session = await openApply({ plan: planFile, databaseUrl: url, settings, ...(until ? { until } : {}) });
      if (until && session.plan.options.strategy !== 'online') {
        await session.close();
        throw new UsageError('--until build is for online plans (plan --strategy online); this plan swaps offline.');
      }
      const labels = new Map(session.plan.stages.map((s) => [s.id, session.label(s)]));
      const report = await showSession(session, progressFor(io));
      const { ok } = report;
      const online = report.plan.options.strategy === 'online';
      if (flags.json) {
        writeJson(io, applyOutputSchema, {
          version: JSON_OUTPUT_VERSION,
          command: 'apply',
          planId: report.plan.id,
          resumed: report.resumed,
          stages: report.stages,
          verification: { ok, differences: report.differences, sinceApply: report.sinceApply },
          afterFrom: report.afterFrom,
          ...(online ? { agreement: report.agreement, stoppedBeforeSwap: report.stoppedBeforeSwap } : {}),
        });
      } else {
        const what = report.stoppedBeforeSwap ? 'Built (stopped before the swap, as asked)' : 'Applied';
        io.stdout(`${what} plan ${report.plan.id}${report.resumed ? ' (resumed)' : ''}:\n`);
        io.stdout(stageTimes(report.stages, labels));
        if (online) io.stdout(renderAgreement('verify-after, at one snapshot:', report.agreement));
        else if (report.afterFrom === 'in-lock')
          io.stdout(
            renderVerifyReport(
              "verify-after: before -> at each stage's commit (taken inside its lock, where nothing else could write)",
              report.differences,
            ),
          );
        else io.stdout(renderVerifyReport('verify-after: before -> now', report.differences, report.sinceApply));
        if (report.sinceApply.length) io.stdout(renderSinceApply(report.sinceApply));
        if (report.ok && report.differences.some((d) => d.differs.length))
          io.stdout(`${writesOnly(report.sinceApply)}\n`);
        if (report.stoppedBeforeSwap)
          io.stdout(
            '\nThe application still writes integers. Run uuidmig apply again to swap, as its uuid release deploys.\n',
          );
      }
      if (!ok && online) {
        throw new BlockedError(
          'After the stages, rows hold uuids that disagree with the integers they replace (listed above); ' +
            'uuidmig rollback undoes the migration exactly while the legacy integers exist.',
        );
      }
      if (!ok) {
        throw new BlockedError(
          'Every stage proved its rows before it committed, but since then rows of apply time point elsewhere ' +
            '(listed above); if the application did not move them, inspect them, and roll back with uuidmig ' +
            'rollback if needed.',
        );
      }
    });
}

async function dryRun(planFile: string, url: string | undefined, flags: ApplyFlags, io: CliIo): Promise<void> {
  const result = await dryRunApply(planFile, url);
  const verdict = result.verdict ?? 'No database given: the plan was not checked against one.';
  if (flags.json) {
    writeJson(io, dryRunOutputSchema, {
      version: JSON_OUTPUT_VERSION,
      command: 'apply --dry-run',
      planId: result.plan.id,
      verdict,
      refused: Boolean(result.refusal),
      stages: result.plan.stages,
    });
  } else io.stdout(renderDryRun(result.plan, verdict));
  if (result.refusal) throw result.refusal;
}
