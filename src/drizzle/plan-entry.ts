import path from 'node:path';
import type { Sql } from '../db/connect.js';
import { columnSpec } from '../model/specs.js';
import { displayColumn } from '../model/types.js';
import type { Finding } from '../model/work.js';
import { type PlanInput, planMigration } from '../planner/plan-migration.js';
import type { Plan } from '../planner/plan-schema.js';
import type { DrizzleConfig } from '../schema/load-config.js';
import type { ImportedSchema } from '../schema/load-schema.js';
import type { TeamFolder } from './folder.js';
import { migrationsOf, recordedMigrations } from './record.js';
import { ownUnrecordedEntry, type PreparedEntry, pendingEntries, prepareEntry } from './team-entry.js';

export interface EntryForPlan {
  prepared: PreparedEntry;
  /** Team migrations this database has not run: uuidmig's entry after them would make drizzle skip them. */
  blockers: Finding[];
}

/**
 * The entry a plan appends to the team's folder, made from the same input the plan was made from,
 * planned with the rewrite strategy (every statement in one transaction, which is how drizzle's
 * migrator runs it). Reads the database's migrations table: a team entry it has not run yet blocks the
 * plan (once uuidmig apply records its entry, drizzle-kit migrate would skip the older one for good).
 */
export async function entryForPlan(
  sql: Sql,
  team: TeamFolder,
  plan: Plan,
  input: PlanInput,
  imported: ImportedSchema,
  config: DrizzleConfig | null,
  now: Date,
): Promise<EntryForPlan> {
  const migrations = migrationsOf(config);
  const table = { migrationsSchema: migrations.schema, migrationsTable: migrations.table };
  const recorded = await recordedMigrations(sql, table);
  const replaced = ownUnrecordedEntry(team, recorded ?? []);
  // A database without the table was made some other way (push): nothing in the folder is pending for it.
  const pending = recorded ? pendingEntries(team, recorded, replaced).map((e) => e.tag) : [];
  const blockers: Finding[] = pending.length
    ? [
        {
          kind: 'drizzle-pending',
          table: { schema: migrations.schema, name: migrations.table },
          columns: [],
          message:
            `This database has not run ${pending.join(', ')} from ${team.folder} (its ` +
            `${migrations.schema}.${migrations.table} does not hold them): uuidmig's migration must come after ` +
            'every one of them (drizzle-kit 0.x would skip them for good once it records its migration after them; ' +
            '1.0 would run them on uuid keys): run drizzle-kit migrate first, then plan again.',
        },
      ]
    : [];
  // The snapshot is drizzle-kit's reading of the schema files: a column they declare integer that the
  // plan makes uuid would be integer there, and drizzle-kit generate would turn it back.
  for (const m of plan.mistakes) {
    const column = displayColumn(m.table, m.column);
    blockers.push({
      kind: 'drizzle-drift',
      table: m.table,
      columns: [m.column],
      message:
        `${column} is declared ${m.declaredType} in the Drizzle schema but becomes uuid (it references ` +
        `${displayColumn(m.parent, m.parentColumn)}), so the snapshot plan writes into ${team.folder} would ` +
        `disagree with the database: declare it uuid first (uuidmig init --reference ` +
        `${columnSpec(plan.catalog, m.table, m.column)}=${columnSpec(plan.catalog, m.parent, m.parentColumn)} ` +
        'does it), then plan again.',
    });
  }
  const rewrite = planMigration({ ...input, options: { ...input.options, strategy: 'rewrite' } });
  const prepared = await prepareEntry(team, replaced, rewrite, plan.id, imported, {
    name: plan.name,
    now,
    prefix: migrations.prefix,
    casing: config?.casing,
    ...table,
    projectDir: config ? path.dirname(config.file) : path.dirname(imported.files[0]!),
  });
  return { prepared, blockers };
}
