/**
 * The error contract (README, "Exit codes"; docs/architecture.md section 5): every failure the user can
 * act on is a UuidmigError carrying its exit code and one plain sentence. Anything else is a bug (70).
 */
export const ExitCode = {
  ok: 0,
  /** verification found a difference, or the plan found a blocking problem */
  blocked: 1,
  /** bad usage or configuration */
  usage: 2,
  /** the database could not be reached or refused us */
  database: 3,
  /** a migration step failed and was rolled back */
  stepFailed: 4,
  /** an internal error: a bug */
  internal: 70,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export class UuidmigError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCodeValue,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'UuidmigError';
  }
}

export class UsageError extends UuidmigError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, ExitCode.usage, options);
    this.name = 'UsageError';
  }
}

export class DatabaseError extends UuidmigError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, ExitCode.database, options);
    this.name = 'DatabaseError';
  }
}

/** The plan found something that blocks it; `details` lists one line per problem. */
export class BlockedError extends UuidmigError {
  constructor(
    message: string,
    readonly details: string[] = [],
  ) {
    super(message, ExitCode.blocked);
    this.name = 'BlockedError';
  }
}
