#!/usr/bin/env node
// npm run bench [-- --scale N] [--rounds N] [--online] [--profile]: uuidmig's offline rewrite vs the naive
// UPDATE ... FROM vs the rewrite floor (CREATE TABLE AS + the same keys, indexes and foreign keys), on
// identical copies of one database, in the same run; then the same at twice the rows; then plan time
// for 1,000 tables.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { plan } from '../dist/api/plan.js';
import { writeDemoProject } from '../dist/demo/demo-project.js';
import { DRIZZLE_SCHEMA, wideSchema } from './forum.mjs';
import { buildForum, runFloor, startBenchServer } from './forum-setup.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const scale = Number(arg('scale', '1'));
// --single: only the given scale (no 2x run, no growth figures), for a quicker run at full size.
const single = process.argv.includes('--single');
const log = (line) => process.stderr.write(`${line}\n`);
const s = (ms) => (ms / 1000).toFixed(2);

if (process.argv.includes('--profile')) {
  await import('./stage-profile.mjs');
  process.exit(0);
}
if (process.argv.includes('--schema-load')) {
  await import('./schema-load.mjs');
  process.exit(0);
}
if (process.argv.includes('--online')) {
  await import('./online.mjs');
  process.exit(0);
}

const server = await startBenchServer();
const admin = postgres(server.url, { max: 1, onnotice: () => {} });
const project = writeDemoProject();
fs.writeFileSync(path.join(project, 'schema.ts'), DRIZZLE_SCHEMA);

const template = (name, factor) => buildForum(server, admin, name, factor, log);

async function copyOf(templateName, name) {
  await admin.unsafe(`CREATE DATABASE ${name} TEMPLATE ${templateName}`);
  return server.urlFor(name);
}

async function sizes(url) {
  const db = postgres(url, { max: 1, onnotice: () => {} });
  const rows =
    await db`SELECT relname AS name, pg_relation_size(oid)::bigint AS heap, pg_total_relation_size(oid)::bigint AS total
    FROM pg_class WHERE relname IN ('users', 'posts', 'likes') AND relkind = 'r' ORDER BY 1`;
  await db.end();
  return Object.fromEntries(rows.map((r) => [r.name, { heap: Number(r.heap), total: Number(r.total) }]));
}

function runUuidmig(url, strategy) {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'uuidmig-bench-'));
  const child = spawnSync(
    process.execPath,
    [path.join(here, 'apply-child.mjs'), url, path.join(project, 'schema.ts'), strategy, out],
    { encoding: 'utf8', maxBuffer: 1 << 24 },
  );
  fs.rmSync(out, { recursive: true, force: true });
  if (child.status !== 0) throw new Error(`uuidmig (${strategy}) failed: ${child.stderr}`);
  const r = JSON.parse(child.stdout);
  const stagesMs = r.stages.reduce((n, x) => n + x.ms, 0);
  const checkMs = r.stages.reduce((n, x) => n + x.checkMs, 0);
  // The time the tables are under ACCESS EXCLUSIVE: each stage's transaction (rewrite: one per component).
  const lockedMs = r.stages.reduce((n, x) => n + x.transactionMs, 0);
  // Stages outside a transaction (the foreign keys' VALIDATE after a rewrite): writes go on meanwhile.
  const unlockedMs = r.stages.filter((x) => x.transactionMs === 0).reduce((n, x) => n + x.ms, 0);
  return { ...r, migrateMs: stagesMs - checkMs, inSwapCheckMs: checkMs, lockedMs, unlockedMs };
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

// --rounds N (default 3, odd): uuidmig and the floor each run N times at each scale on fresh copies,
// alternating which goes first, so a slow minute of the machine lands on both; the ratios are the
// medians of each round's own ratio, and the times shown the round with the median apply / floor.
const rounds = Number(arg('rounds', '3'));
if (!(Number.isInteger(rounds) && rounds >= 1 && rounds % 2 === 1)) {
  log(`--rounds takes an odd whole number (1, 3, 5...), not "${arg('rounds')}".`);
  process.exit(2);
}

