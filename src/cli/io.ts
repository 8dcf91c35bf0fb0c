import { passwordOf, redactSecrets } from '../db/mask.js';
import { UuidmigError } from '../errors.js';

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Whether stderr is a terminal (progress is drawn) or not (plain lines). */
  interactive: boolean;
}

export const processIo = (): CliIo => ({
  stdout: (t) => void process.stdout.write(t),
  stderr: (t) => void process.stderr.write(t),
  interactive: Boolean(process.stderr.isTTY),
});

/**
 * Errors are wrapped once, here: a UuidmigError prints its one sentence and exits with its code;
 * anything else is a bug, said so plainly. Stack traces only with --verbose; passwords never.
 */
export function reportError(error: unknown, io: CliIo, verbose: boolean, argv: string[]): number {
  const secrets = [process.env.DATABASE_URL, ...argv].map(passwordOf).concat(process.env.PGPASSWORD);
  const clean = (text: string) => redactSecrets(text, secrets);
  if (error instanceof UuidmigError) {
    io.stderr(`uuidmig: ${clean(error.message)}\n`);
    if (verbose) io.stderr(`${clean(stackOf(error))}\n`);
    return error.exitCode;
  }
  io.stderr(
    `uuidmig: unexpected internal error: ${clean(error instanceof Error ? error.message : String(error))}; ` +
      `please report it (rerun with --verbose for details).\n`,
  );
  if (verbose) io.stderr(`${clean(stackOf(error))}\n`);
  return 70;
}

function stackOf(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error; e; e = (e as { cause?: unknown }).cause)
    parts.push(e instanceof Error ? (e.stack ?? e.message) : String(e));
  return parts.join('\ncaused by: ');
}
