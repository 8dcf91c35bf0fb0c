import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { plan as makePlan } from '../api/plan.js';
import { type InputOptions, resolveInputs } from '../api/resolve-inputs.js';
import { connect, parseDatabaseUrl, type Sql, withDatabaseErrors } from '../db/connect.js';
import { maskUrl } from '../db/mask.js';
import { BlockedError } from '../errors.js';
import { openApply } from '../executor/apply.js';
import { loadPlan } from '../executor/load-plan.js';
import type { StageTiming } from '../executor/run-stage.js';
import { displayTable } from '../model/types.js';
import { timestamp } from '../planner/plan-migration.js';
import type { OrphanPolicy, Plan, Strategy } from '../planner/plan-schema.js';
import { batchProgress } from '../render/batch-progress.js';
import { statementProgress } from '../render/statement-progress.js';
import { verify } from '../verify/verify.js';
import { checkClientTools } from './client-tools.js';
import { copyDatabase } from './copy-database.js';
import { renderHtml } from './render-html.js';
import { renderMarkdown } from './render-markdown.js';
import { measure, type RehearsalReport, seconds } from './report.js';
import { copyRoles, type Staging, startEmbeddedStaging, useStagingServer } from './staging.js';

export interface RehearseOptions extends InputOptions {
  sourceUrl: string;
  stagingUrl?: string;
  /** A plan made for the source; else one is made on staging from the Drizzle schema. */
  plan?: string;
  force?: boolean;
  jobs?: number;
  orphans?: OrphanPolicy;
  legacyColumn?: string | string[];
  /** The strategy to plan on staging with (rewrite, update or online). */
  strategy?: Strategy;
  /** Folder that receives rehearsals/<timestamp>/ (default: the current folder). */
  out?: string;
  say?: (line: string) => void;
  now?: Date;
}

export interface RehearseResult {
  report: RehearsalReport;
  folder: string;
}

const sizeOf = async (sql: Sql) =>
  Number((await sql<{ n: string }[]>`SELECT pg_database_size(current_database())::text AS n`)[0]!.n);

/**
 * `uuidmig rehearse`: copy the source (read-only) to staging, then plan, apply and verify there,
 * measuring every stage and statement, and write the report. The source is never written to.
 */
