import fs from 'node:fs';
import path from 'node:path';
import type { Plan, Stage, Step } from '../planner/plan-schema.js';
import { statementOf } from '../planner/seal.js';
import { BREAKPOINT, sqlComment } from '../planner/sql-text.js';

export { BREAKPOINT };
export const DIGEST_LABEL = 'uuidmig digest';

/** One stage as a drizzle-kit migration file: each statement with its lock level as a comment. */
export function renderStageSql(plan: Plan, stage: Stage): string {
  const header = [
    sqlComment(`uuidmig plan ${plan.id}: stage ${stage.id} ${stage.name} (component ${stage.component})`),
    stage.transactional ? '-- Runs inside one transaction.' : '-- Runs outside a transaction, one statement at a time.',
    `-- ${DIGEST_LABEL} ${stage.digest} (of the statements below; uuidmig apply refuses a plan that differs from them)`,
  ].join('\n');
  const statements = stage.steps.map(renderStep);
  return `${header}\n${statements.join(`\n${BREAKPOINT}\n`)}\n`;
}

function renderStep(step: Step): string {
  const on = step.table
    ? ` on ${step.table}${step.estimatedRows === null ? '' : ` (~${step.estimatedRows} rows)`}`
    : '';
  return `${sqlComment(`lock: ${step.lock}${on}: ${step.description}`)}\n${statementOf(step)};`;
}

/** `NNNN_name` tags, as drizzle-kit names its files. */
export const stageTag = (stage: Stage): string => `${stage.id}_${stage.name}`;

export interface WrittenMigrations {
  folder: string;
  files: string[];
}

/**
 * Write the plan's stages as a drizzle-kit migration folder (`NNNN_name.sql` and
 * `meta/_journal.json`), so the team can also run them with drizzle-kit's migrator.
 */
export function writeMigrations(plan: Plan, folder: string): WrittenMigrations {
  fs.mkdirSync(path.join(folder, 'meta'), { recursive: true });
  const created = Date.parse(plan.createdAt);
  const files: string[] = [];
  const entries = plan.stages.map((stage, idx) => {
    const file = path.join(folder, `${stageTag(stage)}.sql`);
    fs.writeFileSync(file, renderStageSql(plan, stage));
    files.push(file);
    return { idx, version: '7', when: created + idx, tag: stageTag(stage), breakpoints: true };
  });
  fs.writeFileSync(
    path.join(folder, 'meta', '_journal.json'),
    `${JSON.stringify({ version: '7', dialect: 'postgresql', entries }, null, 2)}\n`,
  );
  return { folder, files };
}
