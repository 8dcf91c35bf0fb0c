import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readCatalog } from '../../src/catalog/read-catalog.js';
import { readSqlFile } from '../../src/catalog/sql-files.js';
import { startEmbeddedPostgres } from '../../src/db/embedded.js';
import { writeDemoProject } from '../../src/demo/demo-project.js';
import { catalogHash } from '../../src/planner/plan-migration.js';
import type { RehearsalReport } from '../../src/rehearse/report.js';
import { runUuidmig } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { snapshotRows } from '../helpers/row-snapshot.js';
import { ensureTestServer } from '../helpers/test-servers.js';

/**
 * `uuidmig rehearse` on the demo forum: the report and its figures, the source never written, and
 * every refusal. The run's server is PostgreSQL 15, which this machine's pg_dump (15) can dump.
 */
// The machine's pg_dump is 15: under `npm run test:matrix` a newer server cannot be dumped, so the
// tests that copy the run's own server are skipped there (the refusal itself is tested below).
const SERVER = Number(process.env.UUIDMIG_TEST_PG ?? '15');
// Users' installs carry one embedded server (15): a 14 source is staged on it, the next newer.
const STAGING = Math.max(SERVER, 15);
const dumpable = SERVER <= 15;

let source: TestDatabase;
let project: string;
let out: string;

beforeAll(async () => {
  source = await createTestDatabase('rehearse_source');
  await source.sql.unsafe(readSqlFile('demo/forum').replaceAll('{{scale}}', '0.1'));
  project = writeDemoProject();
  out = fs.mkdtempSync(path.join(os.tmpdir(), 'uuidmig-rehearse-out-'));
});
afterAll(async () => {
  await source.drop();
  fs.rmSync(project, { recursive: true, force: true });
  fs.rmSync(out, { recursive: true, force: true });
});

const rehearse = (...args: string[]) =>
  runUuidmig(['rehearse', '--source-url', source.url, '--schema', 'schema.ts', '--orphans', 'null', ...args], {
    cwd: project,
  });

function readReport(stdout: string): { folder: string; report: RehearsalReport } {
  const folder = /Report: (.+)\/report\.html/.exec(stdout)![1]!;
  return { folder, report: JSON.parse(fs.readFileSync(path.join(folder, 'report.json'), 'utf8')) };
}

