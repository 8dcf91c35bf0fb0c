import readline from 'node:readline/promises';
import { BlockedError } from '../errors.js';

/**
 * Ask before changing a database, only when a person is at a terminal and did not pass --yes;
 * scripts and CI (no terminal) are not asked.
 */
export async function confirm(question: string, yes: boolean | undefined): Promise<void> {
  if (yes || !process.stdin.isTTY || !process.stderr.isTTY) return;
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    if (!/^y(es)?$/i.test(answer.trim())) throw new BlockedError('Stopped at your answer; nothing was changed.');
  } finally {
    rl.close();
  }
}