async function measureScale(factor, label) {
  const name = `bench_${label}`;
  const rows = await template(name, factor);
  const pairs = [];
  for (let round = 0; round < rounds; round++) {
    const pair = {};
    for (const way of round % 2 === 0 ? ['uuidmig', 'floor'] : ['floor', 'uuidmig']) {
      log(`  round ${round + 1}/${rounds}: ${way === 'uuidmig' ? 'uuidmig (rewrite)' : 'floor (CREATE TABLE AS)'}...`);
      const url = await copyOf(name, `${name}_${way}`);
      pair[way] = way === 'uuidmig' ? runUuidmig(url, 'rewrite') : await runFloor(url);
      pair[way].sizes = await sizes(url);
      await admin.unsafe(`DROP DATABASE ${name}_${way}`);
    }
    const over = (ms) => ms / pair.floor.migrateMs;
    pair.ratios = {
      applyOverFloor: over(pair.uuidmig.applyMs),
      lockedOverFloor: over(pair.uuidmig.lockedMs),
      uuidmigOverFloor: over(pair.uuidmig.migrateMs),
    };
    pairs.push(pair);
  }
  const middle = pairs.find((p) => p.ratios.applyOverFloor === median(pairs.map((x) => x.ratios.applyOverFloor)));
  const { uuidmig, floor } = middle;
  log(`  naive (UPDATE ... FROM)...`);
  const naiveUrl = await copyOf(name, `${name}_naive`);
  const naive = runUuidmig(naiveUrl, 'update');
  naive.sizes = await sizes(naiveUrl);
  await admin.unsafe(`DROP DATABASE ${name}_naive`);
  await admin.unsafe(`DROP DATABASE ${name}`);
  const ratioMedian = (key) => median(pairs.map((p) => p.ratios[key]));
  return {
    factor,
    rows,
    uuidmig,
    floor,
    naive,
    ratios: {
      // The headline: uuidmig apply end to end, every check included, against writing the end state once.
      applyOverFloor: ratioMedian('applyOverFloor'),
      lockedOverFloor: ratioMedian('lockedOverFloor'),
      uuidmigOverFloor: ratioMedian('uuidmigOverFloor'),
      naiveOverUuidmig: naive.migrateMs / uuidmig.migrateMs,
    },
    rounds: pairs.map((p) => ({
      uuidmig: { applyMs: p.uuidmig.applyMs, lockedMs: p.uuidmig.lockedMs, migrateMs: p.uuidmig.migrateMs },
      floorMs: p.floor.migrateMs,
      ratios: p.ratios,
    })),
  };
}

async function planTime() {
  const { sql, ts } = wideSchema(1000);
  await admin.unsafe('CREATE DATABASE bench_wide');
  const db = postgres(server.urlFor('bench_wide'), { max: 1, onnotice: () => {} });
  await db.unsafe(sql);
  await db.end();
  fs.writeFileSync(path.join(project, 'wide.ts'), ts);
  const timed = async (skipDdlCheck) => {
    const t0 = Date.now();
    const made = await plan({
      schema: path.join(project, 'wide.ts'),
      databaseUrl: server.urlFor('bench_wide'),
      write: false,
      skipDdlCheck,
    });
    return { ms: Date.now() - t0, made };
  };
  // The whole plan with its DDL check first (as the earlier results measured it), then reading both
  // sides and planning alone.
  const { ms, made } = await timed(false);
  const reading = await timed(true);
  await admin.unsafe('DROP DATABASE bench_wide');
  return {
    tables: 1000,
    ms,
    withoutDdlCheckMs: reading.ms,
    ddlCheck: made.ddlCheck,
    conversions: made.plan.conversions.length,
    references: made.plan.references.length,
  };
}

