import postgres from 'postgres';
import { type PlanOptions, type PlanResult, plan as planApi } from '../../src/api/plan.js';
import { sealPlan } from '../../src/planner/seal.js';
import { checkClientTools } from '../../src/rehearse/client-tools.js';
import { adminUrl } from './database.js';

/**
 * Whether the installed pg_dump can dump the test server. The matrix (npm run test:matrix) runs on
 * servers newer than Debian's pg_dump 15: there the DDL check cannot run (ddl-check.test.ts and the
 * default run on 15 prove it), and the planner's other output must still match its golden files.
 */
let dumpable: Promise<boolean> | undefined;
function canDumpTestServer(): Promise<boolean> {
  dumpable ??= (async () => {
    const sql = postgres(adminUrl(), { max: 1, onnotice: () => {} });
    try {
      const [row] = await sql<{ n: number; v: string }[]>`
        SELECT current_setting('server_version_num')::int AS n, current_setting('server_version') AS v`;
      checkClientTools(row!.n, row!.v);
      return true;
    } catch {
      return false;
    } finally {
      await sql.end();
    }
  })();
  return dumpable;
}

/**
 * `plan()` as the tests call it: its DDL check runs in a scratch database on the test server (a second
 * or so) rather than on an embedded server of its own; every plan a test makes is proven so, wherever
 * pg_dump can dump the server.
 */
export async function plan(options: PlanOptions): Promise<PlanResult> {
  if (await canDumpTestServer()) return planApi({ ddlCheckUrl: adminUrl(), ...options });
  const result = await planApi({ skipDdlCheck: true, ...options });
  const warnings = result.plan.warnings.filter((w) => w.kind !== 'ddl-check-skipped');
  return { ...result, plan: sealPlan({ ...result.plan, warnings }) };
}
