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

/** The options every command shares (docs/architecture.md, and the README's contract). */
export function commonOptions(command: Command): Command {
  return command
    .option('--database-url <url>', 'PostgreSQL URL (default: DATABASE_URL)')
    .option('--config <file>', 'drizzle.config.ts to read schema, out, dbCredentials and schemaFilter from')
    .option('--schema <path>', 'Drizzle schema file, folder or glob')
    .option('--json', 'machine-readable output on stdout, nothing else on stdout')
    .option('--yes', 'do not ask for confirmation')
    .option('--verbose', 'print stack traces with errors');
}

/**
 * The database every command but plan works on, found as plan finds it: --database-url, else
 * DATABASE_URL, else the dbCredentials of --config (or of a drizzle.config.* in the current folder).
 */
export async function databaseUrlOf(flags: CommonOptions): Promise<string | undefined> {
  if (flags.databaseUrl ?? process.env.DATABASE_URL) return flags.databaseUrl ?? process.env.DATABASE_URL;
  const file = flags.config ?? findDefaultConfig();
  return file ? (await loadDrizzleConfig(file)).databaseUrl : undefined;
}
