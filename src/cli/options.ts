import type { Command } from 'commander';

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
