import { execFileSync } from 'node:child_process';
import { UsageError } from '../errors.js';

export interface ClientTools {
  pgDumpVersion: string;
  /** Major version of pg_dump (15 for 15.18). */
  pgDumpMajor: number;
}

/**
 * The pg_dump and pg_restore a rehearsal will run (from PATH): present, and no older than the source
 * server (pg_dump refuses to dump a newer server). Refusals name both versions and what to install.
 */
export function checkClientTools(
  sourceVersionNum: number,
  sourceVersion: string,
  purpose = 'uuidmig rehearse can copy the source',
  /** What else the user can do when no pg_dump fits: plan can skip its DDL check. */
  otherwise = '',
): ClientTools {
  const versions: Record<string, string> = {};
  for (const tool of ['pg_dump', 'pg_restore']) {
    try {
      versions[tool] = execFileSync(tool, ['--version'], { encoding: 'utf8' }).trim();
    } catch {
      throw new UsageError(
        `${tool} was not found on PATH; install PostgreSQL's client tools (Debian: apt-get install ` +
          `postgresql-client) so ${purpose}${otherwise}.`,
      );
    }
  }
  const match = /(\d+)(?:\.(\d+))?/.exec(versions.pg_dump!.replace(/^pg_dump \(PostgreSQL\) /, ''));
  const pgDumpMajor = Number(match?.[1] ?? 0);
  const pgDumpVersion = match ? `${match[1]}${match[2] ? `.${match[2]}` : ''}` : versions.pg_dump!;
  const sourceMajor = Math.floor(sourceVersionNum / 10000);
  if (pgDumpMajor < sourceMajor) {
    throw new UsageError(
      `pg_dump ${pgDumpVersion} is older than the source server (PostgreSQL ${sourceVersion}) and cannot dump ` +
        `it; install PostgreSQL ${sourceMajor}'s client tools (for example postgresql-client-${sourceMajor} from ` +
        `the PostgreSQL apt repository) and put them first on PATH${otherwise}.`,
    );
  }
  return { pgDumpVersion, pgDumpMajor };
}
