import { displayTable, sameTable } from '../model/types.js';
import type { ComponentChanges } from '../planner/component-changes.js';
import { partlySet } from '../planner/guard.js';
import type { Stage, Step } from '../planner/plan-schema.js';
import { isKeyedRewrite } from '../planner/rewrite-stage.js';
import type { CheckRow } from '../verify/check-schema.js';

/**
 * Which guard steps of a keyed rewrite stage its baseline check proved already: the baseline (taken
 * after the stage's lock, which every table of the component holds until commit, so nothing wrote
 * since) counted the orphans of every reference with the guard's own condition (every column set, no
 * parent joined on the integers), and the guard reads the same tables before any change. A guard
 * whose table's guarded references (those not set aside as orphans) all counted 0, and none of which
 * can be partly NULL, cannot fail: apply journals it as done without sending its scan again. Any other
 * guard runs as planned (and says which rows it refuses). A copy rewrite's guards (a stage that
 * empties its tables, as plans made before the keyed rewrite did for every component) read the
 * copies after their fill, which the baseline did not see: they always run.
 */
export function provenGuards(stage: Stage, changes: ComponentChanges | undefined, baseline: () => CheckRow[]) {
  if (!changes || !isKeyedRewrite(stage)) return () => false;
  return (step: Step): boolean => {
    if (step.kind !== 'guard') return false;
    const table = changes.tables.find((t) => displayTable(t) === step.table);
    if (!table) return false;
    const guarded = changes.changes.filter(
      (ch) => ch.role === 'reference' && !ch.orphanColumn && sameTable(ch.table, table),
    );
    return (
      guarded.length > 0 &&
      guarded.every((ch) => {
        const row = baseline().find((r) => r.kind === 'reference' && r.name === ch.fillFrom!.id);
        return row !== undefined && row.orphans === 0 && partlySet(ch, table) === null;
      })
    );
  };
}
