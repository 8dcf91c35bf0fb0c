/** The library: everything the CLI does, callable without it. */
export { type PlanOptions, type PlanResult, plan } from './api/plan.js';
export { readCatalog } from './catalog/read-catalog.js';
export { startEmbeddedPostgres } from './db/embedded.js';
export { qualify, quoteIdent, quoteLiteral } from './db/quote.js';
export { ExitCode, UuidmigError } from './errors.js';
export { type ApplyReport, apply, openApply } from './executor/apply.js';
export { dryRunApply } from './executor/dry-run.js';
export { type FinalizeReport, finalize, openFinalize } from './executor/finalize.js';
export { openRollback, type RollbackReport, rollback } from './executor/rollback.js';
export type { Phase, RunSession, StageHooks } from './executor/session.js';
export { type StatusReport, status } from './executor/status.js';
export { stageTimingSchema, stepTimingSchema } from './executor/timing-schema.js';
export { findWork } from './model/find-work.js';
export { planMigration } from './planner/plan-migration.js';
export { type Plan, planSchema, type Stage, type Step } from './planner/plan-schema.js';
export { type RehearsalReport, rehearsalReportSchema } from './rehearse/report-schema.js';
// The --json output of every command: one zod schema each (described in the README).
export * from './render/json-output.js';
export { readPlanFile } from './render/plan-file.js';
export { loadDrizzleSchema } from './schema/load-schema.js';
export { checkDifferenceSchema, checkRowSchema } from './verify/check-schema.js';
export { verify } from './verify/verify.js';