describe.skipIf(!dumpable)('a rehearsal of the demo forum', () => {
  test('on an embedded staging server: every figure in the report, ' +
    'verification passed, the source untouched', async () => {
    const catalog = await readCatalog(source.sql);
    const rowsBefore = await snapshotRows(source.sql, catalog);
    const r = await rehearse('--out', out, '--jobs', '2');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(
        /^Total: \d+\.\d\d s \(apply \d+\.\d\d s, verify \d+\.\d\d s, copy \d+\.\d\d s\)\.\n/.source +
          /Longest lock: \S+ held ACCESS EXCLUSIVE for \d+\.\d\d s \(stage 000\d \w+\)\.\n/.source +
          /Verification: passed; every row kept its parent\.\n/.source +
          /Plan warnings: 1, which this rehearsal does not settle \(.*\): read them before apply\.\n/.source +
          // Staging on another major (14 rehearsed on 15) restores to another size: then the times are scaled.
          (STAGING === SERVER ? /Staging holds a full copy of the source/ : /(Staging holds|Estimate for)/).source,
      ),
    );
    expect(r.stderr).toContain(`to an embedded PostgreSQL ${STAGING}.`);
    const { folder, report } = readReport(r.stdout);
    expect(fs.readdirSync(folder).sort()).toEqual(['report.html', 'report.json', 'report.md']);
    expect(report).toMatchObject({
      format: 'uuidmig-rehearsal',
      version: 1,
      source: { database: source.name, serverVersion: expect.stringMatching(new RegExp(`^${SERVER}\\.`)) },
      staging: { kind: 'embedded' },
      copy: { jobs: 2 },
      plan: { conversions: 6, references: 15, stages: 2 },
      verification: { ok: true },
      headline: { verification: 'passed' },
    });
    expect(report.source.server).not.toMatch(/:[0-9a-f]{24}@/); // the password is masked
    for (const figure of [
      report.source.sizeBytes,
      report.staging.sizeBeforeBytes,
      report.staging.sizeAfterBytes,
      report.copy.dumpMs + report.copy.restoreMs,
      report.timings.applyMs,
      report.timings.totalMs,
    ]) {
      expect(figure).toBeGreaterThan(0);
    }
    expect(report.stages.map((s) => s.name)).toEqual(['rewrite_users', 'validate_users']);
    expect(report.stages.every((s) => s.steps.length > 0)).toBe(true);
    // The rewrite holds its transaction; the validate after it runs each statement on its own.
    expect(report.stages.map((s) => s.transactionMs > 0)).toEqual([true, false]);
    expect(report.locks.map((l) => l.table)).toEqual(expect.arrayContaining(['public.users', 'public.posts']));
    expect(report.locks.every((l) => l.ms > 0)).toBe(true);
    expect(report.fills.find((f) => f.description.startsWith('rewrite posts once'))).toMatchObject({
      rows: 5000,
      rowsPerSecond: expect.any(Number),
    });
    expect(report.verification.differences.every((d) => d.differs.length === 0)).toBe(true);
    // The plan's warning travels with the report: a passing rehearsal does not settle it.
    expect(report.warnings).toHaveLength(1);
    expect(fs.readFileSync(path.join(folder, 'report.md'), 'utf8')).toContain(
      `## Plan warnings\n\n- ${report.warnings[0]!.message}`,
    );
    expect(fs.readFileSync(path.join(folder, 'report.md'), 'utf8')).toContain(
      '## Longest ACCESS EXCLUSIVE lock per table',
    );
    await expectHtmlRendersInChromium(path.join(folder, 'report.html'), report);
    // The source was only read.
    expect(Object.fromEntries(await snapshotRows(source.sql, catalog))).toEqual(Object.fromEntries(rowsBefore));
    expect(catalogHash(await readCatalog(source.sql))).toBe(catalogHash(catalog));
    expect((await source.sql`SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = 'uuidmig'`)[0]!.n).toBe(0);
  }, 120_000);

  test('--strategy online: the report shows each stage and every ACCESS EXCLUSIVE hold, each short', async () => {
    const staging = await createTestDatabase('rehearse_online');
    try {
      const r = await rehearse('--staging-url', staging.url, '--strategy', 'online', '--out', out);
      expect(r.code, r.stderr).toBe(0);
      const { report } = readReport(r.stdout);
      expect(report.verification.ok).toBe(true);
      expect(report.stages.map((s) => s.name.split('_')[0])).toEqual(['expand', 'backfill', 'build', 'swap']);
      // The holds are the expand's and the swap's short transactions, and the build's single statements
      // that take ACCESS EXCLUSIVE for a moment (dropping an INVALID index, if an earlier build left one).
      const holds = report.holds.map((h) => h.stage.split(' ')[1]!.split('_')[0]);
      expect(new Set(holds)).toEqual(new Set(['expand', 'build', 'swap']));
      expect(report.holds.filter((h) => h.stage.includes('build')).every((h) => h.ms < 1000)).toBe(true);
      const swap = report.stages.find((s) => s.name.startsWith('swap'))!;
      expect(report.holds.filter((h) => h.stage.includes('swap')).every((h) => h.ms <= swap.transactionMs)).toBe(true);
    } finally {
      await staging.drop();
    }
  }, 120_000);

  test('on a staging database given by URL; a non-empty one needs --force', async () => {
    const staging = await createTestDatabase('rehearse_staging');
    try {
      await staging.sql`CREATE TABLE leftover (id int)`;
      const refused = await rehearse('--staging-url', staging.url, '--out', out);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toBe(
        `uuidmig: The staging database ${staging.name} already holds 1 table(s) or view(s); ` +
          'pass --force to replace its contents, or give an empty database.\n',
      );
      const r = await rehearse('--staging-url', staging.url, '--force', '--out', out);
      expect(r.code, r.stderr).toBe(0);
      expect(readReport(r.stdout).report).toMatchObject({ staging: { kind: 'server' }, verification: { ok: true } });
      expect((await staging.sql`SELECT to_regclass('leftover') IS NULL AS gone`)[0]!.gone).toBe(true);
      expect((await staging.sql`SELECT status FROM uuidmig.plans`)[0]!.status).toBe('applied');
    } finally {
      await staging.drop();
    }
  }, 120_000);
});

