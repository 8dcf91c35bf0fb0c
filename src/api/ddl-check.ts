import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connect, parseDatabaseUrl, type Sql } from '../db/connect.js';
import { maskUrl } from '../db/mask.js';
import { type ScratchDatabase, scratchDatabase } from '../db/scratch-database.js';
import { freshHistory } from '../drizzle/fresh-history.js';
import { firstFailure } from '../drizzle/run-entry.js';
import type { PreparedEntry } from '../drizzle/team-entry.js';
import { UsageError } from '../errors.js';
import { openApply } from '../executor/apply.js';
import { openFinalize } from '../executor/finalize.js';
import { openRollback } from '../executor/rollback.js';
import { StepFailedError } from '../executor/run-stage.js';
import { type RunSession, runSession } from '../executor/session.js';
import { displayTable } from '../model/types.js';
import type { Finding } from '../model/work.js';
import { slugOf } from '../planner/plan-migration.js';
import type { Plan } from '../planner/plan-schema.js';
import { oneLine } from '../planner/sql-text.js';
import { checkClientTools } from '../rehearse/client-tools.js';
import { copyDatabase, dumpSchema } from '../rehearse/copy-database.js';
import { copyRoles, startEmbeddedStaging } from '../rehearse/staging.js';

export interface DdlCheckResult {
  /** One finding for the statement that failed; none when every statement ran. */
  blockers: Finding[];
  /** The team folder's history that would not build a fresh database (freshHistory). */
  warnings: Finding[];
  /** Where it ran: `an embedded PostgreSQL 15.18`, or the server of --ddl-check-url. */
  where: string;
  ms: number;
  /** The passes that ran, in order: `apply`, `rollback`, `finalize`, then `apply again` and `finalize` when needed. */
  passes: string[];
}

interface Scratch {
  url: string;
  where: string;
  /** A copy of the scratch database as it is now, on the same server (nobody connected to it). */
  twin(): Promise<ScratchDatabase>;
  close(): Promise<void>;
}

/** The empty schema-only copy the DDL check runs on, ready; close() drops it (checkDdl does). */
export interface EmptyCopy {
  scratch: Scratch;
  /** When making it began (the check's time counts from there). */
  started: number;
}

/**
 * The copy plan proves its DDL on (the source's tables, views, functions, rules and policies, no rows,
 * roles included): on an embedded server of the source's major version, or in a scratch database on
 * the server of `checkUrl` (the user's choice). plan makes it while it reads and plans, so the server's
 * start and the dump and restore cost little of its wall time.
 */
