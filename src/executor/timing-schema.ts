import { z } from 'zod';

export const stepTimingSchema = z.object({
  stepId: z.string(),
  /** When the statement started, in ms from the start of its transaction. */
  offsetMs: z.number(),
  ms: z.number(),
  rows: z.number().nullable(),
  /** Not sent: the stage's check after its lock proved what it checks (a keyed rewrite's guard). */
  proven: z.boolean().optional(),
});

export const stageTimingSchema = z.object({
  stageId: z.string(),
  /** Wall time, lock retries included. */
  ms: z.number(),
  /** The committed transaction, from BEGIN to the end of COMMIT: what every lock was held within. */
  transactionMs: z.number(),
  /**
   * Of which the COMMIT. PostgreSQL releases the locks inside it, after the commit record is flushed
   * and before the files of dropped indexes are unlinked (slow on a large index): the tables were held
   * for less than transactionMs by up to this much.
   */
  commitMs: z.number().default(0),
  /** Of which the checks run before commit (verification inside the swap). */
  checkMs: z.number(),
  steps: z.array(stepTimingSchema),
  lockRetries: z.number(),
});

export type StepTiming = z.infer<typeof stepTimingSchema>;
export type StageTiming = z.infer<typeof stageTimingSchema>;
