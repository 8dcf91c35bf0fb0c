import path from 'node:path';
import { readCatalog } from '../catalog/read-catalog.js';
import { connect, parseDatabaseUrl } from '../db/connect.js';
import { UsageError } from '../errors.js';
import { findWork } from '../model/find-work.js';
import { displayColumn, displayTable, tableKey } from '../model/types.js';
import type { Finding, Work } from '../model/work.js';
import { type OrphanPolicy, type Plan } from '../planner/plan-schema.js';
import { planMigration } from '../planner/plan-migration.js';
import { checkLegacyKeys } from '../preflight/legacy-keys.js';
import { countOrphans, type OrphanCount } from '../preflight/orphans.js';
import { writeMigrations } from '../render/migrations.js';
import { writePlanFile } from '../render/plan-file.js';
import { loadDrizzleSchema } from '../schema/load-schema.js';
import { resolveInputs, type InputOptions } from './resolve-inputs.js';

export interface PlanOptions extends InputOptions {
  legacyColumn?: string;
  orphans?: OrphanPolicy;
  /** Folder that receives plans/ and migrations/ (default: the current folder). */
  out?: string;
  name?: string;
  /** Write the plan and its migrations when nothing blocks (default true). */
  write?: boolean;
  now?: Date;
}

export interface PlanResult {
  plan: Plan;
  blockers: Finding[];
  planFile: string | null;
  migrationsFolder: string | null;
}

const NAME = /^[A-Za-z0-9_-]{1,60}$/;

/** `uuidmig plan` as a library call: read both sides, find the work, check it, write the plan. */
export async function plan(options: PlanOptions = {}): Promise<PlanResult> {
  const legacyColumn = options.legacyColumn ?? 'legacy_id';
  const orphanPolicy = options.orphans ?? 'fail';
  const name = options.name ?? 'uuid_keys';
  if (!NAME.test(name)) throw new UsageError(`The plan name "${name}" may only hold letters, digits, _ and - (at most 60).`);
  if (!['fail', 'null', 'keep'].includes(orphanPolicy)) throw new UsageError(`--orphans must be fail, null or keep, not "${orphanPolicy}".`);
  const inputs = await resolveInputs(options);
  parseDatabaseUrl(inputs.databaseUrl);
  const schema = await loadDrizzleSchema(inputs.schema, options.cwd);
  const sql = await connect(inputs.databaseUrl);
  try {
    const catalog = await readCatalog(sql, { schemas: inputs.schemaFilter });
    const work = findWork(catalog, schema, { legacyColumn });
    const orphans = await countOrphans(sql, work.references);
    const blockers = [...work.blockers, ...(await checkLegacyKeys(sql, work.references, legacyColumn)), ...orphanBlockers(work, orphans, orphanPolicy, catalog.tables)];
    const result = planMigration({ catalog, schema, work, orphans, options: { legacyColumn, orphans: orphanPolicy, name }, now: options.now ?? new Date() });
    const hasWork = result.stages.length > 0;
    if (blockers.length || !hasWork || options.write === false) return { plan: result, blockers, planFile: null, migrationsFolder: null };
    const out = path.resolve(options.cwd ?? process.cwd(), options.out ?? '.');
    const planFile = writePlanFile(result, path.join(out, 'plans'));
    const migrationsFolder = writeMigrations(result, path.join(out, 'migrations', result.id)).folder;
    return { plan: result, blockers, planFile, migrationsFolder };
  } finally {
    await sql.end({ timeout: 5 });
  }
}

function orphanBlockers(work: Work, counts: OrphanCount[], policy: OrphanPolicy, tables: { schema: string; name: string; columns: { name: string; notNull: boolean }[] }[]): Finding[] {
  const findings: Finding[] = [];
  const byId = new Map(counts.map((c) => [c.reference, c.orphans]));
  for (const ref of work.references) {
    const n = byId.get(ref.id) ?? 0;
    if (n === 0) continue;
    if (policy === 'fail') {
      findings.push({ kind: 'orphans', table: ref.child, columns: ref.convertColumns,
        message: `${ref.id}: ${n} row(s) point at no ${displayTable(ref.parent)} row; fix them, or pass --orphans null (set to NULL, old value kept in ${ref.convertColumns[0]}_legacy) or --orphans keep.` });
      continue;
    }
    const child = tables.find((t) => tableKey(t) === tableKey(ref.child));
    const notNull = ref.convertColumns.filter((c) => child?.columns.find((col) => col.name === c)?.notNull);
    if (notNull.length) {
      findings.push({ kind: 'orphans-not-null', table: ref.child, columns: notNull,
        message: `${displayColumn(ref.child, notNull)} is NOT NULL and ${n} row(s) have no parent, so --orphans ${policy} cannot set them to NULL; fix those rows first.` });
    }
  }
  return findings;
}
