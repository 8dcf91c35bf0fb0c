import { describeHolder } from '../executor/advisory-lock.js';
import type { StatusReport } from '../executor/status.js';

/** `uuidmig status`: one block per plan, the live run first. */
export function renderStatus(report: StatusReport): string {
  const lines = [`uuidmig status of database ${report.database}`];
  if (report.running) lines.push(`A uuidmig run is in progress now: ${describeHolder(report.running)}.`);
  if (!report.plans.length && !report.planned) {
    lines.push('No plan was applied to this database yet: run uuidmig plan, then uuidmig apply.');
  }
  for (const p of report.plans) {
    lines.push('', `plan ${p.id} (run ${p.run}, ${p.status}, last change ${p.updatedAt})`);
    lines.push(`  ${p.state}`);
    lines.push(`  next: ${p.next}`);
  }
  if (report.planned) {
    lines.push('', `plan ${report.planned.id} (planned, ${report.planned.file})`);
    lines.push('  not applied to this database yet');
    lines.push('  next: uuidmig rehearse, then uuidmig apply (apply --dry-run shows every statement and its lock)');
  }
  return `${lines.join('\n')}\n`;
}
