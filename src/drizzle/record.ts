import { createHash } from 'node:crypto';
import type { Sql } from '../db/connect.js';
import { qualify, quoteIdent, quoteLiteral } from '../db/quote.js';
import type { DrizzleEntry, Stage } from '../planner/plan-schema.js';

type Queryable = Pick<Sql, 'unsafe'>;

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

/**
 * Record the entry as applied, as drizzle-orm's pg migrator does after running it (same hash, its
 * `when` as `created_at`), so drizzle-kit migrate skips it and runs the team's later entries. The
 * schema and table are made with the migrator's own DDL when missing (only then: `CREATE SCHEMA IF NOT
 * EXISTS` needs CREATE on the database even when the schema exists). Nothing when the hash is there.
 */
export async function recordEntry(sql: Queryable, entry: DrizzleEntry): Promise<void> {
  if (!(await exists(sql, entry))) {
    const [schema] = await sql.unsafe<{ ok: boolean }[]>(
      `SELECT to_regnamespace(${quoteLiteral(quoteIdent(entry.migrationsSchema))}) IS NOT NULL AS ok`,
    );
    if (!schema!.ok) await sql.unsafe(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(entry.migrationsSchema)}`);
    await sql.unsafe(
      `CREATE TABLE IF NOT EXISTS ${table(entry)} (
				id SERIAL PRIMARY KEY,
				hash text NOT NULL,
				created_at bigint
			)`,
    );
  }
  await sql.unsafe(
    `INSERT INTO ${table(entry)} ("hash", "created_at")
     SELECT $1::text, $2::bigint WHERE NOT EXISTS (SELECT 1 FROM ${table(entry)} WHERE "hash" = $1::text)`,
    [entry.hash, entry.when],
  );
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

/**
 * The `created_at` of the last migration drizzle's migrator recorded here (what it compares every
 * entry's `when` with); undefined when there is no migrations table (a database made with push).
 */
export async function lastRecorded(
  sql: Queryable,
  entry: Pick<DrizzleEntry, 'migrationsSchema' | 'migrationsTable'>,
): Promise<{ createdAt: number | null; hashes: Set<string> } | undefined> {
  if (!(await exists(sql, entry))) return undefined;
  const rows = await sql.unsafe<{ hash: string; created_at: string | null }[]>(
    // Ordered as drizzle's migrator reads it (`order by created_at desc limit 1`: a NULL comes first).
    `SELECT "hash", "created_at"::text AS created_at FROM ${table(entry)} ORDER BY "created_at" DESC`,
  );
  const first = rows[0]?.created_at;
  return { createdAt: first == null ? null : Number(first), hashes: new Set(rows.map((r) => r.hash)) };
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
