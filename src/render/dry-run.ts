import type { Plan } from '../planner/plan-schema.js';

/** `apply --dry-run`: every statement, grouped by stage, with its lock level, table and estimated rows. */
export function renderDryRun(plan: Plan, verdict: string): string {
  const count = plan.stages.reduce((n, s) => n + s.steps.length, 0);
  const out = [
    `Dry run of plan ${plan.id}: ${plan.stages.length} stage(s), ${count} statement(s). Nothing was changed.`,
    verdict,
    '',
  ];
  for (const stage of plan.stages) {
    out.push(
      `Stage ${stage.id} ${stage.name} (${stage.transactional ? 'one transaction' : 'no transaction'}, component ` +
        `${stage.component})`,
    );
    for (const step of stage.steps) {
      const where = step.table
        ? `${step.table}${step.estimatedRows === null ? '' : ` ~${step.estimatedRows} rows`}`
        : '-';
      out.push(`  ${step.id}  ${step.lock.padEnd(19)}  ${where}`);
      out.push(...step.sql.split('\n').map((line) => `      ${line}`));
    }
    out.push('');
  }
  return out.join('\n');
}
