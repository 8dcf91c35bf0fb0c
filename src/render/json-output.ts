import { z } from 'zod';
import { stageTimingSchema } from '../executor/timing-schema.js';
import { initOutputSchema } from '../init/output.js';
import { findingSchema, planSchema, stageSchema } from '../planner/plan-schema.js';
import { rehearsalReportSchema } from '../rehearse/report-schema.js';
import { checkDifferenceSchema } from '../verify/check-schema.js';

/**
 * What each command prints on stdout under --json: one JSON document, validated against these
 * schemas before it is printed, so the output is a contract (exported from the package, described in
 * the README). `version` changes when a field changes meaning or goes away; new fields may appear.
 */
export const JSON_OUTPUT_VERSION = 1;

const output = <C extends string, S extends z.ZodRawShape>(command: C, shape: S) =>
  z.object({ version: z.literal(JSON_OUTPUT_VERSION), command: z.literal(command), ...shape });

/** What the application wrote since apply, told apart: `rows` leaves every row of apply's time as it was. */
const sinceApply = z.array(
  z.object({
    kind: z.enum(['table', 'reference']),
    name: z.string(),
    rowsAtApply: z.number(),
    rowsNow: z.number(),
    inserted: z.number().nullable(),
    deleted: z.number().nullable(),
    change: z.enum(['none', 'rows', 'repointed', 'changed']),
    /** Rows of apply's time that point at another parent now (`repointed`, on uuid keys); else null. */
    moved: z.number().nullable().optional(),
  }),
);

const proof = z.object({ ok: z.boolean(), differences: z.array(checkDifferenceSchema) });
/** `ok`: nothing differs, or only by rows written around the rows of apply's time (see `sinceApply`). */
const verification = proof.extend({ sinceApply });

export const planOutputSchema = output('plan', {
  /** The plan file and migrations folder written, or null when blocked (nothing is written). */
  planFile: z.string().nullable(),
  migrations: z.string().nullable(),
  /** The entry appended to the team's drizzle folder (then `migrations` is that folder); absent otherwise. */
  drizzleEntry: z
    .object({
      sqlFile: z.string(),
      snapshotFile: z.string(),
      journal: z.string().nullable(),
      tag: z.string(),
      replaced: z.string().nullable(),
    })
    .optional(),
  blocked: z.boolean(),
  blockers: z.array(findingSchema),
  /** Where every statement was proven on an empty schema-only copy; null when skipped or blocked before. */
  ddlCheck: z.object({ where: z.string(), ms: z.number(), passes: z.array(z.string()) }).nullable(),
  plan: planSchema,
});

export const dryRunOutputSchema = output('apply --dry-run', {
  planId: z.string(),
  /** What apply would do on this database, in one sentence. */
  verdict: z.string(),
  refused: z.boolean(),
  stages: z.array(stageSchema),
});

const agreement = z.array(z.object({ column: z.string(), rows: z.number() }));

export const applyOutputSchema = output('apply', {
  planId: z.string(),
  resumed: z.boolean(),
  stages: z.array(stageTimingSchema),
  verification,
  /**
   * Where verification's `now` side comes from: `in-lock`, the checks each stage took under its lock just
   * before committing (offline strategies; the tables are not read again); `read`, read after the stages.
   */
  afterFrom: z.enum(['in-lock', 'read']),
  /** Online plans: the proof at one snapshot after the stages (rows that disagree, per converting column). */
  agreement: agreement.optional(),
  /** Online plans run with --until build: stopped before the swap, as asked. */
  stoppedBeforeSwap: z.boolean().optional(),
});

export const verifyOutputSchema = output('verify', {
  planId: z.string(),
  /** The plan's state in this database: applied, rolled_back, ... */
  status: z.string(),
  /** `row-by-row` (fingerprints) while the legacy integers exist; `finalized`: rows, orphans, foreign keys. */
  scope: z.enum(['row-by-row', 'finalized', 'snapshot']),
  ...verification.shape,
  /** Online plans (scope `snapshot`): rows whose uuids disagree with their integers, per converting column. */
  agreement: agreement.optional(),
  /** Checks of components an interrupted apply has not swapped yet (no baseline): not compared. */
  uncompared: z.number(),
});

export const rollbackOutputSchema = output('rollback', {
  planId: z.string(),
  stages: z.array(stageTimingSchema),
  /** The rollback's own proof: each stage's checks on the uuid state equal those on the integer state. */
  verification: proof,
  /** What the application changed between apply and rollback: reported, never a failure. */
  sinceApply,
});

export const statusOutputSchema = output('status', {
  database: z.string(),
  /** The session holding the migration lock now (a live apply, rollback or finalize), or null. */
  running: z.object({ pid: z.number(), app: z.string(), user: z.string(), since: z.string() }).nullable(),
  plans: z.array(
    z.object({
      id: z.string(),
      status: z.enum(['applying', 'failed', 'applied', 'rolling_back', 'rolled_back', 'finalized']),
      run: z.number(),
      updatedAt: z.string(),
      stages: z.number(),
      committed: z.number(),
      failure: z.string().nullable(),
      state: z.string(),
      next: z.string(),
    }),
  ),
  /** The newest plan file beside the config (or in ./plans) that this database has not seen. */
  planned: z.object({ id: z.string(), file: z.string() }).nullable().default(null),
});

export const finalizeOutputSchema = output('finalize', {
  planId: z.string(),
  stages: z.array(stageTimingSchema),
  dropped: z.array(z.object({ table: z.string(), column: z.string() })),
  /** Repairs: the parents' columns that held the old ids before the plan, left in place. */
  kept: z.array(z.object({ table: z.string(), column: z.string() })),
});

export const rehearseOutputSchema = output('rehearse', {
  /** The folder holding report.json, report.md and report.html. */
  folder: z.string(),
  report: rehearsalReportSchema,
});

/** Any command that fails under --json: this on stdout, and the same sentence on stderr. */
export const errorOutputSchema = z.object({
  version: z.literal(JSON_OUTPUT_VERSION),
  command: z.string(),
  error: z.object({ code: z.number().int(), message: z.string() }),
});

export const jsonOutputSchemas = {
  init: initOutputSchema,
  plan: planOutputSchema,
  'apply --dry-run': dryRunOutputSchema,
  apply: applyOutputSchema,
  verify: verifyOutputSchema,
  rollback: rollbackOutputSchema,
  finalize: finalizeOutputSchema,
  status: statusOutputSchema,
  rehearse: rehearseOutputSchema,
  error: errorOutputSchema,
} as const;

export type PlanOutput = z.infer<typeof planOutputSchema>;
export type DryRunOutput = z.infer<typeof dryRunOutputSchema>;
export type ApplyOutput = z.infer<typeof applyOutputSchema>;
export type VerifyOutput = z.infer<typeof verifyOutputSchema>;
export type RollbackOutput = z.infer<typeof rollbackOutputSchema>;
export type FinalizeOutput = z.infer<typeof finalizeOutputSchema>;
export type RehearseOutput = z.infer<typeof rehearseOutputSchema>;
export type ErrorOutput = z.infer<typeof errorOutputSchema>;
