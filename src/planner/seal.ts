import { sha256 } from './hash.js';
import { type Plan, planSchema, type Stage, type Step } from './plan-schema.js';

/**
 * Digests that tie a plan to what was reviewed. A stage's digest covers exactly the statements it
 * runs, in order, as its migration file carries them (so the file can be checked against it); the
 * plan's digest covers everything else too (the catalog definitions rollback rebuilds from, the
 * options), stage digests included. Pure.
 */
export const stageDigest = (statements: readonly string[], transactional: boolean): string =>
  `sha256:${sha256(`${transactional ? 'transaction' : 'no transaction'}\n${statements.join('\n;\n')}`)}`;

/**
 * A step as its migration file writes it and its digest covers it: the statement, and for a batched
 * step how its batches are bounded (a comment the file carries along, so a reviewer sees it too).
 */
export const statementOf = (step: Pick<Step, 'sql' | 'batch'>): string =>
  step.batch
    ? `${step.sql} /* uuidmig: batches of ${step.batch.size} rows, bounds from: ${step.batch.next} */`
    : step.sql;

type Unsealed = Omit<Plan, 'digest' | 'stages'> & { stages: (Omit<Stage, 'digest'> & { digest?: string })[] };

/** Over the plan as its file holds it: what the schema keeps (a field it does not know is not written). */
const planDigest = (plan: Unsealed & { digest?: string }): string =>
  `sha256:${sha256(planSchema.omit({ digest: true }).parse(plan))}`;

/** The plan with its stages' digests and its own, computed from what it holds now. */
export function sealPlan(plan: Unsealed): Plan {
  const stages = plan.stages.map((s) => ({
    ...s,
    digest: stageDigest(s.steps.map(statementOf), s.transactional),
  }));
  const sealed = { ...plan, stages };
  return { ...sealed, digest: planDigest(sealed) };
}

/** What in the plan no longer matches its digests, in words; null when nothing. */
export function brokenSeal(plan: Plan): string | null {
  for (const stage of plan.stages) {
    const statements = stage.steps.map(statementOf);
    if (stageDigest(statements, stage.transactional) !== stage.digest) {
      return `the statements of stage ${stage.id} ${stage.name} do not match the stage's digest`;
    }
  }
  if (planDigest(plan) !== plan.digest) return "its content does not match the plan's digest";
  return null;
}
