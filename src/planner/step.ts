import { displayTable, type TableModel, type TableRef } from '../model/types.js';
import type { LockLevel, Stage, Step } from './plan-schema.js';
import { stageDigest, statementOf } from './seal.js';

export type StepDraft = Omit<Step, 'id' | 'transactional'>;

/** One statement as a value: what it does, the SQL, the lock it takes and on what. */
export function step(
  kind: Step['kind'],
  description: string,
  sql: string,
  lock: LockLevel,
  table: TableModel | TableRef | null,
): StepDraft {
  const rows = table && 'rowEstimate' in table ? table.rowEstimate : null;
  return { kind, description, sql, lock, table: table ? displayTable(table) : null, estimatedRows: rows };
}

/** Number the steps of a stage: `<stage>.<n>`, so a journal row names exactly one statement. */
export function stage(
  id: string,
  kind: Stage['kind'],
  slug: string,
  component: string,
  drafts: StepDraft[],
  transactional = true,
): Stage {
  return {
    id,
    kind,
    name: `${kind}_${slug}`,
    component,
    transactional,
    steps: drafts.map((d, i) => ({ ...d, id: `${id}.${String(i + 1).padStart(3, '0')}`, transactional })),
    digest: stageDigest(drafts.map(statementOf), transactional),
  };
}

/** Deferred foreign keys queue trigger events that block ALTER TABLE later in the same transaction. */
export const immediateConstraints = (): StepDraft =>
  step(
    'setting',
    'check deferred constraints at once, so ALTER TABLE is not blocked by pending trigger events',
    'SET CONSTRAINTS ALL IMMEDIATE',
    'NONE',
    null,
  );
