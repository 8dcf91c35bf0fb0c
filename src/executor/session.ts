import type { Plan, Stage, Step } from '../planner/plan-schema.js';
import type { Action } from './bookkeeping.js';
import type { StatementHook } from './statement-watch.js';
import type { StageTiming, StepTiming } from './timing-schema.js';

export interface StageHooks {
  onStep?: (step: Step, timing: StepTiming) => void;
  onRetry?: (attempt: number, waitMs: number, error: string) => void;
  /** A line about the stage's own checks (what a rollback proved, say). */
  onNote?: (line: string) => void;
  /** A batch of a batched step committed: the step's rows so far, and the bound reached. */
  onBatch?: (step: Step, rows: number, bound: string) => void;
  /** A statement running past its first second: where it stands, every second. */
  onStatement?: StatementHook;
}

/** Work before or after the stages (verify-before, verify-after), with a title to show while it runs. */
export interface Phase<T> {
  title: string;
  run(): Promise<T>;
}

/**
 * A run of apply, rollback or finalize, stage by stage, so every command shows its work the same way
 * (`stage 0001 rewrite_users (2/2)`) and a library caller can drive it too. The stages of a
 * component carry the same number in every command: rollback and finalize take the number of the
 * component's last apply stage.
 */
export interface RunSession<R> {
  plan: Plan;
  action: Action;
  /** An interrupted run goes on from its journal. */
  resumed: boolean;
  before: Phase<void> | null;
  /** The stages still to run, in order. */
  stages: Stage[];
  /** `stage 0001 rewrite_users (2/2)`: its number, name, and place among all the run's stages. */
  label(stage: Stage): string;
  runStage(stage: Stage, hooks?: StageHooks): Promise<StageTiming>;
  after: Phase<R>;
  close(): Promise<void>;
}

export function stageLabel(stage: Stage, all: Stage[]): string {
  return `stage ${stage.id} ${stage.name} (${all.indexOf(stage) + 1}/${all.length})`;
}

/** Run a session to its end (the library form of apply, rollback and finalize); always closes it. */
export async function runSession<R>(session: RunSession<R>, hooks: StageHooks = {}): Promise<R> {
  try {
    await session.before?.run();
    for (const stage of session.stages) await session.runStage(stage, hooks);
    return await session.after.run();
  } finally {
    await session.close();
  }
}

/** Per component, the number of its last apply stage: the number its rollback and finalize stages take. */
export function componentStageIds(plan: Plan): Map<string, string> {
  const ids = new Map<string, string>();
  for (const s of plan.stages) ids.set(s.component, s.id);
  return ids;
}
