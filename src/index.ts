/** The library: everything the CLI does, callable without it. */
export { plan, type PlanOptions, type PlanResult } from './api/plan.js';
export { apply, openApply, type ApplyReport } from './executor/apply.js';
export { dryRunApply } from './executor/dry-run.js';
export { rollback } from './executor/rollback.js';
export { finalize } from './executor/finalize.js';
export { verify } from './verify/verify.js';
export { readCatalog } from './catalog/read-catalog.js';
export { loadDrizzleSchema } from './schema/load-schema.js';
export { findWork } from './model/find-work.js';
export { planMigration } from './planner/plan-migration.js';
export { planSchema, type Plan, type Stage, type Step } from './planner/plan-schema.js';
export { readPlanFile } from './render/plan-file.js';
export { quoteIdent, qualify, quoteLiteral } from './db/quote.js';
export { startEmbeddedPostgres } from './db/embedded.js';
export { ExitCode, UuidmigError } from './errors.js';