export async function rehearse(options: RehearseOptions): Promise<RehearseResult> {
  const say = options.say ?? (() => {});
  const sourceUrl = parseDatabaseUrl(options.sourceUrl).toString();
  if (options.stagingUrl) parseDatabaseUrl(options.stagingUrl);
  const planFile = options.plan ? loadPlan(options.plan) : null;
  const inputs = planFile ? null : await resolveInputs({ ...options, databaseUrl: sourceUrl });
  const source = await connect(sourceUrl, { max: 1, readOnly: true, applicationName: 'uuidmig rehearse (read-only)' });
  let staging: Staging | null = null;
  const started = Date.now();
  const now = options.now ?? new Date();
  const folder = path.resolve(options.out ?? '.', 'rehearsals', timestamp(now));
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'uuidmig-rehearse-'));
  try {
    const [server] = await withDatabaseErrors(
      sourceUrl,
      () => source<{ v: string; n: number; db: string }[]>`SELECT current_setting('server_version') AS v,
      current_setting('server_version_num')::int AS n, current_database() AS db`,
    );
    const tools = checkClientTools(server!.n, server!.v);
    staging = options.stagingUrl
      ? await withDatabaseErrors(options.stagingUrl, () =>
          useStagingServer(options.stagingUrl!, source, options.force ?? false),
        )
      : await startEmbeddedStaging(server!.n, server!.db);
    say(
      `Copying ${server!.db} (PostgreSQL ${server!.v}) to ` +
        `${staging.kind === 'embedded' ? `an embedded PostgreSQL ${staging.serverVersion}` : maskUrl(staging.url)} ` +
        `with pg_dump ${tools.pgDumpVersion}.`,
    );
    const sourceSize = await sizeOf(source);
    await withDatabaseErrors(sourceUrl, () => copyRoles(source, staging!.url));
    const copy = await copyDatabase(sourceUrl, staging.url, path.join(work, 'source.dump'), options.jobs ?? 1);
    const stagingSql = await connect(staging.url, { max: 1 });
    const sizeBefore = await sizeOf(stagingSql);
    const next = planFile ? 'Applying the plan on staging.' : 'Planning and applying on staging.';
    say(`Copied in ${((copy.dumpMs + copy.restoreMs) / 1000).toFixed(2)} s. ${next}`);

    const thePlan: Plan = planFile ?? (await planOnStaging(staging.url, inputs!, options, work));
    const session = await openApply({ plan: thePlan, databaseUrl: staging.url });
    const timings: { stage: StageTiming; startMs: number }[] = [];
    let verifyBeforeMs = 0;
    let applyMs = 0;
    let verifyAfterMs = 0;
    let tableRows = new Map<string, number>();
    try {
      const t0 = Date.now();
      await session.before?.run();
      verifyBeforeMs = Date.now() - t0;
      const applyStart = Date.now();
      for (const stage of session.stages) {
        const startMs = Date.now() - applyStart;
        const hooks = { onStatement: statementProgress(say, 5000), onBatch: batchProgress(say) };
        timings.push({ stage: await session.runStage(stage, hooks), startMs });
        say(`${session.label(stage)}: ${seconds(timings.at(-1)!.stage.ms)}`);
      }
      applyMs = Date.now() - applyStart;
      const t1 = Date.now();
      const applied = await session.after.run();
      tableRows = new Map(applied.before.filter((c) => c.kind === 'table').map((c) => [c.name, c.rows]));
      verifyAfterMs = Date.now() - t1;
    } finally {
      await session.close();
    }
    const checked = await verify({ plan: thePlan, databaseUrl: staging.url });
    const sizeAfter = await sizeOf(stagingSql);
    await stagingSql.end({ timeout: 5 });
    const measured = measure(thePlan, timings, tableRows);
    const ratio = sizeBefore > 0 ? sourceSize / sizeBefore : 1;
    const report: RehearsalReport = {
      format: 'uuidmig-rehearsal',
      version: 1,
      createdAt: now.toISOString(),
      source: {
        server: maskUrl(sourceUrl).replace(/\/[^/]*$/, ''),
        database: server!.db,
        serverVersion: server!.v,
        sizeBytes: sourceSize,
      },
      staging: {
        kind: staging.kind,
        server: maskUrl(staging.url).replace(/\/[^/]*$/, ''),
        serverVersion: staging.serverVersion,
        sizeBeforeBytes: sizeBefore,
        sizeAfterBytes: sizeAfter,
      },
      pgDump: tools.pgDumpVersion,
      copy: { ...copy, jobs: options.jobs ?? 1 },
      plan: {
        id: thePlan.id,
        conversions: thePlan.conversions.length,
        references: thePlan.references.length,
        stages: thePlan.stages.length,
        statements: thePlan.stages.reduce((n, s) => n + s.steps.length, 0),
      },
      timings: { verifyBeforeMs, applyMs, verifyAfterMs, totalMs: Date.now() - started },
      ...measured,
      verification: { ok: checked.ok, differences: checked.differences },
      warnings: thePlan.warnings.map((w) => ({
        kind: w.kind,
        table: w.table.name ? displayTable(w.table) : '',
        message: w.message,
      })),
      estimate: ratio > 1.1 ? { ratio, applyMs: Math.round(applyMs * ratio) } : null,
      headline: {
        totalMs: Date.now() - started,
        longestLock: measured.locks[0] ?? null,
        verification: checked.ok ? 'passed' : 'failed',
      },
    };
    writeReport(report, folder);
    return { report, folder };
  } finally {
    await source.end({ timeout: 5 });
    await staging?.close();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

async function planOnStaging(
  stagingUrl: string,
  inputs: NonNullable<Awaited<ReturnType<typeof resolveInputs>>>,
  options: RehearseOptions,
  work: string,
): Promise<Plan> {
  // The rehearsal runs every statement on the full copy anyway: no empty copy of the empty copy.
  const made = await makePlan({
    skipDdlCheck: true,
    schema: inputs.schema,
    databaseUrl: stagingUrl,
    cwd: options.cwd,
    out: work,
    orphans: options.orphans,
    legacyColumn: options.legacyColumn,
    ...(options.strategy ? { strategy: options.strategy } : {}),
    now: options.now,
  });
  if (made.blockers.length) {
    throw new BlockedError(
      `The plan is blocked on the staging copy by ${made.blockers.length} problem(s): ` +
        `${made.blockers.map((b) => b.message).join(' ')}`,
    );
  }
  return made.plan;
}

function writeReport(report: RehearsalReport, folder: string): void {
  fs.mkdirSync(folder, { recursive: true });
  fs.writeFileSync(path.join(folder, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  fs.writeFileSync(path.join(folder, 'report.md'), renderMarkdown(report));
  fs.writeFileSync(path.join(folder, 'report.html'), renderHtml(report));
}
