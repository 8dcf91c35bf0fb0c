import type { Command } from 'commander';
import { resolveInputs } from '../api/resolve-inputs.js';
import { initOutputSchema, renderInitSummary } from '../init/output.js';
import { JSON_OUTPUT_VERSION } from '../render/json-output.js';
import { type CliIo, writeJson } from './io.js';

interface InitFlags {
  schema?: string;
  config?: string;
  json?: boolean;
  tables?: string;
  reference: string[];
  keepLegacy?: boolean;
  legacyColumn: string;
  dryRun?: boolean;
}

export function registerInit(program: Command, io: CliIo): void {
  // No database: init takes the schema's whereabouts and the printing options, nothing else.
  program
    .command('init')
    .description('rewrite the Drizzle schema files from integer keys to uuid keys (a codemod; no database)')
    .option('--config <file>', "drizzle.config.* to read the schema's location from (default: the one in this folder)")
    .option('--schema <path>', "Drizzle schema file, folder or glob (default: the config's schema)")
    .option('--tables <names>', 'only the keys of these tables, comma-separated (users,blog.posts); default all')
    .option(
      '--reference <child.col=parent.col>',
      'a reference the schema files declare nowhere, converted with its parent (repeatable), as plan takes it',
      (value: string, all: string[]) => [...all, value],
      [] as string[],
    )
    .option('--keep-legacy', "declare each converted key's old integer as a column, which finalize then keeps")
    .option('--legacy-column <name>', 'name of that column, as plan --legacy-column names it', 'legacy_id')
    .option('--dry-run', 'print a unified diff of each file that would change; write nothing')
    .option('--json', 'machine-readable output on stdout, nothing else on stdout')
    .option('--verbose', 'print stack traces with errors')
    .action(async (flags: InitFlags) => {
      const { schema } = await resolveInputs({ schema: flags.schema, config: flags.config }, false);
      // The TypeScript compiler loads only for init, not with every command.
      const { init } = await import('../init/init.js');
      const result = init({
        schema,
        tables: flags.tables
          ?.split(',')
          .map((t) => t.trim())
          .filter(Boolean),
        references: flags.reference,
        keepLegacy: flags.keepLegacy,
        legacyColumn: flags.legacyColumn,
        dryRun: flags.dryRun,
      });
      if (flags.json) {
        writeJson(io, initOutputSchema, { version: JSON_OUTPUT_VERSION, command: 'init', ...result });
        return;
      }
      if (result.dryRun) for (const f of result.files) if (f.diff) io.stdout(f.diff);
      io.stderr(renderInitSummary(result));
    });
}
