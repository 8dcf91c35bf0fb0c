import type { ReservedSql } from 'postgres';
import { type Sql, withDatabaseErrors } from '../db/connect.js';
import { UsageError } from '../errors.js';
import { refuseDuringRun } from '../executor/advisory-lock.js';
import { findPlanRecord, loadChecks, saveChecks } from '../executor/bookkeeping.js';
import { loadPlan } from '../executor/load-plan.js';
import { withRun } from '../executor/run-handle.js';
import type { Plan } from '../planner/plan-schema.js';
import { compareFinalized, notValidWhenPlanned, runFinalizedChecks } from './finalized-checks.js';
import { type CheckDifference, compareChecks, formulaOf, runChecks } from './run-checks.js';
import { onlineAgreement, type ShadowDisagreement } from './shadow-agreement.js';
import { type ChangeSinceApply, changesSinceApply, explainedByWrites } from './since-apply.js';

export interface VerifyOptions {
  plan: string | Plan;
  databaseUrl?: string;
}

export interface VerifyReport {
  plan: Plan;
  status: string;
  /** `row-by-row` while the legacy integers exist; after finalize, rows, orphans and foreign keys only. */
  scope: 'row-by-row' | 'finalized' | 'snapshot';
  differences: CheckDifference[];
  /** What the application wrote since apply, told apart (row-by-row scope only; empty when nothing differs). */
  sinceApply: ChangeSinceApply[];
  ok: boolean;
  /** Checks of components an interrupted apply has not swapped yet: they have no baseline to compare with. */
  uncompared: number;
  /** Online plans: rows whose uuids disagree with their integers, per column, at one snapshot. */
  agreement?: ShadowDisagreement[];
}

/**
 * An online plan is verified at one snapshot, not against a baseline (tables under writes have no
 * fingerprint to compare): before its swap, every shadow agrees with the integers; after it, every
 * uuid leads to the parent whose legacy integer the row kept. Orphans and row counts are shown beside.
 */
async function verifyOnline(sql: Sql, conn: Pick<Sql, 'unsafe'>, plan: Plan, status: string): Promise<VerifyReport> {
  const now = await runChecks(conn, plan);
  await saveChecks(conn, plan.id, 'verify', now);
  const agreement = await onlineAgreement(sql, plan);
  // Shown, not compared: the orphans the plan's --orphans policy allowed are still integers before the swap.
  const differences = now.map((c) => ({ kind: c.kind, name: c.name, before: null, now: c, differs: [] }));
  const ok = agreement.every((d) => d.rows === 0);
  return { plan, status, scope: 'snapshot', differences, sinceApply: [], ok, uncompared: 0, agreement };
}

/**
 * `uuidmig verify`: take the checks now (row counts, orphans, fingerprints, whatever side of the swap
 * each component is on) and compare them with verify-before, recorded by apply. Rows the application
 * wrote since apply are told apart: verify passes when every row of apply's time still points at the
 * same parent, and names what it cannot prove (re-pointed rows, deletions that hide them).
 */
export async function verify(options: VerifyOptions): Promise<VerifyReport> {
  const plan = loadPlan(options.plan);
  return withRun(
    options.databaseUrl,
    async ({ conn, sql, url }) => {
      // Mid-run, its tables are changing and its baselines are not all taken: nothing to compare yet.
      await refuseDuringRun(conn, 'run uuidmig verify');
      const record = await findPlanRecord(conn, plan.id);
      // An online plan has no baseline under writes; after finalize or rollback, compare with what apply recorded.
      const baseline = plan.options.strategy === 'online' ? 'after' : 'before';
      const before = record ? await loadChecks(conn, plan.id, baseline) : [];
      // Online, while a component may hold shadows or legacy integers: the proof at one snapshot.
      if (record && plan.options.strategy === 'online' && !['finalized', 'rolled_back'].includes(record.status)) {
        return verifyOnline(sql, conn, plan, record.status);
      }
      if (!record) {
        throw new UsageError(
          `Plan ${plan.id} was never applied to this database, so there is no verify-before to compare with; run ` +
            `uuidmig apply first.`,
        );
      }
      if (before.length === 0) {
        throw new UsageError(
          `Plan ${plan.id} has no component swapped yet on this database (status ${record.status}), so there is ` +
            'nothing to compare; run uuidmig apply to finish it (uuidmig status shows where it stands).',
        );
      }
      const finalized = record.status === 'finalized';
      if (finalized) {
        const now = await withDatabaseErrors(url, () => runFinalizedChecks(conn, plan));
        await saveChecks(conn, plan.id, 'verify', now);
        const differences = compareFinalized(before, now, notValidWhenPlanned(plan));
        const ok = differences.every((d) => d.differs.length === 0);
        return { plan, status: record.status, scope: 'finalized', differences, sinceApply: [], ok, uncompared: 0 };
      }
      // Every check and what changed since apply at one snapshot: rows the application writes together in
      // one transaction (an order and its items) are counted together.
      const { now, baselined, differences, sinceApply } = await withDatabaseErrors(url, () =>
        atOneSnapshot(conn, async () => {
          const now = await runChecks(conn, plan, undefined, formulaOf(before));
          // A component apply has not swapped yet (an interrupted run) has no baseline: not compared, counted.
          const baselined = now.filter((n) => before.some((b) => b.kind === n.kind && b.name === n.name));
          const differences = compareChecks(before, baselined);
          const differs = differences.some((d) => d.differs.length);
          const sinceApply = differs ? await changesSinceApply(conn, plan, before, baselined) : [];
          return { now, baselined, differences, sinceApply };
        }),
      );
      await saveChecks(conn, plan.id, 'verify', now);
      const differs = differences.some((d) => d.differs.length);
      const ok = !differs || explainedByWrites(differences, sinceApply);
      const uncompared = now.length - baselined.length;
      return { plan, status: record.status, scope: 'row-by-row', differences, sinceApply, ok, uncompared };
    },
    false,
  );
}

/** `work` in one REPEATABLE READ transaction: every query it makes reads the same snapshot. */
async function atOneSnapshot<T>(conn: Pick<ReservedSql, 'unsafe'>, work: () => Promise<T>): Promise<T> {
  await conn.unsafe('BEGIN ISOLATION LEVEL REPEATABLE READ');
  try {
    const result = await work();
    await conn.unsafe('COMMIT');
    return result;
  } catch (error) {
    await conn.unsafe('ROLLBACK').catch(() => {});
    throw error;
  }
}
