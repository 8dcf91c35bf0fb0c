import { qualify, quoteIdent } from '../db/quote.js';
import { displayTable, type RuleModel, type TableModel, type TriggerModel } from '../model/types.js';
import type { BoundObjects } from './bound-objects.js';
import { FIRING_STATE } from './bound-steps.js';
import { type StepDraft, step } from './step.js';

const at = (t: TableModel) => qualify(t.schema, t.name);

/** The triggers and rules a stage drops and rebuilds anyway: they need no holding off. */
export const rebuiltOf = (bound: BoundObjects): Rebuilt => ({
  triggers: bound.triggers.map((b) => b.trigger),
  rules: bound.rules.map((b) => b.rule),
});

/** What the swap drops and rebuilds anyway: no need to hold it off. */
export interface Rebuilt {
  triggers: TriggerModel[];
  rules: RuleModel[];
}

/**
 * The migration's own writes must not fire the user's code. An updated_at trigger would rewrite
 * every timestamp, and a rule would do worse: an `ON INSERT DO ALSO` rule logs every reloaded row a
 * second time, an `ON INSERT DO INSTEAD` rule routes the rows elsewhere. Each enabled trigger that
 * fires on UPDATE (or on anything, for the rewrite's TRUNCATE and INSERT) is disabled around those
 * writes unless `--fire-triggers` asks otherwise, and so is every rule (always); each is put back in
 * its exact state in the same transaction, so a failure can never leave one disabled.
 */
export function holdOff(
  /** The tables the steps may write, with their partitions and inheritance children. */
  componentTables: TableModel[],
  steps: StepDraft[],
  fireTriggers: boolean,
  rebuilt: Rebuilt = { triggers: [], rules: [] },
  allEvents = false,
): StepDraft[] {
  const filled = new Set(steps.filter((s) => s.kind === 'fill' || s.kind === 'orphans').map((s) => s.table));
  // A write to a parent reaches its partitions' and inheritance children's rows, and their own code.
  for (let grew = true; grew; ) {
    grew = false;
    for (const t of componentTables) {
      if (!filled.has(displayTable(t)) && t.parent && filled.has(displayTable(t.parent))) {
        filled.add(displayTable(t));
        grew = true;
      }
    }
  }
  const tables = componentTables.filter((t) => filled.has(displayTable(t)));
  const held = tables.flatMap((table) => [
    ...(fireTriggers ? [] : (table.triggers ?? []))
      .filter((t) => (allEvents || t.onUpdate) && t.enabled !== 'D' && !rebuilt.triggers.includes(t))
      .map((t) => ({ table, kind: 'TRIGGER', name: t.name, enabled: t.enabled })),
    ...(table.rules ?? [])
      .filter((r) => (allEvents || r.event === 'UPDATE') && r.enabled !== 'D' && !rebuilt.rules.includes(r))
      .map((r) => ({ table, kind: 'RULE', name: r.name, enabled: r.enabled })),
  ]);
  const alter = (h: (typeof held)[number], state: string) =>
    `ALTER TABLE ${at(h.table)} ${state} ${h.kind} ${quoteIdent(h.name)}`;
  const what = (h: (typeof held)[number]) => `${h.kind === 'RULE' ? 'rule' : 'trigger'} ${h.name}`;
  return [
    ...held.map((h) =>
      step(
        'setting',
        `${what(h)} does not fire for the migration's own writes`,
        alter(h, 'DISABLE'),
        'SHARE ROW EXCLUSIVE',
        h.table,
      ),
    ),
    ...steps,
    ...held.map((h) =>
      step(
        'setting',
        `${what(h)} is back as it was`,
        alter(h, FIRING_STATE[h.enabled]),
        'SHARE ROW EXCLUSIVE',
        h.table,
      ),
    ),
  ];
}

/**
 * Under FORCE ROW LEVEL SECURITY even the table's owner sees and writes only what the policies allow:
 * the migration's reads would silently miss rows. It is lifted around the migration's own reads and
 * writes, in the same transaction, and put back. (A superuser bypasses it anyway.)
 */
export function withoutForcedRowSecurity(tables: TableModel[], steps: StepDraft[]): StepDraft[] {
  const forced = tables.filter((t) => t.rowSecurity?.forced);
  return [
    ...forced.map((t) =>
      step(
        'setting',
        `${t.name}'s policies do not hide rows from the migration`,
        `ALTER TABLE ${at(t)} NO FORCE ROW LEVEL SECURITY`,
        'ACCESS EXCLUSIVE',
        t,
      ),
    ),
    ...steps,
    ...forced.map((t) =>
      step(
        'setting',
        `${t.name} forces row-level security again`,
        `ALTER TABLE ${at(t)} FORCE ROW LEVEL SECURITY`,
        'ACCESS EXCLUSIVE',
        t,
      ),
    ),
  ];
}
