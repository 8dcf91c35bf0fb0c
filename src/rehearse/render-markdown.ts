import { bytes, headlineText, type RehearsalReport, seconds } from './report.js';

const cell = (v: unknown) => String(v ?? '').replaceAll('|', '\\|');
const table = (head: string[], rows: unknown[][]) =>
  [
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ].join('\n');

/** report.md: the same figures as report.json, for a pull request or a wiki page. */
export function renderMarkdown(r: RehearsalReport): string {
  const staging = r.staging.kind === 'embedded' ? 'embedded' : r.staging.server;
  const stagingSizes = `${bytes(r.staging.sizeBeforeBytes)} before, ${bytes(r.staging.sizeAfterBytes)} after`;
  const plan = [
    `${r.plan.conversions} key conversion(s)`,
    `${r.plan.references} reference(s)`,
    `${r.plan.stages} stage(s)`,
    `${r.plan.statements} statement(s)`,
  ].join(', ');
  return `# uuidmig rehearsal: plan ${r.plan.id}

${headlineText(r)
  .map((l) => `- ${l}`)
  .join('\n')}

Source: ${r.source.database} on ${r.source.server} (PostgreSQL ${r.source.serverVersion}, ${bytes(r.source.sizeBytes)}).
Staging: ${staging} (PostgreSQL ${r.staging.serverVersion}), ${stagingSizes}.
Copy: pg_dump ${r.pgDump} ${seconds(r.copy.dumpMs)}, pg_restore ${seconds(r.copy.restoreMs)} (${r.copy.jobs} job(s)).
Plan: ${plan}.

## Plan warnings

${r.warnings.length ? r.warnings.map((w) => `- ${w.message.replaceAll('\n', ' ')}`).join('\n') : 'None.'}

## Stages

${table(
  ['stage', 'start', 'time', 'in transaction', 'lock retries'],
  r.stages.map((s) => [
    `${s.id} ${s.name}`,
    seconds(s.startMs),
    seconds(s.ms),
    seconds(s.transactionMs),
    s.lockRetries,
  ]),
)}

## Longest ACCESS EXCLUSIVE lock per table

${table(
  ['table', 'held', 'stage'],
  r.locks.map((l) => [l.table, seconds(l.ms), l.stage]),
)}

## Fills

${table(
  ['statement', 'table', 'rows', 'time', 'rows/s'],
  r.fills.map((f) => [`${f.id} ${f.description}`, f.table, f.rows, seconds(f.ms), f.rowsPerSecond]),
)}

## Verification

${table(
  ['check', 'rows before', 'rows now', 'orphans before', 'orphans now', 'result'],
  r.verification.differences.map((d) => [
    `${d.kind} ${d.name}`,
    d.before?.rows,
    d.now?.rows,
    d.before?.orphans,
    d.now?.orphans,
    d.differs.length ? `DIFFERS (${d.differs.join(', ')})` : 'ok',
  ]),
)}
`;
}
