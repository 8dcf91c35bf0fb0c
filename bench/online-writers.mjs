// The bounded write load of the online benchmark, in its own process so the migration's process
// does not slow it: node bench/online-writers.mjs <database-url> <seconds> <out.json>
// Writers insert, re-point and delete posts and likes and add users, naming parents by their own
// unique columns (the same SQL before and after the swap); a probe writes one row of each table every
// 5 ms with a 2 s lock_timeout and records how long each write waited; a watch of pg_locks records
// every lock wait of the load's sessions. Every write is timestamped.
import fs from 'node:fs';
import postgres from 'postgres';

const [url, seconds, out] = process.argv.slice(2);
const WRITERS = 4;
const users = Number(process.env.BENCH_USERS ?? 500_000);
const stopAt = Date.now() + Number(seconds) * 1000;
const stopFile = `${out}.stop`;
const done = () => Date.now() > stopAt || fs.existsSync(stopFile);
const ops = []; // [startedAt, ms, kind]: ms to the hundredth (performance.now), as a 4 ms p99 is coarse in whole ms
/** A write, timed: [epoch ms it started, how long it took in ms]. */
async function timed(write) {
  const [at, t] = [Date.now(), performance.now()];
  const result = await write();
  return [result, at, Math.round((performance.now() - t) * 100) / 100];
}
const probes = []; // [startedAt, ms, table]
const acknowledged = new Map(); // body -> author email, or null once deleted
const errors = [];

const loadPids = new Set(); // the load's own backends: the lock waits watched are theirs
const lockWaits = new Map(); // pid:object:waitstart -> { start, last, mode, object }

/** A connection of the load, its backend known to the lock watch (deadlock_timeout left as it is). */
async function connection() {
  const sql = postgres(url, { max: 1, prepare: false, onnotice: () => {} });
  const [row] = await sql`SELECT pg_backend_pid() AS pid`;
  loadPids.add(row.pid);
  return sql;
}

/**
 * Every 20 ms, the load's sessions that wait for a lock, from pg_locks (its `waitstart`, PostgreSQL 14
 * and later): each wait's start and the last time it was seen waiting. Read-only, so it changes no
 * session's timing (a shorter deadlock_timeout would: the load, not uuidmig, would then be the one
 * PostgreSQL cancels in a deadlock).
 */
async function watchLocks() {
  const sql = postgres(url, { max: 1, prepare: false, onnotice: () => {} });
  while (!done()) {
    const rows = await sql`SELECT l.pid, l.mode, extract(epoch FROM l.waitstart) * 1000 AS start,
        coalesce(c.relname, l.locktype) AS object
      FROM pg_locks l LEFT JOIN pg_class c ON c.oid = l.relation
      WHERE NOT l.granted AND l.waitstart IS NOT NULL AND l.pid = ANY(${[...loadPids]})`;
    const now = Date.now();
    for (const r of rows) {
      const key = `${r.pid}:${r.object}:${r.start}`;
      const seen = lockWaits.get(key) ?? { start: Number(r.start), mode: r.mode, object: r.object };
      lockWaits.set(key, { ...seen, last: now });
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  await sql.end();
}

async function writer(w) {
  const sql = await connection();
  for (let i = 0; !done(); i++) {
    const author = `user${1 + ((i * 7919 + w * 13) % users)}@example.com`;
    const body = `bench-${w}-${i}`;
    try {
      const [[row], t0, ms0] = await timed(
        () => sql`INSERT INTO posts (author_id, body, created_at)
          SELECT id, ${body}, now() FROM users WHERE email = ${author} RETURNING 1 AS ok`,
      );
      if (row) acknowledged.set(body, author);
      ops.push([t0, ms0, 'insert post']);
      if (i % 3 === 2) {
        const earlier = `bench-${w}-${i - 1}`;
        const to = `user${1 + ((i * 104729) % users)}@example.com`;
        const [moved, t1, ms1] = await timed(
          () => sql`UPDATE posts SET author_id = (SELECT id FROM users WHERE email = ${to}) WHERE body = ${earlier}`,
        );
        if (moved.count && acknowledged.has(earlier)) acknowledged.set(earlier, to);
        ops.push([t1, ms1, 're-point post']);
      }
      if (i % 5 === 4) {
        const gone = `bench-${w}-${i - 2}`;
        const [deleted, t2, ms2] = await timed(() => sql`DELETE FROM posts WHERE body = ${gone}`);
        if (deleted.count) acknowledged.set(gone, null);
        ops.push([t2, ms2, 'delete post']);
      }
    } catch (error) {
      errors.push(`${body}: ${error.message}`);
    }
    await new Promise((r) => setTimeout(r, 2));
  }
  await sql.end();
}

async function probe(table, statement) {
  const sql = await connection();
  await sql`SET lock_timeout = '2s'`;
  while (!done()) {
    const t0 = Date.now();
    try {
      await sql.unsafe(statement);
    } catch (error) {
      errors.push(`probe ${table}: ${error.message}`);
    }
    probes.push([t0, Date.now() - t0, table]);
    await new Promise((r) => setTimeout(r, 5));
  }
  await sql.end();
}

await Promise.all([
  watchLocks(),
  ...Array.from({ length: WRITERS }, (_, w) => writer(w)),
  // WHERE false writes no row but takes the table's ROW EXCLUSIVE lock, as any write does.
  probe('users', 'UPDATE users SET name = name WHERE false'),
  probe('posts', 'UPDATE posts SET body = body WHERE false'),
  probe('likes', 'DELETE FROM likes WHERE false'),
  // A table no migration touches: a stall it shows too is the machine's (CPU, I/O), not a lock.
  probe('control', 'UPDATE bench_control SET x = x WHERE false'),
]);
const waits = [...lockWaits.values()].map((w) => ({ start: w.start, ms: Math.round(w.last - w.start), ...w }));
fs.writeFileSync(out, JSON.stringify({ ops, probes, acknowledged: [...acknowledged], errors, lockWaits: waits }));
