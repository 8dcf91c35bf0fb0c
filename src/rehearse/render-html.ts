import { bytes, headlineText, type RehearsalReport, seconds } from './report.js';

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (s: unknown) => String(s ?? '').replace(/[&<>"']/g, (c) => ENTITIES[c]!);

const STYLE = [
  'body{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#1d2330;max-width:1100px}',
  'h1{font-size:1.4rem;margin:0 0 .5rem}h2{font-size:1.1rem;margin-top:2rem}',
  '.headline{display:grid;grid-template-columns:repeat(3,1fr);gap:1rem;margin:1rem 0}',
  '.card{border:1px solid #d8dce6;border-radius:8px;padding:.8rem 1rem}.card b{display:block;font-size:1.5rem}',
  '.pass{color:#17803d}.fail{color:#b42318}',
  '.timeline{border:1px solid #d8dce6;border-radius:8px;padding:1rem}',
  '.row{display:flex;align-items:center;height:24px}',
  '.label{width:220px;font-family:ui-monospace,monospace;font-size:12px;',
  'overflow:hidden;text-overflow:ellipsis;white-space:nowrap}',
  '.lane{position:relative;flex:1;height:14px;background:#f3f4f7;border-radius:3px}',
  '.bar{position:absolute;top:0;height:14px;background:#d9480f;border-radius:3px;min-width:2px}',
  '.bands{position:relative;height:22px;margin-left:220px;margin-bottom:6px}',
  '.band{position:absolute;top:0;height:22px;font-size:11px;color:#fff;overflow:hidden;white-space:nowrap;',
  'padding:3px 4px;box-sizing:border-box;border-right:1px solid #fff}',
  '.b0{background:#3b5bdb}.b1{background:#5c7cfa}.b2{background:#1c7ed6}',
  'table{border-collapse:collapse;width:100%;margin-top:.5rem}',
  'td,th{border-bottom:1px solid #e6e8ef;padding:4px 8px;text-align:left;font-size:13px}',
].join('\n');

/** A table of escaped cells under a header row. */
function table(headers: string[], cells: unknown[][], id?: string): string {
  const head = `<tr>${headers.map((h) => `<th>${h}</th>`).join('')}</tr>`;
  const body = cells.map((c) => `<tr>${c.map((x) => `<td>${escapeHtml(x)}</td>`).join('')}</tr>`).join('');
  return `<table${id ? ` id="${id}"` : ''}>${head}${body}</table>`;
}

const card = (title: string, id: string, value: string, note: string, cls = '') =>
  `<div class="card">${title}<b id="${id}"${cls ? ` class="${cls}"` : ''}>${value}</b>${escapeHtml(note)}</div>`;

/** The timeline: a band per stage, and a lane per table with a bar for each ACCESS EXCLUSIVE hold. */
function timeline(r: RehearsalReport): string {
  const total = Math.max(r.timings.applyMs, 1);
  const pct = (ms: number) => `${Math.min(100, Math.max(0, (ms / total) * 100)).toFixed(3)}%`;
  const span = (startMs: number, ms: number) => `left:${pct(startMs)};width:${pct(ms)}`;
  const bands = r.stages.map((s, i) => {
    const title = escapeHtml(`${s.id} ${s.name}: ${seconds(s.ms)}`);
    return `<div class="band b${i % 3}" style="${span(s.startMs, s.ms)}" title="${title}">${escapeHtml(s.name)}</div>`;
  });
  const lanes = [...new Set(r.locks.map((l) => l.table))].sort().map((t) => {
    const bars = r.holds
      .filter((h) => h.table === t)
      .map((h) => {
        const title = escapeHtml(`${t}: ACCESS EXCLUSIVE ${seconds(h.ms)} in ${h.stage}`);
        return `<div class="bar" style="${span(h.startMs, h.ms)}" title="${title}"></div>`;
      });
    return `<div class="row"><div class="label">${escapeHtml(t)}</div><div class="lane">${bars.join('')}</div></div>`;
  });
  return `<div class="timeline" id="timeline"><div class="bands">${bands.join('')}</div>${lanes.join('')}</div>`;
}

/**
 * report.html: one self-contained page (no scripts, no external files): the headline, a timeline of
 * the stages with a bar per table for each ACCESS EXCLUSIVE hold, and the figures.
 */
export function renderHtml(r: RehearsalReport): string {
  const ok = r.verification.ok;
  const checks = r.verification.differences.length;
  const longest = r.headline.longestLock;
  const staging = r.staging.kind === 'embedded' ? 'an embedded server' : r.staging.server;
  const source =
    `${r.source.database} on ${r.source.server} (PostgreSQL ${r.source.serverVersion}, ` +
    `${bytes(r.source.sizeBytes)})`;
  const where = `${source} rehearsed on ${staging} (PostgreSQL ${r.staging.serverVersion}), ${r.createdAt}.`;
  const verification = r.verification.differences.map((d) => [
    `${d.kind} ${d.name}`,
    d.now?.rows,
    d.kind === 'reference' ? `${d.before?.orphans ?? '-'} / ${d.now?.orphans ?? '-'}` : '',
    d.differs.length ? `DIFFERS (${d.differs.join(', ')})` : 'ok',
  ]);
  const sizes =
    `Staging ${bytes(r.staging.sizeBeforeBytes)} before, ${bytes(r.staging.sizeAfterBytes)} after. ` +
    `Copy: pg_dump ${r.pgDump} ${seconds(r.copy.dumpMs)}, pg_restore ${seconds(r.copy.restoreMs)}.`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>uuidmig rehearsal ${escapeHtml(r.plan.id)}</title>
<style>
${STYLE}
</style></head><body>
<h1>uuidmig rehearsal: plan ${escapeHtml(r.plan.id)}</h1>
<p>${escapeHtml(where)}</p>
<div class="headline">
${card('Total time', 'total', escapeHtml(seconds(r.headline.totalMs)), `apply ${seconds(r.timings.applyMs)}`)}
${card('Longest lock', 'longest-lock', escapeHtml(longest ? seconds(longest.ms) : '-'), longest?.table ?? 'none')}
${card('Verification', 'verification', ok ? 'passed' : 'FAILED', `${checks} checks`, ok ? 'pass' : 'fail')}
</div>
<ul>${headlineText(r)
    .map((l) => `<li>${escapeHtml(l)}</li>`)
    .join('')}</ul>
<h2>Plan warnings</h2>${
    r.warnings.length
      ? `<ul class="warnings">${r.warnings.map((w) => `<li>${escapeHtml(w.message)}</li>`).join('')}</ul>`
      : '<p>None.</p>'
  }
<h2>Timeline of apply: stages, and ACCESS EXCLUSIVE holds per table</h2>
${timeline(r)}
<h2>Stages</h2>${table(
    ['stage', 'start', 'time', 'in transaction', 'lock retries'],
    r.stages.map((s) => [
      `${s.id} ${s.name}`,
      seconds(s.startMs),
      seconds(s.ms),
      seconds(s.transactionMs),
      s.lockRetries,
    ]),
  )}
<h2>Longest lock per table</h2>${table(
    ['table', 'held', 'stage'],
    r.locks.map((l) => [l.table, seconds(l.ms), l.stage]),
  )}
<h2>Fills</h2>${table(
    ['statement', 'table', 'rows', 'time', 'rows/s'],
    r.fills.map((f) => [`${f.id} ${f.description}`, f.table, f.rows, seconds(f.ms), f.rowsPerSecond]),
  )}
<h2>Verification</h2>${table(['check', 'rows', 'orphans before / now', 'result'], verification, 'verification-table')}
<h2>Sizes</h2><p>${escapeHtml(sizes)}</p>
</body></html>
`;
}
