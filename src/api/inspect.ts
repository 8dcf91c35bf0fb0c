import { readCatalog } from '../catalog/read-catalog.js';
import type { Sql } from '../db/connect.js';
import { findWork } from '../model/find-work.js';
import { likelyReferences } from '../model/likely-references.js';
import { type DrizzleSchemaModel, type TableRef, tableKey } from '../model/types.js';
import type { Finding } from '../model/work.js';
import { onlineBlockers } from '../planner/online/online-blockers.js';
import { changesOf, type PlanInput, planMigration } from '../planner/plan-migration.js';
import type { OrphanPolicy, Plan, Strategy } from '../planner/plan-schema.js';
import { checkLegacyKeys } from '../preflight/legacy-keys.js';
import { likelyReferenceWarnings } from '../preflight/likely-references.js';
import { orphanBlockers } from '../preflight/orphan-policy.js';
import { countOrphans } from '../preflight/orphans.js';
import { partlySetBlockers } from '../preflight/partial-references.js';
import { unfinishedPlans } from '../preflight/unfinished-plans.js';
import { probeUuidRebuilds } from '../preflight/uuid-probe.js';
import { resolveLegacySpecs } from './legacy-specs.js';
import { resolveNotReferences, resolveReferenceSpecs } from './reference-specs.js';

export interface InspectSettings {
  fireTriggers: boolean;
  strategy: Strategy;
  batchSize?: number | undefined;
  /** --legacy-column values: `legacy_id`, `posts=old_id`. */
  legacyColumn: string[];
  /** --reference values: `forums.last_post_id=posts.id`. */
  reference: string[];
  /** --not-a-reference values: `orders.external_id`. */
  notAReference: string[];
  orphans: OrphanPolicy;
  name: string;
  schemaFilter: string[];
  /** drizzle's migrations table: read as if absent, and named in the plan (its bookkeeping, not its state). */
  drizzleMigrations?: TableRef;
  now: Date;
}

/**
 * Read the catalog, find the work, run the read-only preflight (orphans, mappings, references nothing
 * declares, objects that cannot hold on uuid), and plan. Reads only. The planner's input comes back too:
 * the same input planned with another strategy (the team folder's entry) is another pure call.
 */
export async function inspect(
  sql: Sql,
  schema: DrizzleSchemaModel,
  s: InspectSettings,
): Promise<{ plan: Plan; blockers: Finding[]; input: PlanInput }> {
  const without = s.drizzleMigrations ? [s.drizzleMigrations] : [];
  const catalog = await readCatalog(sql, { schemas: s.schemaFilter, without });
  const legacy = resolveLegacySpecs(s.legacyColumn, catalog);
  const given = resolveReferenceSpecs(s.reference, catalog);
  const settled = [...resolveNotReferences(s.notAReference, catalog), ...given.map((g) => g.child)];
  const work = findWork(catalog, schema, {
    legacyColumn: legacy.default,
    legacyColumns: legacy.perTable,
    references: given,
  });
  // What nothing declares but the data says: listed first, it is what would be lost silently.
  work.warnings.unshift(...(await likelyReferenceWarnings(sql, catalog, likelyReferences(catalog, work, settled))));
  // A parent whose mapping is lost has nothing to join through: it is already a blocker.
  const lost = new Set(work.blockers.filter((b) => b.kind === 'lost-mapping').map((b) => tableKey(b.table)));
  const orphans = await countOrphans(
    sql,
    work.references.filter((r) => !lost.has(tableKey(r.parent))),
  );
  const blockers = [
    ...(await unfinishedPlans(sql)),
    ...work.blockers,
    ...(await checkLegacyKeys(sql, work.references, lost)),
    ...orphanBlockers(work.references, orphans, s.orphans, catalog.tables, contradicted(work.warnings)),
    ...(await partlySetBlockers(
      sql,
      work.references.filter((r) => !lost.has(tableKey(r.parent))),
      catalog.tables,
    )),
  ];
  const options = {
    legacyColumn: legacy.default,
    legacyColumns: legacy.perTable,
    orphans: s.orphans,
    name: s.name,
    fireTriggers: s.fireTriggers,
    strategy: s.strategy,
    batchSize: s.batchSize,
  };
  const input = {
    ...{ catalog, schema, work, orphans, options, now: s.now },
    ...{ drizzleMigrations: s.drizzleMigrations, schemaFilter: s.schemaFilter },
  };
  if (s.strategy === 'online') {
    const online = changesOf(input).flatMap(onlineBlockers);
    if (online.length) blockers.push(...online);
  }
  const plan = planMigration(input);
  // The probes need temporary tables; without TEMP the DDL check (elsewhere) still tries every statement.
  const [{ temp }] = (await sql`SELECT has_database_privilege(current_database(), 'TEMP') AS temp`) as unknown as [
    { temp: boolean },
  ];
  if (temp) blockers.push(...(await probeUuidRebuilds(sql, plan)));
  else plan.warnings.push(noTempWarning);
  return { plan, blockers, input };
}

/** The references a conflicting-reference warning names: the database's foreign key says otherwise. */
const contradicted = (warnings: Finding[]): Set<string> =>
  new Set(warnings.filter((w) => w.kind === 'conflicting-reference' && w.reference).map((w) => w.reference!));

const noTempWarning: Finding = {
  kind: 'no-temp-privilege',
  table: { schema: '', name: '' },
  columns: [],
  message:
    'This database user may not create temporary tables (TEMP), so plan did not try the rebuilt checks, indexes ' +
    'and policies on a uuid copy here (the DDL check still runs every statement); apply needs TEMP for its ' +
    'rewrite: grant it, or apply as a user who has it.',
};
