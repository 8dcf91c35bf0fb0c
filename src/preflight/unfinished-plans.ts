import type { Sql } from '../db/connect.js';
import type { Finding } from '../model/work.js';

/**
 * A plan whose run stopped halfway here (`applying`, `failed`, `rolling_back` in uuidmig.plans): some of
 * its stages committed, some not. A new plan would be made from that mixed state, and its tables may be
 * half its own and half the other's; the earlier run is finished or undone first.
 */
export async function unfinishedPlans(sql: Sql): Promise<Finding[]> {
  const [exists] = await sql<{ ok: boolean }[]>`SELECT to_regclass('uuidmig.plans') IS NOT NULL AS ok`;
  if (!exists?.ok) return [];
  const rows = await sql<{ id: string; status: string }[]>`SELECT id, status FROM uuidmig.plans
    WHERE status IN ('applying', 'failed', 'rolling_back') ORDER BY id`;
  return rows.map(({ id, status }) => {
    const undo = `uuidmig rollback --plan plans/${id}.json`;
    const next =
      status === 'rolling_back'
        ? `finish undoing it with ${undo}`
        : `finish it with uuidmig apply --plan plans/${id}.json, or undo it with ${undo}`;
    return {
      kind: 'unfinished-plan',
      table: { schema: '', name: '' },
      columns: [],
      message:
        `Plan ${id} stopped before its end on this database (status ${status}; some of its stages may have ` +
        `committed), so a new plan would start from a mixed state; ${next}, then plan again.`,
    };
  });
}
