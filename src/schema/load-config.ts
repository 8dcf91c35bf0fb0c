import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { UsageError } from '../errors.js';
import { importUserModule } from './import-module.js';

// A `url` the config leaves undefined (`process.env.DATABASE_URL!` unset) is no URL, not an invalid
// config: init needs none, and the other commands may be given --database-url.
const credentialsSchema = z.union([
  z
    .object({
      host: z.string(),
      port: z.number().optional(),
      user: z.string().optional(),
      password: z.string().optional(),
      database: z.string(),
    })
    .loose(),
  z.object({ url: z.string().optional() }).loose(),
]);

const configSchema = z
  .object({
    dialect: z.string().optional(),
    schema: z.union([z.string(), z.array(z.string())]).optional(),
    out: z.string().optional(),
    dbCredentials: credentialsSchema.optional(),
    schemaFilter: z.union([z.string(), z.array(z.string())]).optional(),
    casing: z.enum(['camelCase', 'snake_case']).optional(),
    breakpoints: z.boolean().optional(),
    migrations: z
      .object({ table: z.string().optional(), schema: z.string().optional(), prefix: z.string().optional() })
      .loose()
      .optional(),
  })
  .loose();

export interface DrizzleConfig {
  file: string;
  schema?: string | string[];
  out?: string;
  databaseUrl?: string;
  schemaFilter: string[];
  /** How drizzle-kit names columns declared without a name (its `casing`). */
  casing?: 'camelCase' | 'snake_case';
  /** Where drizzle-orm's migrator records what it ran, and how drizzle-kit prefixes its files. */
  migrations: { table: string; schema: string; prefix: string };
}

export const CONFIG_NAMES = [
  'drizzle.config.ts',
  'drizzle.config.js',
  'drizzle.config.mjs',
  'drizzle.config.cjs',
  'drizzle.config.mts',
];

/** The drizzle.config.* drizzle-kit itself would pick up in `cwd`, if any. */
export function findDefaultConfig(cwd = process.cwd()): string | undefined {
  return CONFIG_NAMES.map((n) => path.join(cwd, n)).find((f) => fs.existsSync(f));
}

/**
 * Read a drizzle.config.ts for `schema`, `out`, `dbCredentials`, `schemaFilter`, `casing` and `migrations`,
 * like drizzle-kit.
 */
export async function loadDrizzleConfig(file: string): Promise<DrizzleConfig> {
  const absolute = path.resolve(file);
  if (!fs.existsSync(absolute)) throw new UsageError(`The config file ${file} does not exist.`);
  const mod = await importUserModule(absolute, 'config file');
  const raw = (mod.default ?? mod) as unknown;
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UsageError(
      `The config file ${file} is not a drizzle-kit config: ${issue.path.join('.') || 'its default export'} ` +
        `${issue.message.toLowerCase()}.`,
    );
  }
  const config = parsed.data;
  if (config.dialect && config.dialect !== 'postgresql') {
    throw new UsageError(
      `The config file ${file} is for dialect "${config.dialect}"; uuidmig works with postgresql only.`,
    );
  }
  return {
    file: absolute,
    schema: config.schema,
    out: config.out,
    databaseUrl: config.dbCredentials ? credentialsToUrl(config.dbCredentials) : undefined,
    schemaFilter: config.schemaFilter === undefined ? [] : [config.schemaFilter].flat(),
    ...(config.casing ? { casing: config.casing } : {}),
    migrations: {
      table: config.migrations?.table ?? '__drizzle_migrations',
      schema: config.migrations?.schema ?? 'drizzle',
      prefix: config.migrations?.prefix ?? 'index',
    },
  };
}

function credentialsToUrl(c: z.infer<typeof credentialsSchema>): string | undefined {
  if (!('host' in c)) return (c.url as string | undefined) || undefined;
  const d = c as { host: string; port?: number; user?: string; password?: string; database: string };
  const auth = d.user ? `${encodeURIComponent(d.user)}${d.password ? `:${encodeURIComponent(d.password)}` : ''}@` : '';
  return `postgres://${auth}${d.host}:${d.port ?? 5432}/${encodeURIComponent(d.database)}`;
}
