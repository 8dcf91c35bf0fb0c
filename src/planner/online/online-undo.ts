import { qualify } from '../../db/quote.js';
import type { TableModel } from '../../model/types.js';
import { legacyUniqueName } from '../bound-objects.js';
import type { ComponentChanges } from '../component-changes.js';
import type { Plan } from '../plan-schema.js';
import { planCleanup } from '../rollback-stage.js';
import { type StepDraft, step } from '../step.js';
import { isPartitioned, partitionLegacyName, partitionsOf } from './online-partitions.js';
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
 * Undo an online component that has not swapped: its sync triggers and their functions, the unique
 * index built on the legacy integer, and the shadow columns (their indexes, checks and foreign keys
 * go with them). Catalog only; every statement tolerates what an interrupted run never made.
 */
export function planOnlineCleanup(c: ComponentChanges, expandId: string): StepDraft[] {
  const drop = (table: TableModel, name: string) =>
    step(
      'drop',
      `drop ${name}, built for the swap`,
      `DROP INDEX IF EXISTS ${qualify(table.schema, name)}`,
      'ACCESS EXCLUSIVE',
      table,
    );
  const legacyIndexes = c.changes
    .filter((ch) => ch.role === 'key')
    .flatMap((ch) =>
      isPartitioned(ch.table)
        ? partitionsOf(c, ch.table).map((p) => drop(p, partitionLegacyName(p, ch)))
        : [drop(ch.table, legacyUniqueName(ch, c.tables))],
    );
  const cleanup = planCleanup(c);
  const locked = cleanup[0]?.kind === 'lock' ? 1 : 0;
  return after(cleanup, locked, [...dropSyncTriggers(c, expandId, true), ...legacyIndexes]);
}

/** Finalize an online component: the reverse sync triggers go before the integers they fill. */
export function withoutReverseSync(drafts: StepDraft[], c: ComponentChanges, swapId: string): StepDraft[] {
  if (!drafts.length) return dropSyncTriggers(c, swapId, true);
  const locked = drafts.findIndex((d) => d.kind === 'lock') + 1;
  return after(drafts, locked, dropSyncTriggers(c, swapId, true));
}
