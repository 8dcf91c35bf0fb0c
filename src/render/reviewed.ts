import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import type { Plan, Stage } from '../planner/plan-schema.js';
import { brokenSeal, stageDigest, statementOf } from '../planner/seal.js';
import { BREAKPOINT, DIGEST_LABEL, stageTag } from './migrations.js';

/**
 * The plan that runs is the plan that was reviewed. Before anything is written anywhere: the plan
 * must match its own digests (a statement edited in the JSON breaks its stage's digest), and, when
 * the migration folder uuidmig plan wrote beside it exists (`<out>/migrations/<plan id>/`, what a
 * reviewer reads), every stage file must hold exactly the plan's statements and digest.
 */
export function checkReviewed(plan: Plan, planFile: string | null): void {
  const where = planFile ? `The plan file ${planFile}` : `Plan ${plan.id}`;
  const broken = brokenSeal(plan);
  if (broken) {
    throw new UsageError(
      `${where} was changed after uuidmig plan wrote it: ${broken}; nothing was run. Make the plan again with ` +
        'uuidmig plan, and review its migration files.',
    );
  }
  if (!planFile) return;
  const folder = migrationsFolder(planFile, plan);
  if (!fs.existsSync(folder)) return;
  for (const stage of plan.stages) {
    const differs = fileDiffers(path.join(folder, `${stageTag(stage)}.sql`), stage);
    if (differs) {
      throw new UsageError(
        `${where} does not match the migrations reviewed in ${folder}: ${differs}; nothing was run. Make the plan ` +
          'again with uuidmig plan, and review its migration files.',
      );
    }
  }
}

/** `<out>/plans/<id>.json` -> `<out>/migrations/<id>/`, where uuidmig plan writes them. */
export const migrationsFolder = (planFile: string, plan: Plan): string =>
  path.join(path.dirname(path.dirname(path.resolve(planFile))), 'migrations', plan.id);

function fileDiffers(file: string, stage: Stage): string | null {
  const name = path.basename(file);
  if (!fs.existsSync(file)) return `${name} is missing`;
  const text = fs.readFileSync(file, 'utf8');
  const digest = new RegExp(`^-- ${DIGEST_LABEL} (\\S+)`, 'm').exec(text)?.[1];
  const statements = statementsOf(text);
  if (digest !== stage.digest) return `${name} carries another digest than stage ${stage.id}`;
  if (stageDigest(statements, stage.transactional) !== digest) {
    return `the statements in ${name} were edited after uuidmig plan wrote them`;
  }
  const at = stage.steps.findIndex((step, i) => statementOf(step) !== statements[i]);
  if (at >= 0 || statements.length !== stage.steps.length) {
    const i = at >= 0 ? at : Math.min(statements.length, stage.steps.length);
    return `statement ${i + 1} of ${name} differs from step ${stage.steps[i]?.id ?? '(none)'} of the plan`;
  }
  return null;
}

/** The statements of a migration file as uuidmig wrote it: comment lines before each, `;` after. */
function statementsOf(text: string): string[] {
  return text.split(`\n${BREAKPOINT}\n`).map((chunk) => {
    const lines = chunk.split('\n');
    while (lines.length && lines[0]!.startsWith('-- ')) lines.shift();
    return lines.join('\n').replace(/;\n*$/, '');
  });
}
