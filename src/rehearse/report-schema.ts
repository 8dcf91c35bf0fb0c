import { z } from 'zod';
import { checkDifferenceSchema } from '../verify/check-schema.js';

export const reportStepSchema = z.object({
  id: z.string(),
  description: z.string(),
  lock: z.string(),
  table: z.string().nullable(),
  /** ms from the start of apply */
  startMs: z.number(),
  ms: z.number(),
  rows: z.number().nullable(),
  rowsPerSecond: z.number().nullable(),
});

export const reportStageSchema = z.object({
  id: z.string(),
  name: z.string(),
  startMs: z.number(),
  ms: z.number(),
  transactionMs: z.number(),
  lockRetries: z.number(),
  steps: z.array(reportStepSchema),
});

export const lockHoldSchema = z.object({
  table: z.string(),
  stage: z.string(),
  /** ms from the start of apply */
  startMs: z.number(),
  ms: z.number(),
});

/** report.json of `uuidmig rehearse`, and the `report` of its --json output. */
export const rehearsalReportSchema = z.object({
  format: z.literal('uuidmig-rehearsal'),
  version: z.literal(1),
  createdAt: z.string(),
  source: z.object({ server: z.string(), database: z.string(), serverVersion: z.string(), sizeBytes: z.number() }),
  staging: z.object({
    kind: z.enum(['embedded', 'server']),
    server: z.string(),
    serverVersion: z.string(),
    sizeBeforeBytes: z.number(),
    sizeAfterBytes: z.number(),
  }),
  pgDump: z.string(),
  copy: z.object({ dumpMs: z.number(), restoreMs: z.number(), jobs: z.number() }),
  plan: z.object({
    id: z.string(),
    conversions: z.number(),
    references: z.number(),
    stages: z.number(),
    statements: z.number(),
  }),
  timings: z.object({
    verifyBeforeMs: z.number(),
    applyMs: z.number(),
    verifyAfterMs: z.number(),
    totalMs: z.number(),
  }),
  stages: z.array(reportStageSchema),
  /** Every ACCESS EXCLUSIVE hold, per stage and table: the timeline's bars. */
  holds: z.array(lockHoldSchema),
  /** The longest hold of each table. */
  locks: z.array(lockHoldSchema),
  fills: z.array(reportStepSchema),
  verification: z.object({ ok: z.boolean(), differences: z.array(checkDifferenceSchema) }),
  /**
   * The plan's warnings (what it could not prove safe: a trigger reading NEW.id, a reference nothing
   * declares), which a passing rehearsal does not settle. Absent from reports before 2026-12-01.
   */
  warnings: z.array(z.object({ kind: z.string(), table: z.string(), message: z.string() })).default([]),
  /** When staging holds less data than the source: the apply time scaled to the source's size. */
  estimate: z.object({ ratio: z.number(), applyMs: z.number() }).nullable(),
  headline: z.object({
    totalMs: z.number(),
    longestLock: lockHoldSchema.nullable(),
    verification: z.enum(['passed', 'failed']),
  }),
});

export type ReportStep = z.infer<typeof reportStepSchema>;
export type ReportStage = z.infer<typeof reportStageSchema>;
export type LockHold = z.infer<typeof lockHoldSchema>;
export type RehearsalReport = z.infer<typeof rehearsalReportSchema>;
