import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { adminUrl } from './database.js';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'uuidmig.js');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run the real `bin/uuidmig.js` in a child process, with a clean environment unless told otherwise. */
export function runUuidmig(
  args: string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: options.cwd,
      // plan proves its statements in a scratch database on the test server (UUIDMIG_DDL_CHECK_URL).
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        UUIDMIG_DDL_CHECK_URL: adminUrl(),
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * `plan` proves its statements on a copy made with this machine's pg_dump (15), which cannot dump a
 * newer server: on the matrix's 16+ servers the CLI tests plan without that proof (it refuses, rightly,
 * and says so; test/integration/ddl-check.test.ts covers the proof itself).
 */
export const ddlCheckArgs = (): string[] =>
  Number(process.env.UUIDMIG_TEST_PG ?? '15') > 15 ? ['--skip-ddl-check'] : [];
