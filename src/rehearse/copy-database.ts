import fs from 'node:fs';
import { pgDump, pgRestore } from 'pg-dump-restore';
import { redactSecrets } from '../db/mask.js';
import { DatabaseError } from '../errors.js';

interface Target {
  host: string;
  port: number;
  database: string;
  username: string;
  password: string;
}

export function targetOf(url: string): Target {
  const u = new URL(url);
  return {
    host: u.hostname || 'localhost',
    port: Number(u.port || 5432),
    database: decodeURIComponent(u.pathname.replace(/^\//, '')),
    username: decodeURIComponent(u.username || process.env.PGUSER || 'postgres'),
    password: decodeURIComponent(u.password || process.env.PGPASSWORD || ''),
  };
}

/**
 * Copy the source into staging with pg_dump and pg_restore (custom format, through the
 * pg-dump-restore package). pg_dump only reads, in one repeatable-read read-only transaction.
 */
export async function copyDatabase(
  sourceUrl: string,
  stagingUrl: string,
  file: string,
  jobs: number,
  /** The tables, views and functions only, no rows (plan's DDL check); uuidmig's own schema left out. */
  schemaOnly = false,
): Promise<{ dumpMs: number; restoreMs: number }> {
  const source = targetOf(sourceUrl);
  const staging = targetOf(stagingUrl);
  const t0 = Date.now();
  try {
    const only = schemaOnly ? { schemaOnly: true, excludeSchemaPattern: ['uuidmig'], lockWaitTimeout: 10_000 } : {};
    await pgDump(source, { filePath: file, format: 'custom' as never, ...only });
  } catch (error) {
    throw new DatabaseError(`pg_dump could not copy the source: ${clean(error)}.`, { cause: error });
  }
  const t1 = Date.now();
  try {
    await pgRestore(staging, { filePath: file, jobs: jobs > 1 ? jobs : undefined, exitOnError: true });
  } catch (error) {
    throw new DatabaseError(`pg_restore could not restore into staging: ${clean(error)}.`, {
      cause: error,
    });
  }
  return { dumpMs: t1 - t0, restoreMs: Date.now() - t1 };
}

/**
 * The database's schema as `pg_dump --schema-only` prints it (plain SQL), uuidmig's own schema left
 * out, and without the `\restrict` key pg_dump 15.14 and later draw at random for each dump.
 */
export async function dumpSchema(url: string, file: string): Promise<string> {
  await pgDump(targetOf(url), {
    filePath: file,
    format: 'plain' as never,
    schemaOnly: true,
    excludeSchemaPattern: ['uuidmig'],
  });
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => !/^\\(un)?restrict /.test(line))
    .join('\n');
}

function clean(error: unknown): string {
  const e = error as { stderr?: string; shortMessage?: string; message?: string };
  const text = (e.stderr?.trim() || e.shortMessage || e.message || String(error))
    .split('\n')
    .filter(Boolean)
    .slice(-2)
    .join(' ');
  return redactSecrets(text).replace(/\.$/, '');
}