const CHROMIUM = '/usr/bin/chromium';

/**
 * Open report.html in a real headless Chromium (Debian's package; .ci/run installs it): no page or
 * console errors, and the headline and the timeline's lock bars are there.
 */
async function expectHtmlRendersInChromium(file: string, report: RehearsalReport): Promise<void> {
  if (!fs.existsSync(CHROMIUM)) {
    console.warn(`report.html not rendered: ${CHROMIUM} is missing (apt-get install chromium); .ci/run installs it.`);
    return;
  }
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  try {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    page.on('request', (r) => !r.url().startsWith('file:') && errors.push(`external request ${r.url()}`));
    await page.goto(`file://${file}`);
    expect(errors).toEqual([]);
    expect(await page.textContent('#verification')).toBe('passed');
    expect(await page.textContent('#longest-lock')).toBe(`${(report.headline.longestLock!.ms / 1000).toFixed(2)} s`);
    expect(await page.locator('#timeline .bar').count()).toBe(report.holds.length);
    expect(await page.locator('#timeline .band').count()).toBe(report.stages.length);
    const box = await page.locator('#timeline .bar').first().boundingBox();
    expect(box!.width).toBeGreaterThan(0);
  } finally {
    await browser.close();
  }
}

describe('refusals, before anything is copied', () => {
  test.skipIf(!dumpable)('staging that is the source', async () => {
    const r = await rehearse('--staging-url', source.url);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      new RegExp(
        /^uuidmig: The staging URL postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/\S+ is the source database itself; /
          .source + /a rehearsal never writes to the source, so give another database\.\n$/.source,
      ),
    );
  });

  test('a pg_dump older than the source server names both versions', async () => {
    const newer = await startEmbeddedPostgres({ binariesPackage: ensureTestServer(17) });
    try {
      const r = await runUuidmig(['rehearse', '--source-url', newer.url, '--schema', 'schema.ts'], { cwd: project });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(
        new RegExp(
          /^uuidmig: pg_dump 15\.\d+ is older than the source server \(PostgreSQL 17\.\d+\) and cannot dump it; /
            .source +
            /install PostgreSQL 17's client tools /.source +
            /\(for example postgresql-client-17 from the PostgreSQL apt repository\) and put them first on PATH\.\n$/
              .source,
        ),
      );
    } finally {
      await newer.stop();
    }
  }, 60_000);

  test('no pg_dump at all', async () => {
    const r = await runUuidmig(['rehearse', '--source-url', source.url, '--schema', 'schema.ts'], {
      cwd: project,
      env: { PATH: '/nonexistent' },
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      "uuidmig: pg_dump was not found on PATH; install PostgreSQL's client tools " +
        '(Debian: apt-get install postgresql-client) so uuidmig rehearse can copy the source.\n',
    );
  });

  test('no source URL', async () => {
    const r = await runUuidmig(['rehearse', '--schema', 'schema.ts'], { cwd: project });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe('uuidmig: uuidmig rehearse needs --source-url, the database to copy.\n');
  });
});
