import fs from 'node:fs';
import path from 'node:path';
import postgres from 'postgres';
import { plan } from '../api/plan.js';
import { readSqlFile } from '../catalog/sql-files.js';
import { startEmbeddedPostgres } from '../db/embedded.js';
import { openApply } from '../executor/apply.js';
import { dryRunApply } from '../executor/dry-run.js';
import { openRollback } from '../executor/rollback.js';
import { type RunSession, runSession } from '../executor/session.js';
import type { StageTiming } from '../executor/timing-schema.js';
import { LOCK_LEVELS } from '../planner/plan-schema.js';
import { statementProgress } from '../render/statement-progress.js';
import { renderVerifyReport } from '../render/verify-report.js';
import { verify } from '../verify/verify.js';
import { writeDemoProject } from './demo-project.js';

export interface DemoOptions {
  /** Row multiplier: 1 is about 100,000 rows. */
  scale: number;
  /** Leave the server running and the files in place. */
  keep: boolean;
  say: (text: string) => void;
  /** Progress while something long runs (stderr): the rows being loaded, a statement past its first second. */
  note?: (text: string) => void;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function timed<T>(work: () => Promise<T>): Promise<[T, number]> {
  const t0 = Date.now();
  const result = await work();
  return [result, Date.now() - t0];
}

/**
 * `uuidmig demo`: the whole journey on an embedded PostgreSQL: a forum on integer keys, its uuid
 * Drizzle schema, plan (orphans first refused, then kept aside), dry run, apply, verify, rollback,
 * verify, apply, verify; with the time of each stage. Returns whether every verification passed.
 */
export async function runDemo(options: DemoOptions): Promise<boolean> {
  const { say } = options;
  const note = options.note ?? (() => {});
  const server = await startEmbeddedPostgres({ keep: options.keep });
  const project = writeDemoProject();
  let ok = true;
  try {
    say(`Started an embedded PostgreSQL ${server.version.replace(/-.*/, '')} on 127.0.0.1:${server.port}.`);
    const admin = postgres(server.url, { max: 1, onnotice: () => {} });
    await admin`CREATE DATABASE forum_demo`;
    await admin.end();
    const url = server.urlFor('forum_demo');
    note(`loading the forum (scale ${options.scale}, about ${Math.round(options.scale * 100_000)} rows) ...`);
    const [, loadMs] = await timed(async () => {
      const sql = postgres(url, { max: 1, onnotice: () => {} });
      await sql.unsafe(readSqlFile('demo/forum').replaceAll('{{scale}}', String(options.scale)));
      const [rows] = await sql`SELECT sum(n_live_tup)::bigint AS n, count(*)::int AS tables FROM pg_stat_user_tables`;
      say(`Created database forum_demo: ${rows!.tables} tables with integer keys, ${rows!.n} rows.`);
      await sql.end();
    });
    say(`  (${seconds(loadMs)}) The target Drizzle schema, with uuid keys, is ${path.join(project, 'schema.ts')}.\n`);

    const schema = path.join(project, 'schema.ts');
    say('1. uuidmig plan: find every integer reference to a key that becomes uuid.');
    // The demo's own server holds the scratch database plan proves its statements in.
    const ddlCheckUrl = server.url;
    const refused = await plan({ schema, databaseUrl: url, cwd: project, out: project, ddlCheckUrl });
    say(
      `   ${refused.plan.conversions.length} key conversions, ${refused.plan.references.length} references; ` +
        `refused with --orphans fail:`,
    );
    for (const b of refused.blockers) say(`   - ${b.message}`);
    const [made, planMs] = await timed(() =>
      plan({ schema, databaseUrl: url, cwd: project, out: project, orphans: 'null', ddlCheckUrl }),
    );
    say(
      `   With --orphans null (orphans set to NULL, their old value kept in <column>_legacy): plan written in ` +
        `${seconds(planMs)}:`,
    );
    say(`   ${path.relative(project, made.planFile!)} and ${path.relative(project, made.migrationsFolder!)}/\n`);

    say('2. uuidmig apply --dry-run: every statement and its lock; nothing changes.');
    const dry = await dryRunApply(made.planFile!, url);
    const locks = new Map<string, number>();
    for (const s of dry.plan.stages) for (const st of s.steps) locks.set(st.lock, (locks.get(st.lock) ?? 0) + 1);
    say(`   ${dry.verdict}`);
    say(
      `   ${LOCK_LEVELS.filter((l) => locks.has(l))
        .map((l) => `${locks.get(l)} x ${l}`)
        .join(', ')}\n`,
    );

    // The stages as every command shows them: `stage 0000 rewrite_users (1/1): 1.18 s`.
    const shown = async <R extends { stages: StageTiming[] }>(session: RunSession<R>) => {
      const labels = new Map(session.stages.map((s) => [s.id, session.label(s)]));
      const report = await runSession(session, { onStatement: statementProgress(note, 5000) });
      return { report, times: report.stages.map((s) => `${labels.get(s.stageId)}: ${seconds(s.ms)}`).join(', ') };
    };
    const applyText = async () => {
      const { report, times } = await shown(await openApply({ plan: made.planFile!, databaseUrl: url }));
      return {
        ok: report.differences.every((d) => !d.differs.length),
        text: `   ${times}; verify-before and verify-after taken`,
      };
    };
    const journey: [string, () => Promise<{ ok: boolean; text: string }>][] = [
      ['3. uuidmig apply', applyText],
      ['4. uuidmig verify', async () => verifyText(made.planFile!, url, true)],
      [
        '5. uuidmig rollback',
        async () => {
          const { report, times } = await shown(await openRollback({ plan: made.planFile!, databaseUrl: url }));
          return { ok: report.ok, text: `   integer keys again, row for row: ${times}` };
        },
      ],
      ['6. uuidmig verify', async () => verifyText(made.planFile!, url, false)],
      ['7. uuidmig apply (again)', applyText],
      ['8. uuidmig verify', async () => verifyText(made.planFile!, url, false)],
    ];
    for (const [title, step] of journey) {
      const [result, ms] = await timed(step);
      ok &&= result.ok;
      say(`${title} (${seconds(ms)}): ${result.ok ? 'ok' : 'DIFFERENCES'}`);
      say(result.text);
    }
    say(
      ok
        ? '\nEvery row kept its parent through apply, rollback and apply again.'
        : '\nVerification found differences (above).',
    );
    if (options.keep) {
      say(
        `\nKept for exploring: DATABASE_URL=${url}\n  project: ${project}\n  data: ${server.dataDir}\n  stop the ` +
          `server with: kill ${server.pid}`,
      );
    }
    return ok;
  } finally {
    if (!options.keep) {
      await server.stop();
      fs.rmSync(project, { recursive: true, force: true });
    }
  }
}

async function verifyText(planFile: string, url: string, table: boolean): Promise<{ ok: boolean; text: string }> {
  const r = await verify({ plan: planFile, databaseUrl: url });
  const references = r.differences.filter((d) => d.kind === 'reference');
  const orphans = references.reduce((n, d) => n + (d.now?.orphans ?? 0), 0);
  const lines = table
    ? `${renderVerifyReport('', r.differences)
        .split('\n')
        .filter((l) => l.startsWith('  ') && !l.startsWith('  table '))
        .join('\n')}\n`
    : '';
  return {
    ok: r.ok,
    text:
      `${lines}   ${references.length} fingerprints and ${r.differences.length - references.length} row counts ` +
      `match; ${orphans} orphans before and now (plan ${r.status})`,
  };
}
