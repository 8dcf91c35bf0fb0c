import { createWritable, Listr, ListrLogger, ProcessOutput } from 'listr2';
import type { CliIo } from './io.js';

/**
 * Progress on stderr (stdout is for results), the same for every command: at a terminal a listr2
 * task that shows its latest note; otherwise plain `uuidmig: ` lines, one when a task starts, one per
 * note, one when it ends with its time.
 */
export interface Progress {
  task<T>(title: string, work: (note: (line: string) => void) => Promise<T>): Promise<T>;
  /** A line that belongs to no task. */
  say(line: string): void;
  /** At a terminal a task's note replaces its last; in a log every note is a line of its own. */
  live: boolean;
}

export const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

export function progressFor(io: CliIo): Progress {
  return io.interactive ? terminalProgress(io) : plainProgress(io);
}

function plainProgress(io: CliIo): Progress {
  const line = (text: string) => io.stderr(`uuidmig: ${text}\n`);
  return {
    live: false,
    say: line,
    async task(title, work) {
      const started = Date.now();
      line(`${title} ...`);
      const result = await work((note) => line(`  ${note}`));
      line(`${title}: done in ${seconds(Date.now() - started)}`);
      return result;
    },
  };
}

function terminalProgress(io: CliIo): Progress {
  const stream = createWritable((chunk) => io.stderr(String(chunk))) as unknown as NodeJS.WriteStream;
  const logger = new ListrLogger({ processOutput: new ProcessOutput(stream, stream), useIcons: true });
  return {
    live: true,
    say: (text) => io.stderr(`${text}\n`),
    async task(title, work) {
      let result: Awaited<ReturnType<typeof work>> | undefined;
      const started = Date.now();
      await new Listr(
        [
          {
            title,
            task: async (_ctx, task) => {
              result = await work((note) => {
                task.output = note;
              });
              task.title = `${title}: ${seconds(Date.now() - started)}`;
            },
          },
        ],
        { renderer: 'default', rendererOptions: { logger }, exitOnError: true, registerSignalListeners: false },
      ).run();
      return result as Awaited<ReturnType<typeof work>>;
    },
  };
}
