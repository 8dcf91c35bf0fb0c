// npm run bench -- --profile [--scale N]: where the rewrite's locked time goes, next to the floor's, on
// one copy each of the forum: every statement of uuidmig's stages from the server's log, every
// statement of the floor timed one by one, both summed by what they do. One round, so the totals move
// with the machine's minute as the bench's do; the split between the parts is what it shows.
import fs from 'node:fs';
import path from 'node:path';
import postgres from 'postgres';
import { openApply } from '../dist/executor/apply.js';
import { FLOOR_SQL } from './forum.mjs';
import { buildForum, planForum, startBenchServer } from './forum-setup.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const scale = Number(arg('scale', '1'));
const log = (line) => process.stderr.write(`${line}\n`);
const s = (ms) => (ms / 1000).toFixed(2);

/** What a statement does, by its text: the rows printed, in this order. */
const PARTS = [
  ['read every row into the copies', (q) => /^(CREATE TEMPORARY TABLE|ANALYZE "uuidmig_)/.test(q)],
  [
    'checks before (guards, verify-before)',
    (q, written) => !written && /^(DO \$uuidmig\d*\$ DECLARE lost|SELECT count\(\*\) AS rows)/.test(q),
  ],
  ['write each table', (q) => /^(INSERT INTO|CREATE TABLE \w+ AS|ANALYZE \w+_new)|TYPE uuid USING pg_temp/.test(q)],
  ['keys and indexes', (q) => /PRIMARY KEY|UNIQUE|^CREATE INDEX/.test(q) && !/FOREIGN KEY/.test(q)],
  ['foreign keys (NOT VALID: no scan)', (q) => /FOREIGN KEY .* NOT VALID$/.test(q)],
  ['foreign keys validated', (q) => /FOREIGN KEY|VALIDATE CONSTRAINT/.test(q)],
  ['checks after (the written tables)', (q, written) => written && /^ANALYZE "|^SELECT count\(\*\) AS rows/.test(q)],
  ['commit', (q) => q === 'COMMIT'],
];
const REST = 'the rest (DDL, bookkeeping, round trips)';
/** `written`: a table was written already (the checks after it read the committed tables). */
const partOf = (q, written) => PARTS.find(([, test]) => test(q, written))?.[0] ?? REST;

let captured = '';
let capturing = false;
// Raw chunks of the server's stderr: a line may come in two.
const server = await startBenchServer({ log_min_duration_statement: '0' }, (text) => {
  if (capturing) captured += text;
});
const admin = postgres(server.url, { max: 1, onnotice: () => {} });
const rows = await buildForum(server, admin, 'profile_template', scale, log);

/** Each statement the server logged while capturing: [ms, text on one line]. */
const statements = (text) =>
  [...text.matchAll(/duration: ([\d.]+) ms\s+statement: ([\s\S]*?)(?=\n\d{4}-\d\d-\d\d |\s*$)/g)].map((m) => [
    Number(m[1]),
    m[2].replace(/\s+/g, ' ').trim(),
  ]);

async function profileUuidmig() {
  await admin.unsafe('CREATE DATABASE profile_uuidmig TEMPLATE profile_template');
  const url = server.urlFor('profile_uuidmig');
  const session = await openApply({ plan: await planForum(url), databaseUrl: url });
  await session.before?.run();
  const stages = [];
  for (const stage of session.stages) {
    captured = '';
    capturing = true;
    const timing = await session.runStage(stage);
    await new Promise((resolve) => setTimeout(resolve, 500)); // the log's last lines (COMMIT) come after
    capturing = false;
    stages.push({
      name: stage.name,
      locked: timing.transactionMs > 0,
      ms: timing.ms,
      parts: split(captured, timing.ms),
      statements: longest(captured),
    });
  }
  await session.after.run();
  await session.close();
  await admin.unsafe('DROP DATABASE profile_uuidmig');
  return stages;
}

async function profileFloor() {
  await admin.unsafe('CREATE DATABASE profile_floor TEMPLATE profile_template');
  const db = postgres(server.urlFor('profile_floor'), { max: 1, onnotice: () => {} });
  const t0 = Date.now();
  let text = '';
  await db.begin(async (tx) => {
    for (const q of FLOOR_SQL.split(';\n')
      .map((x) => x.trim())
      .filter(Boolean)) {
      const t = Date.now();
      await tx.unsafe(q);
      text += `duration: ${Date.now() - t} ms  statement: ${q}\n2000-01-01 \n`;
    }
  });
  const ms = Date.now() - t0;
  await db.end();
  await admin.unsafe('DROP DATABASE profile_floor');
  return { name: 'floor', locked: true, ms, parts: split(text, ms), statements: longest(text) };
}

/** The statements that took 100 ms or more, in order: [ms, the first 240 characters]. */
const longest = (text) =>
  statements(text)
    .filter(([ms]) => ms >= 100)
    .map(([ms, q]) => [Math.round(ms), q.slice(0, 240)]);

/** The stage's time by part; what no statement accounts for goes to the rest. */
function split(text, total) {
  const parts = new Map();
  let written = false;
  for (const [ms, q] of statements(text)) {
    written ||= q.startsWith('INSERT INTO') || q.includes('TYPE uuid USING pg_temp');
    const part = partOf(q, written);
    parts.set(part, (parts.get(part) ?? 0) + ms);
  }
  const counted = [...parts.entries()].filter(([k]) => k !== REST).reduce((n, [, ms]) => n + ms, 0);
  parts.set(REST, Math.max(0, total - counted));
  return Object.fromEntries([...parts.entries()].map(([k, ms]) => [k, Math.round(ms)]));
}

const uuidmig = await profileUuidmig();
const floor = await profileFloor();
await admin.end();
await server.stop();

const names = [...PARTS.map(([name]) => name), REST];
const columns = [...uuidmig.map((st) => `${st.name}${st.locked ? ' (locked)' : ''}`), 'floor'];
log(`\n| part | ${columns.join(' | ')} |`);
log(`| --- | ${columns.map(() => '---').join(' | ')} |`);
for (const name of names) {
  const cells = [...uuidmig, floor].map((st) => (st.parts[name] ? `${s(st.parts[name])} s` : ''));
  if (cells.some(Boolean)) log(`| ${name} | ${cells.join(' | ')} |`);
}
log(`| **total** | ${[...uuidmig, floor].map((st) => `**${s(st.ms)} s**`).join(' | ')} |`);
const locked = uuidmig.filter((st) => st.locked).reduce((n, st) => n + st.ms, 0);
log(`locked / floor in this round: ${(locked / floor.ms).toFixed(2)}`);
const out = path.join('bench', 'results', `${new Date().toISOString().slice(0, 10)}-profile-scale${scale}.json`);
fs.writeFileSync(out, `${JSON.stringify({ date: new Date().toISOString(), scale, rows, uuidmig, floor }, null, 2)}\n`);
log(`written to ${out}`);
