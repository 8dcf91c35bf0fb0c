import { type ComponentChanges, componentChanges } from './component-changes.js';
import type { Plan } from './plan-schema.js';

/**
 * Re-derive every component's column changes from a plan file alone (it carries the catalog it was
 * made from), so rollback, finalize and verify name exactly the columns apply created.
 */
export function planChanges(plan: Plan): ComponentChanges[] {
  const orphans = new Map(plan.references.map((r) => [r.id, r.orphans]));
  return plan.components.map((component) =>
    componentChanges(component, {
      catalog: plan.catalog,
      conversions: plan.conversions,
      references: plan.references,
      orphans,
      orphanPolicy: plan.options.orphans,
    }),
  );
}
