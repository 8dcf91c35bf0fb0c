import { type ComponentChanges, componentChanges } from './component-changes.js';
import type { Plan } from './plan-schema.js';

const derived = new WeakMap<Plan, ComponentChanges[]>();

/**
 * Re-derive every component's column changes from a plan file alone (it carries the catalog it was
 * made from), so rollback, finalize and verify name exactly the columns apply created. Derived once
 * per plan object (a plan is never changed once made: sealing makes a new one): the checks ask for it
 * at every stage, and a 1,000-table plan's derivation is not free.
 */
export function planChanges(plan: Plan): ComponentChanges[] {
  const known = derived.get(plan);
  if (known) return known;
  const made = derive(plan);
  derived.set(plan, made);
  return made;
}

function derive(plan: Plan): ComponentChanges[] {
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
