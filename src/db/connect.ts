import postgres from 'postgres';
import { DatabaseError, UsageError } from '../errors.js';
import { maskUrl, misreadUrl } from './mask.js';

export type Sql = postgres.Sql;

export interface ConnectOptions {
  /** Seconds to wait for the server before giving up. */
  connectTimeout?: number;
  max?: number;
  /** Name shown in pg_stat_activity, so a DBA can see who we are. */
  applicationName?: string;
  /** Every transaction read-only (default_transaction_read_only): for a source we must never write. */
  readOnly?: boolean;
}

/** Parse and validate a database URL; a malformed one is a usage error, not a connection error. */
export function parseDatabaseUrl(url: string | undefined): URL {
  if (!url) {
    throw new UsageError(
      "No database URL: pass --database-url, set DATABASE_URL, or give the drizzle config's dbCredentials one.",
    );
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
    if (misreadUrl(parsed)) throw new Error('misread');
  } catch {
    throw new UsageError(
      `The database URL ${maskUrl(url)} is not a valid URL: write it as postgres://user:password@host:port/database, ` +
        'with any @ : / ? # or % in the user name or password percent-encoded (@ as %40, % as %25).',
    );
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new UsageError(`The database URL ${maskUrl(url)} must start with postgres:// or postgresql://.`);
  }
  const parts = { 'user name': parsed.username, password: parsed.password, 'database name': parsed.pathname };
  for (const [part, value] of Object.entries(parts)) {
    try {
      decodeURIComponent(value);
    } catch {
      throw new UsageError(
        `The ${part} in the database URL ${maskUrl(url)} holds a % that does not start a percent-encoded ` +
          'character; write a literal % as %25.',
      );
    }
  }
  return parsed;
}

/**
 * Open a connection pool and prove it works with one round trip, so that an unreachable server,
 * a wrong password or a missing database fails here with exit code 3 and a plain sentence.
 */
export async function connect(url: string | undefined, options: ConnectOptions = {}): Promise<Sql> {
  parseDatabaseUrl(url);
  const sql = postgres(url as string, {
    max: options.max ?? 4,
    connect_timeout: options.connectTimeout ?? 10,
    onnotice: () => {},
    connection: {
      application_name: options.applicationName ?? 'uuidmig',
      ...(options.readOnly ? { default_transaction_read_only: true } : {}),
    },
    // Row data stays as PostgreSQL sends it: bigint ids must not lose precision in JavaScript.
    types: { bigint: postgres.BigInt },
  });
  try {
    await sql`select 1`;
  } catch (error) {
    await sql.end({ timeout: 1 }).catch(() => {});
    throw describeDatabaseError(error, url as string);
  }
  return sql;
}

interface PgLikeError {
  code?: string;
  message?: string;
  errno?: string;
}

/** Turn a driver or server error into the contract's exit code 3 with a sentence a person can act on. */
export function describeDatabaseError(error: unknown, url: string): DatabaseError {
  const e = (error ?? {}) as PgLikeError;
  const target = describeTarget(url);
  const code = e.code ?? e.errno;
  const detail = (e.message ?? String(error)).replace(/\s+/g, ' ').trim();
  let message: string;
  switch (code) {
    case 'ECONNREFUSED':
      message =
        `Could not reach the database server at ${target.server}: connection refused; check that PostgreSQL is ` +
        `running and the host and port are right.`;
      break;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      message = `Could not reach the database server at ${target.server}: the host name does not resolve.`;
      break;
    case 'ETIMEDOUT':
    case 'CONNECT_TIMEOUT':
      message = `Could not reach the database server at ${target.server}: the connection timed out.`;
      break;
    case '28P01':
    case '28000':
      message =
        `The server at ${target.server} refused the login for user "${target.user}": ${detail}; check the user ` +
        `name and password.`;
      break;
    case '3D000':
      message = `The database "${target.database}" does not exist on ${target.server}; create it or fix the URL.`;
      break;
    case '42501':
      message =
        `The database refused us: ${detail}; grant the missing privilege to "${target.user}" or connect as a user ` +
        `who has it.`;
      break;
    default:
      message = `The database at ${target.server} failed: ${detail}.`;
  }
  return new DatabaseError(message.replace(/\.\.$/, '.'), { cause: error });
}

function describeTarget(url: string): { server: string; user: string; database: string } {
  try {
    const u = new URL(url);
    return {
      server: `${u.hostname || 'localhost'}:${u.port || '5432'}`,
      user: decodeURIComponent(u.username || process.env.PGUSER || process.env.USER || ''),
      database: decodeURIComponent(u.pathname.replace(/^\//, '') || u.username),
    };
  } catch {
    return { server: maskUrl(url), user: '', database: '' };
  }
}

/**
 * SQLSTATEs that mean the server could not serve us or refused us: connection and login failures, a
 * missing database, a missing privilege, a read-only server, a shutdown, exhausted resources, lock
 * and statement timeouts, serialization failures, and the server's own internal errors. Anything else
 * raised by one of our own queries (an unknown column, a syntax error) is a bug in uuidmig.
 */
const REFUSED = /^(08|28|3D000|42501|53|57|25006|55P03|40|XX)/;

/** Whether an error is the server's or the network's refusal, not a fault in our own SQL. */
export function isRefusal(error: unknown): boolean {
  if (error instanceof postgres.PostgresError) return REFUSED.test(error.code);
  return isConnectionError(error);
}

/**
 * Run database work and turn the server's or the network's refusals into exit code 3 with a sentence
 * (a missing privilege, a dropped connection). Everything else passes through untouched: our own
 * errors keep their codes, and an SQL error from our own query reaches the CLI as the bug it is
 * (exit 70), never as "the database could not be reached".
 */
export async function withDatabaseErrors<T>(url: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isRefusal(error)) throw describeDatabaseError(error, url);
    throw error;
  }
}

/**
 * The server ended our session or the network dropped it: pg_terminate_backend (57P01), a crash or
 * shutdown (57P02, 57P03), a connection exception (class 08), or the socket closing under postgres.js.
 * Nothing more may be sent on that connection (postgres.js would throw from a timer), and the server
 * has already rolled back whatever transaction it held open.
 */
export function isConnectionLost(error: unknown): boolean {
  if (error instanceof postgres.PostgresError) return /^(08|57P0[123])/.test(error.code);
  return isConnectionError(error);
}

function isConnectionError(error: unknown): boolean {
  const code = (error as PgLikeError | null)?.code ?? '';
  return /^(ECONN|ENOTFOUND|EAI_|ETIMEDOUT|EPIPE|CONNECT_TIMEOUT|CONNECTION_)/.test(code);
}
