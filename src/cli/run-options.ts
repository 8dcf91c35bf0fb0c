import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import type { RunSettings } from '../executor/run-stage.js';

export interface RunFlags {
  lockTimeout?: string;
  statementTimeout: string;
  lockRetries?: string;
  batchPause?: string;
}

const INTERVAL = /^\d+(ms|s|min|h)?$/;

/** --lock-timeout, --statement-timeout and --lock-retries, for every command that changes the database. */
export function runOptions(command: Command): Command {
  return command
    .option(
      '--lock-timeout <interval>',
      'give up waiting for a table lock after this long, then retry with backoff (default 5s; online plans 150ms)',
    )
    .option('--statement-timeout <interval>', 'cancel any one statement that runs longer than this', '1h')
    .option(
      '--lock-retries <n>',
      'how many times a stage that hit the lock timeout is retried (default 4; online plans 20)',
    );
}

export function runSettings(flags: RunFlags): Partial<RunSettings> {
  for (const [name, value] of [
    ['--lock-timeout', flags.lockTimeout],
    ['--statement-timeout', flags.statementTimeout],
  ] as const) {
    if (value !== undefined && !INTERVAL.test(value))
      throw new UsageError(`${name} takes a duration such as 500ms, 5s, 2min or 1h, not "${value}".`);
  }
  const settings: Partial<RunSettings> = { statementTimeout: flags.statementTimeout };
  if (flags.lockTimeout !== undefined) settings.lockTimeout = flags.lockTimeout;
  if (flags.lockRetries !== undefined) {
    const retries = Number(flags.lockRetries);
    if (!Number.isInteger(retries) || retries < 0 || retries > 20)
      throw new UsageError(`--lock-retries takes a whole number from 0 to 20, not "${flags.lockRetries}".`);
    settings.lockRetries = retries;
  }
  if (flags.batchPause === 'auto') settings.batchPauseMs = 'auto';
  else if (flags.batchPause !== undefined) {
    const pause = Number(flags.batchPause);
    if (!Number.isInteger(pause) || pause < 0 || pause > 60_000)
      throw new UsageError(`--batch-pause takes "auto" or milliseconds from 0 to 60000, not "${flags.batchPause}".`);
    settings.batchPauseMs = pause;
  }
  return settings;
}
