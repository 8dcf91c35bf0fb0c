import { createWritable, Listr, ListrLogger, type ListrTask, ProcessOutput } from 'listr2';
import type { CliIo } from './io.js';

/**
 * Progress with listr2, always on stderr (stdout is for results): the live task list on a terminal,
 * plain lines otherwise.
 */
export async function runTasks(tasks: ListrTask[], io: CliIo): Promise<void> {
  const stream = createWritable((chunk) => io.stderr(String(chunk))) as unknown as NodeJS.WriteStream;
  const processOutput = new ProcessOutput(stream, stream);
  await new Listr(tasks, {
    renderer: 'default',
    fallbackRenderer: 'simple',
    fallbackRendererCondition: !io.interactive,
    rendererOptions: { logger: new ListrLogger({ processOutput, useIcons: true }), collapseSubtasks: false },
    fallbackRendererOptions: { logger: new ListrLogger({ processOutput, useIcons: false }) },
    exitOnError: true,
    registerSignalListeners: false,
  }).run();
}
