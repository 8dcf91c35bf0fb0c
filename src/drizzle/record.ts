import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Sql } from '../db/connect.js';
import { qualify, quoteIdent, quoteLiteral } from '../db/quote.js';
import type { DrizzleEntry, Stage } from '../planner/plan-schema.js';
import type { DrizzleConfig } from '../schema/load-config.js';

type Queryable = Pick<Sql, 'unsafe'>;

/** Where drizzle's migrator records what it ran: the config's `migrations`, else drizzle-orm's defaults. */
export const migrationsOf = (config: Pick<DrizzleConfig, 'migrations'> | null): DrizzleConfig['migrations'] =>
  config?.migrations ?? { table: '__drizzle_migrations', schema: 'drizzle', prefix: 'index' };

/** The hash drizzle-orm's readMigrationFiles gives a migration file: sha256 (hex) of its whole text. */
export const migrationHash = (text: string): string => createHash('sha256').update(text).digest('hex');

const table = (entry: Pick<DrizzleEntry, 'migrationsSchema' | 'migrationsTable'>) =>
  qualify(entry.migrationsSchema, entry.migrationsTable);

const exists = async (sql: Queryable, entry: Pick<DrizzleEntry, 'migrationsSchema' | 'migrationsTable'>) => {
  const [row] = await sql.unsafe<{ ok: boolean }[]>(
    `SELECT to_regclass(${quoteLiteral(table(entry))}) IS NOT NULL AS ok`,
  );
  return row!.ok;
};

/** drizzle-orm 1.0's migrations table: it records each migration's folder name, and when it ran. */
const TABLE_V1 = `id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint, name text,
  applied_at timestamp with time zone DEFAULT now()`;
const TABLE_V0 = 'id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint';

/** Where an entry lives in the team's folder: `<tag>.sql`, or `<tag>/migration.sql`. */
export const entrySqlFile = (folder: string, entry: Pick<DrizzleEntry, 'tag' | 'layout'>): string =>
  entry.layout === 'folders' ? path.join(folder, entry.tag, 'migration.sql') : path.join(folder, `${entry.tag}.sql`);

/**
 * Record the entry as applied, as drizzle-orm's pg migrator does after running it (same hash, its
 * `when` as `created_at`, and for drizzle-kit 1.0's layout its folder name, by which that migrator
 * tells what ran), so drizzle-kit migrate skips it and runs the team's later entries. The schema and
 * table are made with the migrator's own DDL when missing (only then: `CREATE SCHEMA IF NOT EXISTS`
 * needs CREATE on the database even when the schema exists). Nothing when it is recorded already.
 */
