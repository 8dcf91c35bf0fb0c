import type { RunSession } from '../executor/session.js';
import { batchProgress } from '../render/batch-progress.js';
import { statementProgress } from '../render/statement-progress.js';
import type { Progress } from './progress.js';

/**
 * Run apply, rollback or finalize as progress tasks: the work before the stages, each stage (its
 * slow or row-moving statements and its lock retries as notes), the work after; always closes.
 */
export async function showSession<R>(session: RunSession<R>, progress: Progress): Promise<R> {
  try {
    const before = session.before;
    if (before) await progress.task(before.title, () => before.run());
    for (const stage of session.stages) {
      await progress.task(`${session.label(stage)}: ${stage.steps.length} statements`, (note) =>
        session.runStage(stage, {
          // Row-moving statements and slow ones; not every ALTER of a thousand-table plan.
          onStep: (step, t) => {
            const rows = t.rows === null ? '' : `: ${t.rows} rows`;
            if (t.rows !== null || t.ms >= 1000) note(`${step.id} ${step.description}${rows} (${t.ms} ms)`);
          },
          onRetry: (attempt, wait, reason) => note(`${reason}: retry ${attempt} in ${wait} ms`),
          onNote: note,
          onBatch: batchProgress(note),
          onStatement: statementProgress(note, progress.live ? 1000 : 5000),
        }),
      );
    }
    return await progress.task(session.after.title, () => session.after.run());
  } finally {
    await session.close();
  }
}
