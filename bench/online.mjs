// npm run bench -- --online [--scale N] [--single] [--batch-size N] [--batch-pause MS] [--baseline S]:
// the online strategy under a bounded write load, at the given scale and at twice it. For each: the
// writers' latency with no migration (baseline), then during each phase of an online apply; the
// longest stall a one-row write probe saw on each table;
// the ACCESS EXCLUSIVE holds the stages journaled; backfill rows/s; the apply process's peak memory;
// and afterwards lost writes, orphans and disagreements (all must be 0).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { plan } from '../dist/api/plan.js';
import { startEmbeddedPostgres } from '../dist/db/embedded.js';
import { writeDemoProject } from '../dist/demo/demo-project.js';
import { DRIZZLE_SCHEMA, dataSql, SCHEMA_SQL } from './forum.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const scale = Number(arg('scale', '1'));
const single = process.argv.includes('--single');
const batchSize = arg('batch-size', undefined);
const batchPause = arg('batch-pause', undefined);
// The baseline runs as long as a phase is compared with: a 10 s window's p99 is 160 writes, and misses
// the machine's own rarer stalls (a checkpoint, an autovacuum) that minutes of any phase see.
const BASELINE_S = Number(arg('baseline', '60'));
const log = (line) => process.stderr.write(`${line}\n`);
const s = (ms) => (ms / 1000).toFixed(2);
const pct = (values, p) => {
  if (!values.length) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};
/** The p99 of writes' times, unrounded (latency() rounds to a tenth for print). */
const p99Of = (ops) =>
  pct(
    ops.map(([, ms]) => ms),
    99,
  );
const latency = (ops) => {
  const ms = ops.map((o) => o[1]);
  const tenth = (x) => Math.round(x * 10) / 10;
  return {
    writes: ms.length,
    p50: tenth(pct(ms, 50)),
    p99: tenth(pct(ms, 99)),
    max: tenth(ms.reduce((a, b) => Math.max(a, b), 0)),
  };
};

const server = await startEmbeddedPostgres({
  settings: { shared_buffers: '1GB', maintenance_work_mem: '512MB', work_mem: '64MB', max_wal_size: '8GB' },
});
const admin = postgres(server.url, { max: 1, onnotice: () => {} });
const project = writeDemoProject();
fs.writeFileSync(path.join(project, 'schema.ts'), DRIZZLE_SCHEMA);

/** The load's lock waits (from its pg_locks watch) that began between `from` and `to` (epoch ms). */
const lockWaits = (waits, from, to) => waits.filter((w) => w.start >= from && w.start <= to);

/** The online apply in a process of its own (online-apply-child.mjs): its phases, checks and peak memory. */
function applyChild(url, planFile) {
  const args = [path.join(here, 'online-apply-child.mjs'), url, planFile, ...(batchPause ? [batchPause] : [])];
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  return new Promise((resolve, reject) =>
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`apply exited ${code}`)))),
  );
}

function writers(url, seconds, out, users) {
  const child = spawn(process.execPath, [path.join(here, 'online-writers.mjs'), url, String(seconds), out], {
    env: { ...process.env, BENCH_USERS: String(users) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return {
    stop: () => fs.writeFileSync(`${out}.stop`, ''),
    done: new Promise((resolve, reject) =>
      child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(fs.readFileSync(out, 'utf8'))) : reject(code))),
    ),
  };
}