export async function emptyCopy(sql: Sql, sourceUrl: string, planName: string, checkUrl?: string): Promise<EmptyCopy> {
  const started = Date.now();
  const [server] = await sql<{ v: string; n: number }[]>`SELECT current_setting('server_version') AS v,
    current_setting('server_version_num')::int AS n`;
  checkClientTools(
    server!.n,
    server!.v,
    'uuidmig plan can prove its statements on an empty copy',
    ', or plan with --skip-ddl-check (then a statement that cannot run fails inside apply)',
  );
  const scratch = checkUrl ? await scratchOn(checkUrl, planName) : await embeddedScratch(server!.n);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'uuidmig-ddl-'));
  try {
    await copyRoles(sql, scratch.url);
    await copyDatabase(sourceUrl, scratch.url, path.join(work, 'schema.dump'), 1, true);
    return { scratch, started };
  } catch (error) {
    await scratch.close();
    throw error;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Plan proves its own DDL before writing anything: on the empty copy, it runs every stage, then
 * rollback, apply again and finalize, through the same code `uuidmig apply` runs (journey). A
 * statement that fails there (a partition declared without its parent, a view comparing a uuid with an
 * integer, a foreign key onto a key that stays integer) would have failed halfway through apply: it
 * becomes a refusal naming the object, the statement and PostgreSQL's message. The copy is dropped
 * afterwards.
 */
export async function checkDdl(copy: EmptyCopy, plan: Plan, entry?: PreparedEntry): Promise<DdlCheckResult> {
  const { scratch } = copy;
  try {
    // The entry first (it rolls back); when it fails, the journey names the object and the step, which
    // say more than the entry's statement number: the entry's own failure stands only when the journey passes.
    const entryFailure = entry ? await runEntry(plan, entry.sql, scratch.url) : [];
    const passes: string[] = [];
    const journeyFailure = await journey(plan, scratch, passes);
    const blockers = journeyFailure.length ? journeyFailure : entryFailure;
    const warnings = entry && !blockers.length ? await freshHistory(scratch.url, entry) : [];
    return { blockers, warnings, where: scratch.where, ms: Date.now() - copy.started, passes };
  } finally {
    await scratch.close();
  }
}

/**
 * The team folder's entry, as drizzle's migrator runs it on a fresh database: every statement in one
 * transaction, on the empty copy; then rolled back, so the journey below starts from the same copy.
 */
async function runEntry(plan: Plan, entrySql: string, url: string): Promise<Finding[]> {
  const conn = await connect(url, { max: 1 });
  try {
    await conn.unsafe('BEGIN');
    const failed = await firstFailure(conn, entrySql);
    if (!failed) return [];
    const hub = plan.components[0]?.hub ?? { schema: '', name: '' };
    return [
      {
        kind: 'ddl-check',
        table: { schema: hub.schema, name: hub.name },
        columns: [],
        message:
          `On an empty copy of this database, statement ${failed.index} of the drizzle folder's migration failed: ` +
          `${failed.reason}. The statement: ${oneLine(failed.statement)}. drizzle-kit migrate would ` +
          'fail the same way on a fresh database. apply, rollback and finalize ran on the same copy, so that ' +
          'is a uuidmig bug: report it with this message.',
      },
    ];
  } finally {
    await conn.unsafe('ROLLBACK').catch(() => {});
    await conn.end({ timeout: 5 });
  }
}

/**
 * apply, rollback, apply again, finalize: the first statement that fails, as a refusal. Rollback runs on
 * the applied copy while finalize runs on a twin of it, side by side. When rollback leaves the schema
 * exactly as the copy began (pg_dump --schema-only prints the same text: tables, columns in their
 * order, keys, indexes, views, functions, sequences, types, owners, grants, comments), apply again
 * would run the same statements on the same schema as the first apply did: proven already, it is not
 * run a second time. Otherwise (or when the schema cannot be dumped, or no twin can be made), apply
 * again runs on the copy as rollback left it, then finalize, as they always did.
 */
async function journey(plan: Plan, scratch: Scratch, passes: string[]): Promise<Finding[]> {
  const settings = { hashCatalog: false, batch: true };
  const pass = async (phase: string, open: () => Promise<RunSession<unknown>>): Promise<Finding[]> => {
    passes.push(phase);
    try {
      await runSession(await open());
      return [];
    } catch (error) {
      if (!(error instanceof StepFailedError)) throw error;
      return [refusal(plan, phase, error)];
    }
  };
  const apply = (url: string) => () => openApply({ plan, databaseUrl: url, settings, onCopy: true });
  const rollback = (url: string) => () => openRollback({ plan, databaseUrl: url, settings });
  const finalize = (url: string) => () => openFinalize({ plan, databaseUrl: url, settings });
  const found = await schemaText(scratch.url);
  const applied = await pass('apply', apply(scratch.url));
  if (applied.length) return applied;
  const twin = await scratch.twin().catch(() => null);
  if (twin) {
    let results: PromiseSettledResult<Finding[]>[];
    try {
      results = await Promise.allSettled([
        pass('rollback', rollback(scratch.url)),
        pass('finalize', finalize(twin.url)),
      ]);
    } finally {
      await twin.close();
    }
    // In the order the passes would run one after the other: rollback's outcome first.
    for (const result of results) {
      if (result.status === 'rejected') throw result.reason;
      if (result.value.length) return result.value;
    }
    if (found !== null && (await schemaText(scratch.url)) === found) return [];
  } else {
    const back = await pass('rollback', rollback(scratch.url));
    if (back.length) return back;
  }
  for (const [phase, open] of [
    ['apply again', apply(scratch.url)],
    ['finalize', finalize(scratch.url)],
  ] as const) {
    const again = await pass(phase, open);
    if (again.length) return again;
  }
  return [];
}

/** The copy's schema as pg_dump prints it (uuidmig's own schema left out); null when it cannot. */
async function schemaText(url: string): Promise<string | null> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'uuidmig-ddl-schema-'));
  try {
    return await dumpSchema(url, path.join(work, 'schema.sql'));
  } catch {
    return null;
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

function refusal(plan: Plan, phase: string, error: StepFailedError): Finding {
  const { stage, step, reason } = error.failure;
  const hub = plan.components.find((c) => c.id === stage.component)?.hub ?? { schema: '', name: stage.component };
  const table = plan.catalog.tables.find((t) => displayTable(t) === step?.table) ?? hub;
  const what = step ? `step ${step.id} (${step.description})` : 'a check';
  const statement = step ? ` The statement: ${step.sql.replace(/\s+/g, ' ').trim()}.` : '';
  return {
    kind: 'ddl-check',
    table: { schema: table.schema, name: table.name },
    columns: [],
    message:
      `On an empty copy of this database, ${phase} failed at ${what} of stage ${stage.id} ${stage.name}: ` +
      `${reason.replace(/\.$/, '')}.${statement} It would fail the same way in uuidmig apply. If the object it ` +
      'names cannot hold uuid keys, change it (or the Drizzle schema) and plan again; if it is an ordinary ' +
      'object uuidmig should carry, that is a uuidmig bug: report it with this message.',
  };
}

async function embeddedScratch(versionNum: number): Promise<Scratch> {
  const database = 'uuidmig_ddl_check';
  const staging = await startEmbeddedStaging(versionNum, database);
  const server = new URL(staging.url);
  server.pathname = '/postgres';
  return {
    url: staging.url,
    where: `an embedded PostgreSQL ${staging.serverVersion}`,
    twin: () => scratchDatabase(server.toString(), 'uuidmig_ddl_twin', database),
    close: staging.close,
  };
}

/** A database of its own on the server of `url` (`--ddl-check-url`), dropped afterwards. */
async function scratchOn(url: string, planName: string): Promise<Scratch> {
  parseDatabaseUrl(url);
  // Named for the plan, so whoever sees it knows whose it is; unique, within 63 bytes.
  const prefix = `uuidmig_ddl_${slugOf(planName).slice(0, 30)}`;
  const scratch = await scratchDatabase(url, prefix).catch((error) => {
    const reason = (error as Error).message;
    throw new UsageError(`--ddl-check-url ${maskUrl(url)} cannot hold a scratch database: ${reason}.`);
  });
  const name = decodeURIComponent(new URL(scratch.url).pathname.slice(1));
  return {
    ...scratch,
    where: `a scratch database on ${new URL(scratch.url).host}`,
    twin: () => scratchDatabase(url, `${prefix.slice(0, 38)}_twin`, name),
  };
}
