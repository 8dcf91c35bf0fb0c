import { qualify, qualifyTable, quoteIdent } from '../../db/quote.js';
import { displayTable } from '../../model/types.js';
import type { ComponentChanges } from '../component-changes.js';
import type { Plan } from '../plan-schema.js';
import { planCleanup } from '../rollback-stage.js';
import { type StepDraft, step } from '../step.js';
import { planOnlineBuild } from './online-build.js';
import { dropSyncTriggers } from './sync-triggers.js';

/** The stages an online component's sync triggers are named for: its expand and its swap. */
export function onlineStageIds(plan: Plan, component: string): { expand: string; swap: string } {
  const of = (kind: string) => plan.stages.find((s) => s.component === component && s.kind === kind)?.id ?? '';
  return { expand: of('expand'), swap: of('swap') };
}

/** After `count` leading drafts (the settings and the lock), the rest. */
const after = (drafts: StepDraft[], count: number, inserted: StepDraft[]) => [
  ...drafts.slice(0, count),
  ...inserted,
  ...drafts.slice(count),
];

/**
 * Undo an online component that has not swapped, stopped by `--until build` or by a failure: what its
 * build made (taken from the build's own steps, each naming what it creates), then its sync triggers and
 * their functions, then the shadow columns. Constraints go first: a foreign key on the shadows depends on
 * the unique index on its parent's shadow, and would keep that column from being dropped. Catalog only;
 * every statement tolerates what the run never made, so a cleanup run again after a failure goes on.
 */
export function planOnlineCleanup(c: ComponentChanges, expandId: string): StepDraft[] {
  const tables = [...c.tables, ...c.children.map((ch) => ch.table)];
  const built = planOnlineBuild(c).flatMap(({ kind, creates, table }) => {
    if (!creates) return [];
    const on = tables.find((t) => displayTable(t) === table);
    if (!on) throw new Error(`no table ${table} in component ${c.component.id} for ${creates}`);
    return [{ kind, name: creates, table: on }];
  });
  const drop = ({ kind, name, table }: (typeof built)[number]) =>
    step(
      'drop',
      `drop ${name}, built for the swap`,
      kind === 'index'
        ? `DROP INDEX IF EXISTS ${qualify(table.schema, name)}`
        : `ALTER TABLE ${qualifyTable(table)} DROP CONSTRAINT IF EXISTS ${quoteIdent(name)}`,
      'ACCESS EXCLUSIVE',
      table,
    );
  const cleanup = planCleanup(c, 'added by apply before its swap');
  const locked = cleanup[0]?.kind === 'lock' ? 1 : 0;
  return after(cleanup, locked, [
    ...built.filter((b) => b.kind !== 'index').map(drop),
    ...built.filter((b) => b.kind === 'index').map(drop),
    ...dropSyncTriggers(c, expandId, true),
  ]);
}

/** Finalize an online component: the reverse sync triggers go before the integers they fill. */
export function withoutReverseSync(drafts: StepDraft[], c: ComponentChanges, swapId: string): StepDraft[] {
  if (!drafts.length) return dropSyncTriggers(c, swapId, true);
  const locked = drafts.findIndex((d) => d.kind === 'lock') + 1;
  return after(drafts, locked, dropSyncTriggers(c, swapId, true));
}
