import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { UsageError } from '../errors.js';
import { importUserModule } from './import-module.js';

const credentialsSchema = z.union([
  z.object({ url: z.string() }).loose(),
  z
    .object({
      host: z.string(),
      port: z.number().optional(),
      user: z.string().optional(),
      password: z.string().optional(),
      database: z.string(),
    })
    .loose(),
]);

const configSchema = z
  .object({
    dialect: z.string().optional(),
    schema: z.union([z.string(), z.array(z.string())]).optional(),
    out: z.string().optional(),
    dbCredentials: credentialsSchema.optional(),
    schemaFilter: z.union([z.string(), z.array(z.string())]).optional(),
  })
  .loose();

export interface DrizzleConfig {
  file: string;
  schema?: string | string[];
  out?: string;
  databaseUrl?: string;
  schemaFilter: string[];
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

/** Read a drizzle.config.ts for `schema`, `out`, `dbCredentials` and `schemaFilter`, like drizzle-kit. */
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
  };
}

function credentialsToUrl(c: z.infer<typeof credentialsSchema>): string {
  if ('url' in c && typeof c.url === 'string') return c.url;
  const d = c as { host: string; port?: number; user?: string; password?: string; database: string };
  const auth = d.user ? `${encodeURIComponent(d.user)}${d.password ? `:${encodeURIComponent(d.password)}` : ''}@` : '';
  return `postgres://${auth}${d.host}:${d.port ?? 5432}/${encodeURIComponent(d.database)}`;
}
