import type { Command } from 'commander';
import type { ListrTask } from 'listr2';
import { BlockedError } from '../errors.js';
import { openApply } from '../executor/apply.js';
import { dryRunApply } from '../executor/dry-run.js';
import { renderDryRun } from '../render/dry-run.js';
import { renderVerifyReport } from '../render/verify-report.js';
import { confirm } from './confirm.js';
import type { CliIo } from './io.js';
import { type CommonOptions, commonOptions } from './options.js';
import { pickPlanFile } from './pick-plan.js';
import { runTasks } from './progress.js';
import { type RunFlags, runOptions, runSettings } from './run-options.js';

interface ApplyFlags extends CommonOptions, RunFlags {
  dryRun?: boolean;
}

export function registerApply(program: Command, io: CliIo): void {
  runOptions(commonOptions(program.command('apply')))
    .description("run a plan's stages; --dry-run prints every statement with its lock level and changes nothing")
    .option('--plan <file>', 'the plan to run (default: the newest in ./plans)')
    .option('--dry-run', 'print every statement with its lock level and estimated rows; change nothing')
    .action(async (flags: ApplyFlags) => {
      const planFile = pickPlanFile(flags.plan, io);
      const url = flags.databaseUrl ?? process.env.DATABASE_URL;
      if (flags.dryRun) return dryRun(planFile, url, flags, io);
      const settings = runSettings(flags);
      await confirm(`Apply ${planFile} to the database?`, flags.yes);
      const session = await openApply({ plan: planFile, databaseUrl: url, settings });
      try {
        const tasks: ListrTask[] = [
          {
            title: session.resumed
              ? 'resume: reload verify-before'
              : 'verify-before: row counts, orphans, fingerprints',
            task: async () => void (await session.recordBefore()),
          },
          ...session.pending.map(
            (stage): ListrTask => ({
              title: `stage ${stage.id} ${stage.name} (${stage.steps.length} statements)`,
              task: async (_ctx, task) => {
                const timing = await session.runStage(stage, {
                  // Row-moving statements and slow ones; not every ALTER of a thousand-table plan.
                  onStep: (step, t) => {
                    const rows = t.rows === null ? '' : `: ${t.rows} rows`;
                    if (t.rows !== null || t.ms >= 1000)
                      task.output = `${step.id} ${step.description}${rows} (${t.ms} ms)`;
                  },
                  onRetry: (attempt, wait) => (task.output = `lock timeout: retry ${attempt} in ${wait} ms`),
                });
                task.title = `stage ${stage.id} ${stage.name}: ${timing.ms} ms`;
              },
            }),
          ),
        ];
        await runTasks(tasks, io);
        const report = await session.finish();
        if (flags.json) io.stdout(`${JSON.stringify(report, null, 2)}\n`);
        else {
          io.stdout(`Applied plan ${report.plan.id}${report.resumed ? ' (resumed)' : ''}:\n`);
          for (const s of report.stages)
            io.stdout(`  stage ${s.stageId}: ${s.ms} ms${s.lockRetries ? `, ${s.lockRetries} lock retries` : ''}\n`);
          io.stdout(renderVerifyReport('verify-after:', report.differences));
        }
        if (report.differences.some((d) => d.differs.length))
          throw new BlockedError(
            'The migration ran, but verify-after differs from verify-before (listed above); inspect it, and roll ' +
              'back with uuidmig rollback if needed.',
          );
      } finally {
        await session.close();
      }
    });
}

async function dryRun(planFile: string, url: string | undefined, flags: ApplyFlags, io: CliIo): Promise<void> {
  const result = await dryRunApply(planFile, url);
  const verdict = result.verdict ?? 'No database given: the plan was not checked against one.';
  io.stdout(
    flags.json
      ? `${JSON.stringify({ verdict, refused: Boolean(result.refusal), stages: result.plan.stages }, null, 2)}\n`
      : renderDryRun(result.plan, verdict),
  );
  if (result.refusal) throw result.refusal;
}
