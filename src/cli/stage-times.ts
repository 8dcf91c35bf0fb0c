import type { StageTiming } from '../executor/timing-schema.js';
import { seconds } from './progress.js';

/** The result lines of apply, rollback and finalize: each stage run, its time and its lock retries. */
export function stageTimes(stages: StageTiming[], labels: Map<string, string>): string {
  return stages
    .map((s) => {
      const retries = s.lockRetries ? `, ${s.lockRetries} lock retries` : '';
      return `  ${labels.get(s.stageId) ?? `stage ${s.stageId}`}: ${seconds(s.ms)}${retries}\n`;
    })
    .join('');
}