const started = Date.now();
try {
  const base = await measureScale(scale, 'x1');
  const double = single ? null : await measureScale(scale * 2, 'x2');
  const planning = await planTime();
  const result = {
    date: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      model: os.cpus()[0]?.model,
      memoryGb: Math.round(os.totalmem() / 2 ** 30),
      postgres: server.version,
    },
    scale,
    runs: double ? [base, double] : [base],
    planTime: planning,
    growth: double
      ? {
          rowsFactor: 2,
          uuidmigTimeFactor: double.uuidmig.migrateMs / base.uuidmig.migrateMs,
          maxRssFactor: double.uuidmig.maxRssKb / base.uuidmig.maxRssKb,
        }
      : null,
    totalMs: Date.now() - started,
  };
  const lines = [];
  for (const run of result.runs) {
    const u = run.uuidmig,
      f = run.floor,
      n = run.naive;
    lines.push(`\nscale ${run.factor}: ${run.rows.users} users, ${run.rows.posts} posts, ${run.rows.likes} likes`);
    const header = [
      'way'.padEnd(24),
      'migrate s'.padStart(10),
      'rows/s'.padStart(10),
      'posts heap MB'.padStart(14),
      'posts total MB'.padStart(15),
    ];
    lines.push(`  ${header.join(' ')}`);
    const rowsTotal = run.rows.users + run.rows.posts + run.rows.likes;
    for (const [name, r] of [
      ['uuidmig (rewrite)', u],
      ['floor (CREATE TABLE AS)', f],
      ['naive (UPDATE ... FROM)', n],
    ]) {
      const cells = [
        name.padEnd(24),
        s(r.migrateMs).padStart(10),
        Math.round(rowsTotal / (r.migrateMs / 1000))
          .toString()
          .padStart(10),
        (r.sizes.posts.heap / 2 ** 20).toFixed(0).padStart(14),
        (r.sizes.posts.total / 2 ** 20).toFixed(0).padStart(15),
      ];
      lines.push(`  ${cells.join(' ')}`);
    }
    const stageTimes = (way) => way.stages.map((x) => `${x.name} ${s(x.ms - x.checkMs)} s`).join(', ');
    lines.push(`  stages: uuidmig ${stageTimes(u)}; naive ${stageTimes(n)}`);
    const uuidmigTimes = [
      `verify-before ${s(u.verifyBeforeMs)} s`,
      `checks inside the swap ${s(u.inSwapCheckMs)} s`,
      `verify-after ${s(u.verifyAfterMs)} s`,
      `plan ${s(u.planMs)} s`,
      `peak memory ${(u.maxRssKb / 1024).toFixed(0)} MB`,
    ];
    lines.push(`  uuidmig: ${uuidmigTimes.join(', ')}`);
    lines.push(
      `  apply end to end ${s(u.applyMs)} s (verify-after: ${u.afterFrom}), tables locked ${s(u.lockedMs)} s ` +
        `(then ${s(u.unlockedMs)} s of stages while writes go on): ` +
        `apply / floor = ${run.ratios.applyOverFloor.toFixed(2)}, ` +
        `locked / floor = ${run.ratios.lockedOverFloor.toFixed(2)}`,
    );
    const ratios = [
      `migration only / floor = ${run.ratios.uuidmigOverFloor.toFixed(2)}`,
      `naive / uuidmig = ${run.ratios.naiveOverUuidmig.toFixed(2)}`,
      `posts heap vs floor = ${(u.sizes.posts.heap / f.sizes.posts.heap).toFixed(2)}`,
    ];
    lines.push(`  ${ratios.join('   ')}`);
    const each = run.rounds.map((r) => `${r.ratios.applyOverFloor.toFixed(2)}/${r.ratios.lockedOverFloor.toFixed(2)}`);
    lines.push(
      `  apply/locked over floor, round by round: ${each.join(', ')} (the ratios above are each one's median; ` +
        'the times, of the round with the median apply / floor)',
    );
  }
  if (result.growth) {
    const { uuidmigTimeFactor, maxRssFactor } = result.growth;
    lines.push(
      `\ngrowth at 2x rows: uuidmig time x${uuidmigTimeFactor.toFixed(2)}, peak memory x${maxRssFactor.toFixed(2)}`,
    );
  }
  const planCounts = `${planning.conversions} conversions, ${planning.references} references`;
  lines.push(`plan time for ${planning.tables} tables: ${s(planning.ms)} s (${planCounts})`);
  const check = planning.ddlCheck;
  lines.push(
    `  the DDL check ${check ? `${s(check.ms)} s from its copy's start, which overlaps the reading ` : 'skipped '}` +
      `(${check?.passes.join(', ') ?? ''}); without it (--skip-ddl-check) ${s(planning.withoutDdlCheckMs)} s`,
  );
  process.stdout.write(`${lines.join('\n')}\n`);
  const file = path.join(
    here,
    'results',
    `${result.date.slice(0, 10)}${scale === 1 ? '' : `-scale${scale}`}${single ? '-single' : ''}.json`,
  );
  fs.writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`wrote ${path.relative(process.cwd(), file)}\n`);
} finally {
  await admin.end();
  await server.stop();
  fs.rmSync(project, { recursive: true, force: true });
}
