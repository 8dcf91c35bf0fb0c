import { readCatalog } from '../catalog/read-catalog.js';
import type { Sql } from '../db/connect.js';
import { BlockedError } from '../errors.js';
import { type CatalogSnapshot, displayTable, type ForeignKeyModel } from '../model/types.js';
import { catalogHash, catalogOptionsOf } from '../planner/plan-migration.js';
import type { Plan } from '../planner/plan-schema.js';
import { validatedKey } from '../planner/rewrite-bound.js';
import { completedStages, findPlanRecord, type PlanRecord, planHash } from './bookkeeping.js';

export interface Assessment {
  /** `fresh`: the first run, or again after a rollback; `resume`: finish an interrupted run. */
  mode: 'fresh' | 'resume';
  record: PlanRecord | null;
  completed: Set<string>;
  catalogHash: string;
}

/**
 * Whether `apply` may run this plan on this database, read-only: refuses a plan already applied, a
 * plan made for another catalog (re-plan), and a database changed since an interrupted run.
 */
/**
 * The catalog without what an online build makes (indexes and constraints on the shadows): a build
 * interrupted partway leaves some of them, which its resumed run builds or keeps; they are not a change.
 */
function withoutBuilt(catalog: CatalogSnapshot, plan: Plan): CatalogSnapshot {
  const built = new Set(plan.stages.flatMap((s) => s.steps.flatMap((step) => (step.creates ? [step.creates] : []))));
  if (!built.size) return catalog;
  return {
    ...catalog,
    tables: catalog.tables.map((t) => ({
      ...t,
      indexes: t.indexes.filter((i) => !built.has(i.name)),
      checks: t.checks.filter((c) => !built.has(c.name)),
      foreignKeys: t.foreignKeys.filter((fk) => !built.has(fk.name)),
    })),
  };
}

/** The foreign keys the plan's validate stages validate: `<table as displayed>\0<name>`. */
const validatedByStages = (plan: Plan): Set<string> =>
  new Set(
    plan.stages
      .filter((s) => s.kind === 'validate')
      .flatMap((s) => s.steps.map(validatedKey))
      .filter((k): k is string => k !== null),
  );

/**
 * The catalog as the stage before a validate stage left it: each foreign key that stage validates
 * NOT VALID again. A validate stage cut short (or a VALIDATE that committed before its journal row)
 * has validated some of them, which its resumed run validates again (nothing to do): not a change.
 */
function beforeValidate(catalog: CatalogSnapshot, plan: Plan): CatalogSnapshot {
  const keys = validatedByStages(plan);
  const back = (t: CatalogSnapshot['tables'][number], fk: ForeignKeyModel): ForeignKeyModel =>
    fk.validated && keys.has(`${displayTable(t)}\0${fk.name}`)
      ? { ...fk, validated: false, definition: `${fk.definition} NOT VALID` }
      : fk;
  if (!keys.size) return catalog;
  return {
    ...catalog,
    tables: catalog.tables.map((t) => ({ ...t, foreignKeys: t.foreignKeys.map((fk) => back(t, fk)) })),
  };
}

export async function assessApply(sql: Sql, plan: Plan, onCopy = false): Promise<Assessment> {
  const record = await findPlanRecord(sql, plan.id);
  // A throwaway copy (plan's DDL check) never resumes, and its hash is compared with nothing: the
  // plan's own stands in, and a 1,000-table catalog is not read once per pass.
  const fresh = !record || !['applying', 'failed'].includes(record.status);
  const catalog = onCopy && fresh ? null : await readCatalog(sql, catalogOptionsOf(plan));
  const current = catalog ? catalogHash(catalog) : plan.source.catalogHash;
  if (record && record.planHash !== planHash(plan)) {
    throw new BlockedError(
      `This database already ran a different plan with the id ${plan.id}; make a new plan with another --name.`,
    );
  }
  switch (record?.status) {
    case 'applied':
      throw new BlockedError(
        `Plan ${plan.id} is already applied to this database; run uuidmig verify, then finalize (or rollback).`,
      );
    case 'finalized':
      throw new BlockedError(
        `Plan ${plan.id} is already applied and finalized on this database; there is nothing left to apply.`,
      );
    case 'rolling_back':
      throw new BlockedError(
        `A rollback of plan ${plan.id} did not finish; run uuidmig rollback again before applying.`,
      );
    case 'applying':
    case 'failed': {
      const stages = await completedStages(sql, plan.id, record.run, 'apply');
      // Stages outside a transaction journal no hash of their own until they end.
      const expected = stages.findLast((s) => s.catalogHash)?.catalogHash ?? plan.source.catalogHash;
      const built = withoutBuilt(catalog!, plan);
      const same = [current, catalogHash(built), catalogHash(beforeValidate(built, plan))].includes(expected);
      if (!same) {
        throw new BlockedError(
          `The database changed since plan ${plan.id}'s interrupted run (its tables, columns or keys differ from ` +
            `what the last completed stage left), so resuming is not safe; roll back with uuidmig rollback and ` +
            `plan again.`,
        );
      }
      return { mode: 'resume', record, completed: new Set(stages.map((s) => s.stageId)), catalogHash: current };
    }
    default:
      if (current !== plan.source.catalogHash && !onCopy) {
        throw new BlockedError(
          `Plan ${plan.id} was made for a different database state (its tables, columns, keys or indexes changed ` +
            `since it was planned); run uuidmig plan again.`,
        );
      }
      return { mode: 'fresh', record, completed: new Set(), catalogHash: current };
  }
}
