import type { Command } from 'commander';
import { runDemo } from '../demo/run-demo.js';
import { BlockedError, UsageError } from '../errors.js';
import type { CliIo } from './io.js';

export function registerDemo(program: Command, io: CliIo): void {
  program
    .command('demo')
    .description('the whole journey on an embedded PostgreSQL with a sample forum schema and data')
    .option('--scale <n>', 'row multiplier (1 is about 100,000 rows)', '1')
    .option('--keep', 'leave the server running and the files in place for exploring')
    .option('--verbose', 'print stack traces with errors')
    .action(async (flags: { scale: string; keep?: boolean }) => {
      const scale = Number(flags.scale);
      if (!Number.isFinite(scale) || scale <= 0 || scale > 100)
        throw new UsageError(`--scale takes a number above 0 and at most 100, not "${flags.scale}".`);
      const ok = await runDemo({
        scale,
        keep: Boolean(flags.keep),
        say: (t) => io.stdout(`${t}\n`),
        note: (t) => io.stderr(`uuidmig: ${t}\n`),
      });
      if (!ok) throw new BlockedError('The demo found verification differences (listed above); please report it.');
    });
}
