// The benches' shared setup: the embedded server with the bench's settings, the forum built once as a
// template database, and uuidmig's plan for it.
import fs from 'node:fs';
import path from 'node:path';
import postgres from 'postgres';
import { plan } from '../dist/api/plan.js';
import { startEmbeddedPostgres } from '../dist/db/embedded.js';
import { writeDemoProject } from '../dist/demo/demo-project.js';
import { DRIZZLE_SCHEMA, dataSql, FLOOR_SQL, SCHEMA_SQL } from './forum.mjs';

/** The embedded server every bench measures on (the settings the README's Performance names). */
export const startBenchServer = (settings = {}, onLog = undefined) =>
  startEmbeddedPostgres({
    settings: {
      shared_buffers: '1GB',
      maintenance_work_mem: '512MB',
      work_mem: '256MB',
      max_wal_size: '8GB',
      checkpoint_timeout: '30min',
      synchronous_commit: 'off',
      ...settings,
    },
    ...(onLog ? { onLog } : {}),
  });

/** The forum at a scale (1: 500k users, 5M posts, 1M likes) in a new database `name`; its row counts. */
export async function buildForum(server, admin, name, factor, log) {
  const rows = {
    users: Math.round(500_000 * factor),
    posts: Math.round(5_000_000 * factor),
    likes: Math.round(1_000_000 * factor),
  };
  log(`building ${name}: ${rows.users} users, ${rows.posts} posts, ${rows.likes} likes`);
  await admin.unsafe(`CREATE DATABASE ${name}`);
  const db = postgres(server.urlFor(name), { max: 1, onnotice: () => {} });
  await db.unsafe(SCHEMA_SQL);
  await db.unsafe(dataSql(rows.users, rows.posts, rows.likes));
  await db.unsafe('VACUUM ANALYZE');
  await db.end();
  return rows;
}

/** uuidmig's plan for the forum at `url` (no DDL check: the bench times apply, not plan). */
export async function planForum(url) {
  const project = writeDemoProject();
  try {
    fs.writeFileSync(path.join(project, 'schema.ts'), DRIZZLE_SCHEMA);
    const made = await plan({
      schema: path.join(project, 'schema.ts'),
      databaseUrl: url,
      write: false,
      skipDdlCheck: true,
    });
    return made.plan;
  } finally {
    fs.rmSync(project, { recursive: true, force: true });
  }
}

/** The floor, in one transaction, on the forum at `url`: its time. */
export async function runFloor(url) {
  const db = postgres(url, { max: 1, onnotice: () => {} });
  const t0 = Date.now();
  await db.begin((tx) => tx.unsafe(FLOOR_SQL));
  const ms = Date.now() - t0;
  await db.end();
  return { migrateMs: ms };
}
