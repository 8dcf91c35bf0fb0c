import type { z } from 'zod';
import { redactSecrets } from '../db/mask.js';
import { UuidmigError } from '../errors.js';
import { errorOutputSchema, JSON_OUTPUT_VERSION } from '../render/json-output.js';

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Whether stderr is a terminal (progress is drawn) or not (plain lines). */
  interactive: boolean;
  /** Set once a command printed its --json document: nothing else may follow it on stdout. */
  jsonWritten?: boolean;
}

export const processIo = (): CliIo => ({
  stdout: (t) => void process.stdout.write(t),
  stderr: (t) => void process.stderr.write(t),
  interactive: Boolean(process.stderr.isTTY),
});

/** A command's --json document: validated against its schema (a mismatch is a bug), then printed. */
export function writeJson<T>(io: CliIo, schema: z.ZodType<T>, value: NoInfer<T>): void {
  io.stdout(`${JSON.stringify(schema.parse(value), null, 2)}\n`);
  io.jsonWritten = true;
}

export interface ErrorContext {
  verbose: boolean;
  /** --json was given: the error is also a JSON document on stdout, unless the command printed one. */
  json: boolean;
  command: string;
}

/**
 * Errors are wrapped once, here: a UuidmigError prints its one sentence and exits with its code;
 * anything else is a bug, said so plainly (exit 70). Stack traces only with --verbose; passwords
 * never.
 */
export function reportError(error: unknown, io: CliIo, context: ErrorContext): number {
  const known = error instanceof UuidmigError;
  const reason = redactSecrets(error instanceof Error ? error.message : String(error));
  const message = known
    ? reason
    : `unexpected internal error: ${reason}; please report it (rerun with --verbose for details).`;
  const code = known ? error.exitCode : 70;
  io.stderr(`uuidmig: ${message}\n`);
  if (context.verbose) io.stderr(`${redactSecrets(stackOf(error))}\n`);
  if (context.json && !io.jsonWritten) {
    writeJson(io, errorOutputSchema, {
      version: JSON_OUTPUT_VERSION,
      command: context.command,
      error: { code, message },
    });
  }
  return code;
}

function stackOf(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error; e; e = (e as { cause?: unknown }).cause) {
    parts.push(e instanceof Error ? (e.stack ?? e.message) : String(e));
  }
  return parts.join('\ncaused by: ');
}
