// A prototype, not what uuidmig runs: node bench/keyed-prototype.mjs [scale] [rounds] (after npm run build).
// The forum's rewrite done the other way: each table rewritten once, in place (same OID), by one
// ALTER TABLE ... TYPE uuid USING k(table, old integer), where k is a keyed hash whose key is made
// inside the transaction (docs/architecture.md section 6 says where it still shows). A reference gets
// its parent's uuid from its own integer, so there are no copies, no joins and no second write.
// uuidmig's own checks run before (on the integer tables) and after (on the uuid tables) inside the
// lock, and must agree before it commits; then the floor.
import fs from 'node:fs';
import path from 'node:path';
import postgres from 'postgres';
import { compareChecks, runChecks } from '../dist/verify/run-checks.js';
import { buildForum, planForum, runFloor, startBenchServer } from './forum-setup.mjs';

const scale = Number(process.argv[2] ?? 1);
const rounds = Number(process.argv[3] ?? 1);
const log = (line) => process.stderr.write(`${line}\n`);

// The key: 244 random bits from two gen_random_uuid() calls, made by the server inside a DO block and
// written into the body of a temporary function there, so no statement the client sends (or a log
// prints) holds it and no other session sees the function (created and dropped inside the
// transaction); its catalog row still reaches the WAL. As a constant in the body it is folded once:
// a key read from a setting on every call doubled the rewrite's time.
// k(t, i): the first 16 bytes of sha256(key || t || i) as a uuid (a real implementation sets the
// version 4 bits).
const K = `DO $do$ BEGIN EXECUTE format(
  'CREATE FUNCTION pg_temp.k(t int, i bigint) RETURNS uuid LANGUAGE sql IMMUTABLE PARALLEL SAFE AS %L',
  format('SELECT encode(substring(sha256(%L::bytea || int4send(t) || int8send(i)) FROM 1 FOR 16), ''hex'')::uuid',
    decode(md5(gen_random_uuid()::text) || md5(gen_random_uuid()::text), 'hex')));
END $do$`;
const k = (table, column) => `pg_temp.k(${table}, ${column})`;
const REWRITE = [
  [
    'drop',
    `ALTER TABLE likes DROP CONSTRAINT likes_post_id_fkey, DROP CONSTRAINT likes_user_id_fkey,
     DROP CONSTRAINT likes_pkey`,
  ],
  [
    'drop',
    `ALTER TABLE posts DROP CONSTRAINT posts_author_id_fkey, DROP CONSTRAINT posts_editor_id_fkey,
     DROP CONSTRAINT posts_pkey`,
  ],
  ['drop', 'ALTER TABLE users DROP CONSTRAINT users_pkey, DROP CONSTRAINT users_email_key'],
  ['drop', 'DROP INDEX posts_author_id_idx'],
  // New columns with a constant default cost no write; the rewrite below fills them from the old values.
  ['columns', 'ALTER TABLE users ADD COLUMN legacy_id integer NOT NULL DEFAULT 0, ALTER COLUMN id DROP DEFAULT'],
  [
    'columns',
    `ALTER TABLE posts ADD COLUMN legacy_id bigint NOT NULL DEFAULT 0, ADD COLUMN author_id__uuidmig_old integer,
     ADD COLUMN editor_id__uuidmig_old integer, ALTER COLUMN id DROP DEFAULT`,
  ],
  ['columns', 'ALTER TABLE likes ADD COLUMN user_id__uuidmig_old integer, ADD COLUMN post_id__uuidmig_old bigint'],
  // One rewrite per table: every USING reads the row as it was.
  [
    'rewrite',
    `ALTER TABLE users ALTER COLUMN legacy_id TYPE integer USING id, ALTER COLUMN id TYPE uuid USING ${k(1, 'id')}`,
  ],
  [
    'rewrite',
    `ALTER TABLE posts ALTER COLUMN legacy_id TYPE bigint USING id,
     ALTER COLUMN author_id__uuidmig_old TYPE integer USING author_id,
     ALTER COLUMN editor_id__uuidmig_old TYPE integer USING editor_id, ALTER COLUMN id TYPE uuid USING ${k(2, 'id')},
     ALTER COLUMN author_id TYPE uuid USING ${k(1, 'author_id')},
     ALTER COLUMN editor_id TYPE uuid USING ${k(1, 'editor_id')}`,
  ],
  [
    'rewrite',
    `ALTER TABLE likes ALTER COLUMN user_id__uuidmig_old TYPE integer USING user_id,
     ALTER COLUMN post_id__uuidmig_old TYPE bigint USING post_id,
     ALTER COLUMN user_id TYPE uuid USING ${k(1, 'user_id')}, ALTER COLUMN post_id TYPE uuid USING ${k(2, 'post_id')}`,
  ],
  ['columns', 'ALTER TABLE users ALTER COLUMN legacy_id DROP DEFAULT, ALTER COLUMN id SET DEFAULT gen_random_uuid()'],
  ['columns', 'ALTER TABLE posts ALTER COLUMN legacy_id DROP DEFAULT, ALTER COLUMN id SET DEFAULT gen_random_uuid()'],
  ['keys and indexes', 'ALTER TABLE likes ADD CONSTRAINT likes_pkey PRIMARY KEY (user_id, post_id)'],
  ['keys and indexes', 'ALTER TABLE posts ADD CONSTRAINT posts_pkey PRIMARY KEY (id)'],
  ['keys and indexes', 'ALTER TABLE users ADD CONSTRAINT users_pkey PRIMARY KEY (id), ADD UNIQUE (email)'],
  ['keys and indexes', 'ALTER TABLE posts ADD CONSTRAINT posts_legacy_id_key UNIQUE (legacy_id)'],
  ['keys and indexes', 'ALTER TABLE users ADD CONSTRAINT users_legacy_id_key UNIQUE (legacy_id)'],
  ['keys and indexes', 'CREATE INDEX posts_author_id_idx ON posts (author_id)'],
  [
    'foreign keys (NOT VALID)',
    `ALTER TABLE likes ADD CONSTRAINT likes_post_id_fkey FOREIGN KEY (post_id) REFERENCES posts (id) NOT VALID,
     ADD CONSTRAINT likes_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) NOT VALID`,
  ],
  [
    'foreign keys (NOT VALID)',
    `ALTER TABLE posts ADD CONSTRAINT posts_author_id_fkey FOREIGN KEY (author_id) REFERENCES users (id) NOT VALID,
     ADD CONSTRAINT posts_editor_id_fkey FOREIGN KEY (editor_id) REFERENCES users (id) NOT VALID`,
  ],
];

