import { bytes, headlineText, type RehearsalReport, seconds } from './report.js';

const escapeHtml = (s: unknown) =>
  String(s ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

/**
 * report.html: one self-contained page (no scripts, no external files): the headline, a timeline of
 * the stages with a bar per table for each ACCESS EXCLUSIVE hold, and the figures.
 */
export function renderHtml(r: RehearsalReport): string {
  const total = Math.max(r.timings.applyMs, 1);
  const pct = (ms: number) => `${Math.min(100, Math.max(0, (ms / total) * 100)).toFixed(3)}%`;
  const tables = [...new Set(r.locks.map((l) => l.table))].sort();
  const holds = r.holds;
  const stageBands = r.stages
    .map(
      (s, i) =>
        `<div class="band b${i % 3}" style="left:${pct(s.startMs)};width:${pct(s.ms)}" title="${escapeHtml(`${s.id} ${s.name}: ${seconds(s.ms)}`)}">${escapeHtml(s.name)}</div>`,
    )
    .join('');
  const lockRows = tables
    .map(
      (t) =>
        `<div class="row"><div class="label">${escapeHtml(t)}</div><div class="lane">${holds
          .filter((h) => h.table === t)
          .map(
            (h) =>
              `<div class="bar" style="left:${pct(h.startMs)};width:${pct(h.ms)}" title="${escapeHtml(`${t}: ACCESS EXCLUSIVE ${seconds(h.ms)} in ${h.stage}`)}"></div>`,
          )
          .join('')}</div></div>`,
    )
    .join('');
  const rows = (cells: unknown[][]) =>
    cells.map((c) => `<tr>${c.map((x) => `<td>${escapeHtml(x)}</td>`).join('')}</tr>`).join('');
  const ok = r.verification.ok;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>uuidmig rehearsal ${escapeHtml(r.plan.id)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#1d2330;max-width:1100px}
h1{font-size:1.4rem;margin:0 0 .5rem}h2{font-size:1.1rem;margin-top:2rem}
.headline{display:grid;grid-template-columns:repeat(3,1fr);gap:1rem;margin:1rem 0}
.card{border:1px solid #d8dce6;border-radius:8px;padding:.8rem 1rem}.card b{display:block;font-size:1.5rem}
.pass{color:#17803d}.fail{color:#b42318}
.timeline{border:1px solid #d8dce6;border-radius:8px;padding:1rem}
.row{display:flex;align-items:center;height:24px}.label{width:220px;font-family:ui-monospace,monospace;font-size:12px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.lane{position:relative;flex:1;height:14px;background:#f3f4f7;border-radius:3px}
.bar{position:absolute;top:0;height:14px;background:#d9480f;border-radius:3px;min-width:2px}
.bands{position:relative;height:22px;margin-left:220px;margin-bottom:6px}
.band{position:absolute;top:0;height:22px;font-size:11px;color:#fff;overflow:hidden;white-space:nowrap;padding:3px 4px;box-sizing:border-box;border-right:1px solid #fff}
.b0{background:#3b5bdb}.b1{background:#5c7cfa}.b2{background:#1c7ed6}
table{border-collapse:collapse;width:100%;margin-top:.5rem}td,th{border-bottom:1px solid #e6e8ef;padding:4px 8px;text-align:left;font-size:13px}
</style></head><body>
<h1>uuidmig rehearsal: plan ${escapeHtml(r.plan.id)}</h1>
<p>${escapeHtml(r.source.database)} on ${escapeHtml(r.source.server)} (PostgreSQL ${escapeHtml(r.source.serverVersion)}, ${escapeHtml(bytes(r.source.sizeBytes))}) rehearsed on ${escapeHtml(r.staging.kind === 'embedded' ? 'an embedded server' : r.staging.server)} (PostgreSQL ${escapeHtml(r.staging.serverVersion)}), ${escapeHtml(r.createdAt)}.</p>
<div class="headline">
<div class="card">Total time<b id="total">${escapeHtml(seconds(r.headline.totalMs))}</b>apply ${escapeHtml(seconds(r.timings.applyMs))}</div>
<div class="card">Longest lock<b id="longest-lock">${escapeHtml(r.headline.longestLock ? seconds(r.headline.longestLock.ms) : '-')}</b>${escapeHtml(r.headline.longestLock?.table ?? 'none')}</div>
<div class="card">Verification<b id="verification" class="${ok ? 'pass' : 'fail'}">${ok ? 'passed' : 'FAILED'}</b>${escapeHtml(r.verification.differences.length)} checks</div>
</div>
<ul>${headlineText(r)
    .map((l) => `<li>${escapeHtml(l)}</li>`)
    .join('')}</ul>
<h2>Timeline of apply: stages, and ACCESS EXCLUSIVE holds per table</h2>
<div class="timeline" id="timeline"><div class="bands">${stageBands}</div>${lockRows}</div>
<h2>Stages</h2><table><tr><th>stage</th><th>start</th><th>time</th><th>in transaction</th><th>lock retries</th></tr>${rows(r.stages.map((s) => [`${s.id} ${s.name}`, seconds(s.startMs), seconds(s.ms), seconds(s.transactionMs), s.lockRetries]))}</table>
<h2>Longest lock per table</h2><table><tr><th>table</th><th>held</th><th>stage</th></tr>${rows(r.locks.map((l) => [l.table, seconds(l.ms), l.stage]))}</table>
<h2>Fills</h2><table><tr><th>statement</th><th>table</th><th>rows</th><th>time</th><th>rows/s</th></tr>${rows(r.fills.map((f) => [`${f.id} ${f.description}`, f.table, f.rows, seconds(f.ms), f.rowsPerSecond]))}</table>
<h2>Verification</h2><table id="verification-table"><tr><th>check</th><th>rows</th><th>orphans before / now</th><th>result</th></tr>${rows(
    r.verification.differences.map((d) => [
      `${d.kind} ${d.name}`,
      d.now?.rows,
      d.kind === 'reference' ? `${d.before?.orphans ?? '-'} / ${d.now?.orphans ?? '-'}` : '',
      d.differs.length ? `DIFFERS (${d.differs.join(', ')})` : 'ok',
    ]),
  )}</table>
<h2>Sizes</h2><p>Staging ${escapeHtml(bytes(r.staging.sizeBeforeBytes))} before, ${escapeHtml(bytes(r.staging.sizeAfterBytes))} after. Copy: pg_dump ${escapeHtml(r.pgDump)} ${escapeHtml(seconds(r.copy.dumpMs))}, pg_restore ${escapeHtml(seconds(r.copy.restoreMs))}.</p>
</body></html>
`;
}
