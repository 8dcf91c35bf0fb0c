import { qualify, quoteIdent } from '../db/quote.js';
import type { ComponentChanges } from './component-changes.js';
import { type StepDraft, step } from './step.js';

/**
 * Expand: add the uuid shadow columns beside the integer ones. A key's shadow gets its default after
 * the column exists (a volatile default on ADD COLUMN would rewrite the table under ACCESS EXCLUSIVE),
 * so rows inserted from now on get a uuid, and existing rows get theirs in one UPDATE.
 */
export function planExpand(c: ComponentChanges): StepDraft[] {
  const steps: StepDraft[] = [];
  for (const change of c.changes) {
    const t = qualify(change.table.schema, change.table.name);
    const shadow = quoteIdent(change.shadow);
    steps.push(
      step(
        'expand',
        `add uuid column ${change.shadow} beside ${change.column.name}`,
        `ALTER TABLE ${t} ADD COLUMN ${shadow} uuid`,
        'ACCESS EXCLUSIVE',
        change.table,
      ),
    );
    if (change.role !== 'key') continue;
    steps.push(
      step(
        'expand',
        `new rows get a uuid in ${change.shadow}`,
        `ALTER TABLE ${t} ALTER COLUMN ${shadow} SET DEFAULT gen_random_uuid()`,
        'ACCESS EXCLUSIVE',
        change.table,
      ),
    );
    steps.push(
      step(
        'fill',
        `give every existing row of ${change.table.name} a uuid`,
        `UPDATE ${t} SET ${shadow} = gen_random_uuid() WHERE ${shadow} IS NULL`,
        'ROW EXCLUSIVE',
        change.table,
      ),
    );
  }
  return steps;
}