export async function recordEntry(sql: Queryable, entry: DrizzleEntry): Promise<void> {
  if (!(await exists(sql, entry))) {
    const [schema] = await sql.unsafe<{ ok: boolean }[]>(
      `SELECT to_regnamespace(${quoteLiteral(quoteIdent(entry.migrationsSchema))}) IS NOT NULL AS ok`,
    );
    if (!schema!.ok) await sql.unsafe(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(entry.migrationsSchema)}`);
    await sql.unsafe(
      `CREATE TABLE IF NOT EXISTS ${table(entry)} (${entry.layout === 'folders' ? TABLE_V1 : TABLE_V0})`,
    );
  }
  // A 0.x table a 1.0 migrator has not upgraded yet has no name: it matches the row by its time then.
  const named = entry.layout === 'folders' && (await hasNameColumn(sql, entry));
  const [columns, values, same] = named
    ? ['"hash", "created_at", "name"', '$1::text, $2::bigint, $3::text', '"name" = $3::text']
    : ['"hash", "created_at"', '$1::text, $2::bigint', '"hash" = $1::text'];
  await sql.unsafe(
    `INSERT INTO ${table(entry)} (${columns}) SELECT ${values}
     WHERE NOT EXISTS (SELECT 1 FROM ${table(entry)} WHERE ${same})`,
    named ? [entry.hash, entry.when, entry.tag] : [entry.hash, entry.when],
  );
}

async function hasNameColumn(sql: Queryable, entry: Pick<DrizzleEntry, 'migrationsSchema' | 'migrationsTable'>) {
  const [row] = await sql.unsafe<{ ok: boolean }[]>(
    `SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass(${quoteLiteral(table(entry))})
       AND attname = 'name' AND NOT attisdropped) AS ok`,
  );
  return row!.ok;
}

/**
 * How apply records the entry: in the transaction of the plan's last stage, after its own checks (the
 * conversion and its record commit together, or neither), or right after that stage when it runs
 * outside a transaction (an online plan's validate stage). Nothing without an entry.
 */
export function entryRecorder(entry: DrizzleEntry | undefined, stages: Pick<Stage, 'id' | 'transactional'>[]) {
  const last = stages.at(-1);
  return {
    inStage(stage: Pick<Stage, 'id'>, check?: (tx: Queryable) => Promise<void>) {
      if (!entry || !last?.transactional || stage.id !== last.id) return {};
      return {
        beforeCommit: async (tx: Queryable) => {
          await check?.(tx);
          await recordEntry(tx, entry);
        },
      };
    },
    async afterStages(sql: Queryable) {
      if (entry && last && !last.transactional) await recordEntry(sql, entry);
    },
  };
}

/** Rollback: the entry is no longer applied here (the row apply wrote, if it is there). */
export async function forgetEntry(sql: Queryable, entry: DrizzleEntry): Promise<void> {
  if (!(await exists(sql, entry))) return;
  await sql.unsafe(`DELETE FROM ${table(entry)} WHERE "hash" = $1::text AND "created_at" = $2::bigint`, [
    entry.hash,
    entry.when,
  ]);
}

/** A row of drizzle's migrations table (`name` only in drizzle-orm 1.0's). */
export interface RecordedMigration {
  hash: string;
  createdAt: number | null;
  name: string | null;
}

/** The migrations drizzle's migrator recorded here; undefined when there is no table (a database made with push). */
export async function recordedMigrations(
  sql: Queryable,
  entry: Pick<DrizzleEntry, 'migrationsSchema' | 'migrationsTable'>,
): Promise<RecordedMigration[] | undefined> {
  if (!(await exists(sql, entry))) return undefined;
  // Through to_jsonb: a 0.x table has no name column, and the query reads both.
  const rows = await sql.unsafe<{ hash: string; created_at: string | null; name: string | null }[]>(
    `SELECT r->>'hash' AS hash, r->>'created_at' AS created_at, r->>'name' AS name
       FROM (SELECT to_jsonb(m) AS r FROM ${table(entry)} AS m) AS rows`,
  );
  return rows.map((r) => ({
    hash: r.hash,
    createdAt: r.created_at === null ? null : Number(r.created_at),
    name: r.name,
  }));
}

/**
 * The `created_at` drizzle-kit 0.x's migrator compares every journal entry's `when` with: the last
 * one recorded (`order by created_at desc limit 1`, so a NULL comes first).
 */
export function lastCreatedAt(rows: RecordedMigration[]): number | null {
  if (!rows.length || rows.some((r) => r.createdAt === null)) return null;
  return Math.max(...rows.map((r) => r.createdAt!));
}

/**
 * Whether drizzle's migrator would count an entry as run here: 0.x by its hash (for uuidmig's own
 * entry; the team's are compared by time), 1.0 by its folder name, or, for a row a 0.x migrator wrote
 * and 1.0 has not named yet, by the second of its time or its hash, as 1.0's upgrade matches them.
 */
export function isRecorded(
  rows: RecordedMigration[],
  layout: DrizzleEntry['layout'],
  e: { tag: string; when: number; hash: string },
): boolean {
  if (layout !== 'folders') return rows.some((r) => r.hash === e.hash);
  return rows.some(
    (r) =>
      r.name === e.tag ||
      (r.name === null &&
        (r.hash === e.hash || (r.createdAt !== null && Math.floor(r.createdAt / 1000) * 1000 === e.when))),
  );
}

/**
 * What recording (apply) or forgetting (rollback) the entry needs that this user lacks, in words; null
 * when nothing: INSERT and SELECT on the migrations table (DELETE to forget), or, while it does not
 * exist, CREATE on its schema (on the database when the schema is missing too).
 */
export async function missingRecordPrivilege(
  sql: Queryable,
  entry: DrizzleEntry,
  forget: boolean,
): Promise<string | null> {
  const name = table(entry);
  const relation = `to_regclass(${quoteLiteral(name)})::oid`;
  // has_table_privilege with several privileges is true when any one is held: each is asked alone.
  const [row] = await sql.unsafe<{ table: boolean | null; schema: boolean | null; database: boolean }[]>(
    `SELECT has_table_privilege(${relation}, 'SELECT')
         AND has_table_privilege(${relation}, ${forget ? `'DELETE'` : `'INSERT'`}) AS table,
       has_schema_privilege(to_regnamespace(${quoteLiteral(quoteIdent(entry.migrationsSchema))})::oid, 'CREATE')
         AS schema,
       has_database_privilege(current_database(), 'CREATE') AS database`,
  );
  const r = row!;
  const ok = r.table ?? r.schema ?? r.database;
  if (ok || (forget && r.table === null)) return null;
  if (r.table !== null)
    return `it may not ${forget ? 'delete from' : 'insert into'} drizzle's migrations table ${name}`;
  return r.schema !== null
    ? `it may not create drizzle's migrations table in schema ${quoteIdent(entry.migrationsSchema)} (CREATE)`
    : "it may not create drizzle's migrations schema (CREATE on the database)";
}
