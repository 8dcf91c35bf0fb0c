import { connect, withDatabaseErrors } from '../db/connect.js';
import { UuidmigError } from '../errors.js';
import type { Plan } from '../planner/plan-schema.js';
import { checkPrivileges } from '../preflight/privileges.js';
import { refuseDuringRun } from './advisory-lock.js';
import { assessApply } from './assess.js';
import { loadPlan } from './load-plan.js';

export interface DryRun {
  plan: Plan;
  /** What apply would do with this plan on this database, in one sentence; null without a database. */
  verdict: string | null;
  refusal: UuidmigError | null;
}

/**
 * `apply --dry-run`: the plan's statements, and, given a database, whether apply would run, resume or
 * refuse. Only reads: no bookkeeping schema, no lock, nothing written.
 */
export async function dryRunApply(planFile: string | Plan, databaseUrl?: string): Promise<DryRun> {
  const plan = loadPlan(planFile);
  if (!databaseUrl) return { plan, verdict: null, refusal: null };
  const sql = await connect(databaseUrl, { max: 1 });
  try {
    const a = await withDatabaseErrors(databaseUrl, async () => {
      await refuseDuringRun(sql, 'run apply');
      const assessed = await assessApply(sql, plan);
      await checkPrivileges(sql, plan, 'apply');
      // The database connected to: a copy whose catalog matches the plan's may bear another name.
      const [{ database }] = (await sql`SELECT current_database() AS database`) as unknown as [{ database: string }];
      return { ...assessed, database };
    });
    const left = plan.stages.length - a.completed.size;
    const verdict =
      a.mode === 'fresh'
        ? `apply would run all ${plan.stages.length} stage(s) on database ${a.database}.`
        : a.record?.status === 'failed'
          ? `apply would go on after the failed run's last committed stage: ${left} stage(s) left. The stage that ` +
            'failed rolled back; until its cause is fixed (uuidmig status shows it) it fails the same way.'
          : `apply would resume the interrupted run: ${left} stage(s) left.`;
    return { plan, verdict, refusal: null };
  } catch (error) {
    if (!(error instanceof UuidmigError) || error.exitCode === 3) throw error;
    return { plan, verdict: `apply would refuse: ${error.message}`, refusal: error };
  } finally {
    await sql.end({ timeout: 5 });
  }
}