async function measure(factor, label) {
  const rows = {
    users: Math.round(500_000 * factor),
    posts: Math.round(5_000_000 * factor),
    likes: Math.round(1_000_000 * factor),
  };
  const name = `bench_online_${label}`;
  log(`building ${name}: ${rows.users} users, ${rows.posts} posts, ${rows.likes} likes`);
  await admin.unsafe(`CREATE DATABASE ${name}`);
  const url = server.urlFor(name);
  const db = postgres(url, { max: 2, onnotice: () => {} });
  await db.unsafe(SCHEMA_SQL);
  await db.unsafe(dataSql(rows.users, rows.posts, rows.likes));
  // The writers find their own posts by body: an index keeps their load an application's, not a scan.
  await db.unsafe('CREATE INDEX posts_body_idx ON posts (body)');
  // They delete posts: an index on likes(post_id) keeps each delete's foreign-key check a lookup, as in
  // any application that deletes parents (without it every delete scans likes: 0.3-0.7 s at 1-2M likes,
  // and a lock queued behind such a transaction stalls every writer that long, whatever the migration).
  await db.unsafe('CREATE INDEX likes_post_id_idx ON likes (post_id)');
  await db.unsafe('CREATE TABLE bench_control (x int); INSERT INTO bench_control VALUES (1)');
  await db.unsafe('VACUUM ANALYZE');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uuidmig-bench-online-'));

  log(`  baseline: the write load for ${BASELINE_S} s, no migration`);
  const baselineFrom = Date.now();
  const baseline = await writers(url, BASELINE_S, path.join(dir, 'baseline.json'), rows.users).done;
  const baselineTo = Date.now();
  await db`DELETE FROM posts WHERE body LIKE 'bench-%'`;

  log('  plan --strategy online');
  const made = await plan({
    schema: path.join(project, 'schema.ts'),
    databaseUrl: url,
    strategy: 'online',
    out: dir,
    ...(batchSize ? { batchSize: Number(batchSize) } : {}),
  });
  if (made.blockers.length) throw new Error(made.blockers.map((b) => b.message).join(' '));
  log('  apply, with the write load running');
  const load = writers(url, 3600, path.join(dir, 'load.json'), rows.users);
  await new Promise((r) => setTimeout(r, 2000));
  const applied = await applyChild(url, made.planFile);
  const { t0, applyMs, phases } = applied;
  const report = { after: applied.after, agreement: applied.agreement };
  await new Promise((r) => setTimeout(r, 2000));
  load.stop();
  const written = await load.done;

  // Every acknowledged write is there, with the author it was last given; deleted ones are gone.
  const present = new Map(
    (await db`SELECT p.body, u.email FROM posts p JOIN users u ON u.id = p.author_id WHERE p.body LIKE 'bench-%'`).map(
      (r) => [r.body, r.email],
    ),
  );
  const lost = written.acknowledged.filter(([body, author]) =>
    author === null ? present.has(body) : present.get(body) !== author,
  ).length;
  const orphans = report.after.filter((c) => c.kind === 'reference').reduce((n, c) => n + (c.orphans ?? 0), 0);
  const disagreements = report.agreement.reduce((n, a) => n + a.rows, 0);
  await db.end();
  await admin.unsafe(`DROP DATABASE ${name} WITH (FORCE)`);
  fs.rmSync(dir, { recursive: true, force: true });

  const during = (kind) =>
    written.ops.filter(([t]) => phases.some((p) => p.kind === kind && t >= p.start && t <= p.end));
  const probeMax = (kind) => {
    const out = {};
    for (const [t, ms, table] of written.probes) {
      if (kind && !phases.some((p) => p.kind === kind && t >= p.start && t <= p.end)) continue;
      out[table] = Math.max(out[table] ?? 0, ms);
    }
    return out;
  };
  // A probe's stall less the longest stall of a control probe that overlapped it: what a lock, not the
  // machine, made that table wait.
  // (Control probes in start order; one that overlaps [t, t + ms] starts before t + ms and, as no probe
  // waits past the 2 s lock_timeout by much, after t - 3 s: a window found by binary search.)
  const control = written.probes.filter(([, , table]) => table === 'control').sort((a, b) => a[0] - b[0]);
  const firstFrom = (time) => {
    let [lo, hi] = [0, control.length];
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (control[mid][0] < time) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const lockStallMs = {};
  // Where each table's longest lock stall fell: the phase, and the statements running during it.
  const lockStallAt = {};
  for (const [t, ms, table] of written.probes) {
    if (table === 'control') continue;
    let machine = 0;
    for (let i = firstFrom(t - 3000); i < control.length && control[i][0] < t + ms; i++) {
      const [ct, cms] = control[i];
      if (ct + cms > t) machine = Math.max(machine, cms);
    }
    if (ms - machine <= (lockStallMs[table] ?? -1)) continue;
    lockStallMs[table] = ms - machine;
    const phase = phases.find((p) => t <= p.end && t + ms >= p.start);
    const running = (phase?.spans ?? []).filter((x) => x.start <= t + ms && x.end >= t);
    lockStallAt[table] = {
      ms: ms - machine,
      sinceApplyMs: t - t0,
      phase: phase?.name ?? 'between stages',
      statements: running.slice(0, 5).map((x) => ({ ms: x.end - x.start, sql: x.sql })),
    };
  }
  // Per object, the longest lock wait PostgreSQL logged for a writer or probe, and where it fell.
  const longestWaits = (waits) => {
    const out = {};
    for (const w of waits) {
      if (w.ms <= (out[w.object]?.ms ?? -1)) continue;
      const phase = phases.find((p) => w.start >= p.start && w.start <= p.end);
      const running = (phase?.spans ?? []).filter((x) => x.start <= w.start + w.ms && x.end >= w.start);
      out[w.object] = {
        ms: w.ms,
        mode: w.mode,
        phase: phase?.name ?? 'between stages',
        statements: running.slice(0, 3).map((x) => ({ ms: x.end - x.start, sql: x.sql })),
      };
    }
    return out;
  };
  const held = phases.filter((p) => p.timing.transactionMs > 0);
  const stages = phases.filter((p) => p.kind !== 'verify');
  const backfill = phases.filter((p) => p.kind === 'backfill');
  return {
    factor,
    rows,
    applyMs,
    stages: stages.map((p) => ({
      name: p.name,
      ms: p.end - p.start,
      transactionMs: p.timing.transactionMs,
      lockWaitMs: p.lockWaitMs,
      lockRetries: p.timing.lockRetries,
      ...(p.timing.transactionMs > 0 ? { held: p.held } : {}),
    })),
    // From the lock to COMMIT, and the COMMIT (the locks are released inside it, before the unlinks).
    longestJournaledHoldMs: Math.max(0, ...held.map((p) => p.timing.transactionMs - p.lockWaitMs - p.timing.commitMs)),
    longestCommitMs: Math.max(0, ...held.map((p) => p.timing.commitMs)),
    longestTransactionMs: Math.max(0, ...held.map((p) => p.timing.transactionMs)),
    longestProbeStallMs: probeMax(null),
    longestLockStallMs: lockStallMs,
    longestLockStallAt: lockStallAt,
    // pg_locks, watched every 20 ms: every wait for a lock a writer or probe had (past 50 ms counted),
    // during apply and in the baseline.
    lockWaits: {
      duringApply: longestWaits(lockWaits(written.lockWaits, t0, t0 + applyMs)),
      countDuringApply: lockWaits(written.lockWaits, t0, t0 + applyMs).filter((w) => w.ms > 50).length,
      baseline: longestWaits(lockWaits(baseline.lockWaits, baselineFrom, baselineTo)),
    },
    probeStallByPhase: Object.fromEntries(
      ['expand', 'backfill', 'build', 'swap', 'verify'].map((k) => [k, probeMax(k)]),
    ),
    latency: {
      baseline: latency(baseline.ops),
      ...Object.fromEntries(['expand', 'backfill', 'build', 'swap'].map((k) => [k, latency(during(k))])),
    },
    // The issue's goal: the writers' p99 during the backfill within 2x of the baseline's.
    backfillP99OverBaseline: Math.round((p99Of(during('backfill')) / p99Of(baseline.ops)) * 100) / 100,
    writeRate: {
      baselinePerS: Math.round(baseline.ops.length / BASELINE_S),
      duringApplyPerS: Math.round(written.ops.filter(([t]) => t >= t0 && t <= t0 + applyMs).length / (applyMs / 1000)),
    },
    backfillRowsPerS: Math.round(
      backfill.reduce((n, p) => n + p.rows, 0) / (backfill.reduce((n, p) => n + (p.end - p.start), 0) / 1000),
    ),
    peakRssMb: Math.round(applied.maxRssKb / 1024),
    lostWrites: lost,
    writerErrors: written.errors.length,
    firstErrors: written.errors.slice(0, 3),
    orphans,
    disagreements,
  };
}

try {
  const runs = [await measure(scale, 'x1')];
  if (!single) runs.push(await measure(scale * 2, 'x2'));
  const lines = [];
  for (const r of runs) {
    lines.push(`\nonline, scale ${r.factor}: ${r.rows.users} users, ${r.rows.posts} posts, ${r.rows.likes} likes`);
    lines.push(`  apply ${s(r.applyMs)} s: ${r.stages.map((x) => `${x.name} ${s(x.ms)} s`).join(', ')}`);
    lines.push(
      `  longest ACCESS EXCLUSIVE hold: journal ${r.longestJournaledHoldMs} ms from the lock to COMMIT, ` +
        `COMMIT ${r.longestCommitMs} ms (transaction with its lock wait ${r.longestTransactionMs} ms)`,
    );
    const perTable = (o) =>
      Object.entries(o)
        .map(([t, ms]) => `${t} ${ms} ms`)
        .join(', ');
    lines.push(`  probe stall per table: ${perTable(r.longestProbeStallMs)}`);
    lines.push(`  of it a lock's (less the control table's stall at the time): ${perTable(r.longestLockStallMs)}`);
    for (const [table, at] of Object.entries(r.longestLockStallAt)) {
      const what = at.statements.map((x) => `${x.sql} (${x.ms} ms)`).join('; ') || 'no statement';
      lines.push(`    ${table}: ${at.ms} ms in ${at.phase}, during ${what}`);
    }
    const waits = Object.entries(r.lockWaits.duringApply);
    const inBaseline = Object.entries(r.lockWaits.baseline).map(([k, v]) => `${k} ${v.ms} ms`);
    lines.push(
      `  lock waits of the load (pg_locks every 20 ms): ${r.lockWaits.countDuringApply} past 50 ms during apply; ` +
        `longest in the baseline: ${inBaseline.join(', ') || 'none'}` +
        (waits.length ? '; longest per object during apply:' : ''),
    );
    for (const [object, w] of waits) {
      const what = w.statements.map((x) => `${x.sql} (${x.ms} ms)`).join('; ') || 'no statement';
      lines.push(`    ${object}: ${w.ms} ms for ${w.mode} in ${w.phase}, during ${what}`);
    }
    lines.push(`  writers (${r.writeRate.baselinePerS}/s baseline, ${r.writeRate.duringApplyPerS}/s during apply):`);
    for (const [phase, l] of Object.entries(r.latency))
      lines.push(`    ${phase.padEnd(9)} p50 ${l.p50} ms  p99 ${l.p99} ms  max ${l.max} ms  (${l.writes} writes)`);
    lines.push(`    backfill p99 / baseline p99: ${r.backfillP99OverBaseline} (goal <= 2)`);
    lines.push(`  backfill ${r.backfillRowsPerS} rows/s, peak memory ${r.peakRssMb} MB`);
    lines.push(
      `  afterwards: ${r.lostWrites} lost writes, ${r.orphans} orphans, ${r.disagreements} disagreements, ` +
        `${r.writerErrors} writer errors`,
    );
  }
  const result = {
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, postgres: server.version },
    scale,
    runs,
  };
  process.stdout.write(`${lines.join('\n')}\n`);
  const file = path.join(
    here,
    'results',
    `${result.date.slice(0, 10)}-online-scale${scale}${single ? '-single' : ''}.json`,
  );
  fs.writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`wrote ${path.relative(process.cwd(), file)}\n`);
} finally {
  await admin.end();
  await server.stop();
  fs.rmSync(project, { recursive: true, force: true });
}
