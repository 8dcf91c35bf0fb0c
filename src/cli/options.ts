import path from 'node:path';
import type { Command } from 'commander';
import { findDefaultConfig, loadDrizzleConfig } from '../schema/load-config.js';

export interface CommonOptions {
  databaseUrl?: string;
  config?: string;
  schema?: string;
  plan?: string;
  json?: boolean;
  yes?: boolean;
  verbose?: boolean;
}

/**
 * The options every command that reaches a database shares: where the database is (--database-url,
 * else DATABASE_URL, else the config's dbCredentials) and how to print. A command takes only the
 * options it uses: commander refuses any other (`unknown option`, exit 2).
 */
export function commonOptions(command: Command): Command {
  return command
    .option('--database-url <url>', "PostgreSQL URL (default: DATABASE_URL, else the config's dbCredentials)")
    .option(
      '--config <file>',
      'drizzle.config.* to read schema, out, dbCredentials and schemaFilter from (default: the one in this folder)',
    )
    .option('--json', 'machine-readable output on stdout, nothing else on stdout')
    .option('--verbose', 'print stack traces with errors');
}

/** --schema, for the commands that read the Drizzle schema. */
export const schemaOption = (command: Command): Command =>
  command.option('--schema <path>', "Drizzle schema file, folder or glob (default: the config's schema)");

/** --yes, for the commands that ask before they change the database. */
export const yesOption = (command: Command): Command => command.option('--yes', 'do not ask for confirmation');

/** --plan, for the commands that work on one plan. */
export const planOption = (command: Command, what = 'the plan'): Command =>
  command.option('--plan <file>', `${what} (default: the newest in plans/ beside the config, else in ./plans)`);

/**
 * The database every command but plan works on, found as plan finds it: --database-url, else
 * DATABASE_URL, else the dbCredentials of --config (or of a drizzle.config.* in the current folder).
 */
export async function databaseUrlOf(flags: CommonOptions): Promise<string | undefined> {
  if (flags.databaseUrl ?? process.env.DATABASE_URL) return flags.databaseUrl ?? process.env.DATABASE_URL;
  const file = configFileOf(flags);
  return file ? (await loadDrizzleConfig(file)).databaseUrl : undefined;
}

/** --config, else the drizzle.config.* drizzle-kit would pick up in the current folder. */
export const configFileOf = (flags: CommonOptions): string | undefined => flags.config ?? findDefaultConfig();

/** Where plans/ lives: beside the config when there is one, else the current folder. */
export function projectFolder(flags: CommonOptions): string {
  const config = configFileOf(flags);
  return config ? path.dirname(path.resolve(config)) : process.cwd();
}
