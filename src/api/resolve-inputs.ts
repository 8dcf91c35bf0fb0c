import path from 'node:path';
import { UsageError } from '../errors.js';
import { findSchemaFiles } from '../schema/find-files.js';
import { type DrizzleConfig, findDefaultConfig, loadDrizzleConfig } from '../schema/load-config.js';

export interface InputOptions {
  schema?: string | string[];
  config?: string;
  databaseUrl?: string;
  cwd?: string;
}

export interface ResolvedInputs {
  schema: string | string[];
  databaseUrl: string | undefined;
  schemaFilter: string[];
  config: DrizzleConfig | null;
}

/**
 * Where the schema and the database come from, as drizzle-kit would find them: --schema, else the
 * `schema` of --config (or of a drizzle.config.* in the current folder); --database-url, else
 * DATABASE_URL, else the config's dbCredentials. A schema path that does not exist is refused here,
 * and so is a missing URL (`needsDatabase`) when --schema kept a config in the folder from being read.
 */
export async function resolveInputs(options: InputOptions, needsDatabase = true): Promise<ResolvedInputs> {
  const cwd = options.cwd ?? process.cwd();
  const configFile = options.config ?? (options.schema ? undefined : findDefaultConfig(cwd));
  const config = configFile ? await loadDrizzleConfig(configFile) : null;
  const schema = options.schema ?? config?.schema;
  if (!schema || (Array.isArray(schema) && schema.length === 0)) {
    throw new UsageError(
      config
        ? `The config file ${config.file} has no schema entry; add one or pass --schema.`
        : 'No Drizzle schema: pass --schema <file or folder> or --config <drizzle.config.ts>.',
    );
  }
  findSchemaFiles(schema, cwd); // a path that does not exist is said now, before the database is
  const databaseUrl = options.databaseUrl ?? process.env.DATABASE_URL ?? config?.databaseUrl;
  const unread = needsDatabase && !databaseUrl && !config ? findDefaultConfig(cwd) : undefined;
  if (unread) {
    const name = path.basename(unread);
    throw new UsageError(
      `No database URL: pass --database-url or set DATABASE_URL. ${name} in this folder was not read, because ` +
        `--schema was given without --config; add --config ${name} to use its dbCredentials.`,
    );
  }
  return {
    schema,
    databaseUrl,
    schemaFilter: config?.schemaFilter ?? [],
    config,
  };
}