const server = await startBenchServer();
const admin = postgres(server.url, { max: 1, onnotice: () => {} });
const rows = await buildForum(server, admin, 'keyed_template', scale, log);
const forumPlan = await planForum(server.urlFor('keyed_template'));

async function keyed() {
  await admin.unsafe('CREATE DATABASE keyed_run TEMPLATE keyed_template');
  const db = postgres(server.urlFor('keyed_run'), { max: 1, onnotice: () => {} });
  const parts = {};
  const timed = async (part, run) => {
    const t = Date.now();
    const result = await run();
    parts[part] = (parts[part] ?? 0) + Date.now() - t;
    return result;
  };
  const t0 = Date.now();
  await db.begin(async (tx) => {
    await tx.unsafe('LOCK TABLE users, posts, likes IN ACCESS EXCLUSIVE MODE');
    await tx.unsafe(K);
    const before = await timed('checks before (the tables)', () => runChecks(tx, forumPlan));
    for (const [part, sql] of REWRITE) await timed(part, () => tx.unsafe(sql));
    await timed('checks after (the tables)', () => tx.unsafe('ANALYZE users, posts, likes'));
    const after = await timed('checks after (the tables)', () => runChecks(tx, forumPlan));
    await tx.unsafe('DROP FUNCTION pg_temp.k(int, bigint)');
    // A difference rolls the whole rewrite back, as a stage's own checks do.
    const differences = compareChecks(before, after).filter((d) => d.differs.length);
    if (differences.length) throw new Error(`the checks differ: ${JSON.stringify(differences)}`);
  });
  const ms = Date.now() - t0;
  // Then the foreign keys' VALIDATE, outside the lock, as uuidmig's validate stage runs them.
  const t1 = Date.now();
  for (const [table, key] of [
    ['likes', 'likes_post_id_fkey'],
    ['likes', 'likes_user_id_fkey'],
    ['posts', 'posts_author_id_fkey'],
    ['posts', 'posts_editor_id_fkey'],
  ])
    await db.unsafe(`ALTER TABLE ${table} VALIDATE CONSTRAINT ${key}`);
  const validateMs = Date.now() - t1;
  await db.end();
  await admin.unsafe('DROP DATABASE keyed_run');
  return { ms, validateMs, parts };
}

async function floor() {
  await admin.unsafe('CREATE DATABASE keyed_floor TEMPLATE keyed_template');
  const { migrateMs } = await runFloor(server.urlFor('keyed_floor'));
  await admin.unsafe('DROP DATABASE keyed_floor');
  return migrateMs;
}

// Alternating which goes first, as the bench does, so a slow minute of the machine lands on both.
const results = [];
for (let round = 0; round < rounds; round++) {
  const first = round % 2 === 0 ? 'prototype' : 'floor';
  const floorFirst = first === 'floor' ? await floor() : null;
  const prototype = await keyed();
  const floorMs = floorFirst ?? (await floor());
  const lockedOverFloor = prototype.ms / floorMs;
  const withValidateOverFloor = (prototype.ms + prototype.validateMs) / floorMs;
  results.push({ first, prototype, floorMs, lockedOverFloor, withValidateOverFloor });
  log(
    `round ${round + 1} (${first} first): locked ${prototype.ms} ms (${JSON.stringify(prototype.parts)}), ` +
      `then validate ${prototype.validateMs} ms; floor ${floorMs} ms; locked / floor ${lockedOverFloor.toFixed(2)}, ` +
      `with the validate ${withValidateOverFloor.toFixed(2)}; every check agreed`,
  );
}
await admin.end();
await server.stop();
const out = path.join(
  'bench',
  'results',
  `${new Date().toISOString().slice(0, 10)}-keyed-prototype-scale${scale}.json`,
);
fs.writeFileSync(out, `${JSON.stringify({ date: new Date().toISOString(), scale, rows, results }, null, 2)}\n`);
log(`written to ${out}`);
