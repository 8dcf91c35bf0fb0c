import { createRequire } from 'node:module';
import { Command, CommanderError } from 'commander';
import { UsageError } from '../errors.js';
import { registerApply } from './apply-command.js';
import { registerDemo } from './demo-command.js';
import { registerFinalize } from './finalize-command.js';
import { registerInit } from './init-command.js';
import { type CliIo, processIo, reportError } from './io.js';
import { registerPlan } from './plan-command.js';
import { registerRehearse } from './rehearse-command.js';
import { registerRollback } from './rollback-command.js';
import { registerStatus } from './status-command.js';
import { registerVerify } from './verify-command.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

function buildProgram(io: CliIo): Command {
  const program = new Command('uuidmig')
    .description(
      'Move PostgreSQL databases managed with Drizzle ORM from integer keys to uuid keys without losing a row or ' +
        'a relationship.',
    )
    .version(version)
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: () => {} })
    .showSuggestionAfterError(false);
  registerPlan(program, io);
  registerApply(program, io);
  registerVerify(program, io);
  registerRollback(program, io);
  registerFinalize(program, io);
  registerStatus(program, io);
  registerRehearse(program, io);
  registerDemo(program, io);
  registerInit(program, io);
  for (const command of program.commands)
    command.exitOverride().configureOutput({ writeOut: io.stdout, writeErr: () => {} });
  return program;
}

/** Run the CLI with `argv` (without node and script); returns the exit code. */
export async function runCli(argv: string[], io: CliIo = processIo()): Promise<number> {
  const context = {
    verbose: argv.includes('--verbose'),
    json: argv.includes('--json'),
    command: commandOf(argv),
  };
  try {
    await buildProgram(io).parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return 0; // --help, --version
      return reportError(new UsageError(`${commanderSentence(error)}; see uuidmig --help.`), io, context);
    }
    return reportError(error, io, context);
  }
}

/** The command a --json error belongs to: `apply --dry-run` has its own output. */
function commandOf(argv: string[]): string {
  const command = argv.find((a) => !a.startsWith('-')) ?? '';
  return command === 'apply' && argv.includes('--dry-run') ? 'apply --dry-run' : command;
}

function commanderSentence(error: CommanderError): string {
  return error.message
    .replace(/^error: /, '')
    .replace(/\.$/, '')
    .replace(/^./, (c) => c.toUpperCase());
}
