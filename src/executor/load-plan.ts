import type { Plan } from '../planner/plan-schema.js';
import { readPlanFile } from '../render/plan-file.js';
import { checkReviewed } from '../render/reviewed.js';

/**
 * The plan a command runs: read and validated (a file), and checked against its digests and the
 * migration files reviewed beside it, before any connection is made, so a plan that was edited is
 * refused (exit 2) without writing even its id to the database.
 */
export function loadPlan(plan: string | Plan): Plan {
  const loaded = typeof plan === 'string' ? readPlanFile(plan) : plan;
  checkReviewed(loaded, typeof plan === 'string' ? plan : null);
  return loaded;
}
