import type { ReadCatalogOptions } from '../catalog/read-catalog.js';
import { descendantsOf } from '../model/inheritance.js';
import type { CatalogSnapshot, DrizzleSchemaModel, ForeignKeyModel, TableModel, TableRef } from '../model/types.js';
import { referencedTable, tableKey } from '../model/types.js';
import type { Component, Work } from '../model/work.js';
import type { OrphanCount } from '../preflight/orphans.js';
import { planBackfill } from './backfill-stage.js';
import { type ComponentChanges, changedTables, componentChanges, withChildren } from './component-changes.js';
import { planExpand } from './expand-stage.js';
import { sha256 } from './hash.js';
import { holdOff, withoutForcedRowSecurity } from './hold-off.js';
import { inheritanceStrategyWarnings, strategyFor } from './inheritance-strategy.js';
import { lockTables } from './lock-order.js';
import { planOnlineValidate } from './online/online-attach.js';
import { planOnlineBackfill } from './online/online-backfill.js';
import { onlineBlockers } from './online/online-blockers.js';
import { planOnlineBuild } from './online/online-build.js';
import { planOnlineExpand } from './online/online-expand.js';
import { planOnlineSwap } from './online/online-swap.js';
import { type OrphanPolicy, PLAN_FORMAT_VERSION, type Plan, type Stage, type Strategy } from './plan-schema.js';
import { planRewriteValidate } from './rewrite-bound.js';
import { planRewrite } from './rewrite-stage.js';
import { sealPlan } from './seal.js';
import { analyzeShadows } from './shadow-statistics.js';
import { immediateConstraints, stage } from './step.js';
import { planSwap } from './swap-stage.js';

export interface PlanInput {
  catalog: CatalogSnapshot;
  schema: DrizzleSchemaModel;
  work: Work;
  orphans: OrphanCount[];
  options: {
    legacyColumn: string;
    legacyColumns?: Plan['options']['legacyColumns'];
    orphans: OrphanPolicy;
    name: string;
    fireTriggers?: boolean;
    strategy?: Strategy;
    /** Online: rows per backfill batch. */
    batchSize?: number;
  };
  /** When the plan is made; given, so the planner stays pure and testable. */
  now: Date;
  /** drizzle's migrations table, which the catalog was read without (plan.source.drizzleMigrations). */
  drizzleMigrations?: TableRef;
  /** The schemas the catalog was read from (plan.source.schemaFilter); empty or absent: every user schema. */
  schemaFilter?: string[];
}

/**
 * The hash of the structure a plan was made for: tables, views and functions. Row estimates move with
 * autovacuum, and the database's name and server version are not structure: a faithful copy on a
 * staging server (uuidmig rehearse) has the same hash.
 */
export function catalogHash(catalog: CatalogSnapshot): string {
  return sha256({
    tables: catalog.tables.map((t) => ({ ...t, rowEstimate: undefined })),
    views: catalog.views,
    functions: catalog.functions,
  });
}

/**
 * How the catalog is read to compare with the plan's (apply, and each stage's journal hash): as plan
 * read it, without drizzle's migrations table and only the schemas of the config's schemaFilter.
 */
export const catalogOptionsOf = (plan: Pick<Plan, 'source'>): ReadCatalogOptions => ({
  without: plan.source.drizzleMigrations ? [plan.source.drizzleMigrations] : [],
  schemas: plan.source.schemaFilter ?? [],
});

export function schemaHash(schema: DrizzleSchemaModel): string {
  return sha256({ tables: schema.tables, enums: schema.enums });
}

/** From (catalog, schema, work, orphan counts, options) to a Plan. Pure: no I/O. */
export function planMigration(input: PlanInput): Plan {
  const { catalog, work, options } = input;
  const orphans = new Map(input.orphans.map((o) => [o.reference, o.orphans]));
  const rows = new Map(catalog.tables.map((t) => [tableKey(t), t.rowEstimate]));
  const stages: Stage[] = [];
  const partitioned = new Set(catalog.tables.filter((t) => t.kind === 'partitioned').map(tableKey));
  for (const changes of changesOf(input)) {
    const component = changes.component;
    const slug = slugOf(component.hub.name);
    const n = () => String(stages.length).padStart(4, '0');
    const fire = options.fireTriggers ?? false;
    if ((options.strategy ?? 'rewrite') === 'online') {
      if (onlineBlockers(changes).length) continue; // named as blockers by inspect: the plan is not written
      const expand = n();
      stages.push(stage(expand, 'expand', slug, component.id, planOnlineExpand(changes, expand)));
      const backfill = [
        ...planOnlineBackfill(changes, options.batchSize, fire),
        ...analyzeShadows(changes, ['key', 'reference']),
      ];
      stages.push(stage(n(), 'backfill', slug, component.id, backfill, false));
      stages.push(stage(n(), 'build', slug, component.id, planOnlineBuild(changes), false));
      stages.push(stage(n(), 'swap', slug, component.id, planOnlineSwap(changes, expand, n())));
      const validate = planOnlineValidate(changes);
      if (validate.length) stages.push(stage(n(), 'validate', slug, component.id, validate, false));
      continue;
    }
    if (strategyFor(component, catalog, options.strategy ?? 'rewrite') === 'rewrite') {
      stages.push(
        stage(
          n(),
          'rewrite',
          slug,
          component.id,
          planRewrite(changes, externalForeignKeys(component, catalog), fire, n(), partitioned),
        ),
      );
      // The foreign keys it added NOT VALID, validated after its commit while writes go on.
      const validate = planRewriteValidate(changes, externalForeignKeys(component, catalog), partitioned);
      if (validate.length) stages.push(stage(n(), 'validate', slug, component.id, validate, false));
      continue;
    }
    stages.push(
      stage(n(), 'expand', slug, component.id, [
        immediateConstraints(),
        ...lockTables(changedTables(changes), changes),
        ...withoutForcedRowSecurity(changes.tables, holdOff(withChildren(changes), planExpand(changes), fire)),
      ]),
    );
    stages.push(
      stage(n(), 'backfill', slug, component.id, [
        immediateConstraints(),
        ...withoutForcedRowSecurity(changes.tables, holdOff(withChildren(changes), planBackfill(changes), fire)),
        ...analyzeShadows(changes, ['reference']),
      ]),
    );
    stages.push(stage(n(), 'swap', slug, component.id, planSwap(changes, fire)));
  }
  const stamp = timestamp(input.now);
  return sealPlan({
    format: 'uuidmig-plan',
    version: PLAN_FORMAT_VERSION,
    id: `${stamp}_${options.name}`,
    name: options.name,
    createdAt: input.now.toISOString(),
    source: {
      schemaHash: schemaHash(input.schema),
      catalogHash: catalogHash(catalog),
      serverVersion: catalog.serverVersion,
      database: catalog.database,
      schemaFiles: input.schema.files,
      ...(input.drizzleMigrations ? { drizzleMigrations: input.drizzleMigrations } : {}),
      ...(input.schemaFilter?.length ? { schemaFilter: input.schemaFilter } : {}),
    },
    options: {
      legacyColumn: options.legacyColumn,
      legacyColumns: options.legacyColumns ?? [],
      orphans: options.orphans,
      fireTriggers: options.fireTriggers ?? false,
      strategy: options.strategy ?? 'rewrite',
    },
    catalog: touchedCatalog(catalog, work),
    conversions: work.conversions.map((c) => ({ ...c, estimatedRows: rows.get(tableKey(c.table)) ?? null })),
    references: work.references.map((r) => ({
      ...r,
      orphans: orphans.get(r.id) ?? 0,
      estimatedRows: rows.get(tableKey(r.child)) ?? null,
    })),
    mistakes: work.mistakes,
    warnings: [
      ...work.warnings,
      ...inheritanceStrategyWarnings(work.components, catalog, options.strategy ?? 'rewrite'),
    ],
    components: work.components,
    stages,
  });
}

/** Each component's column changes, in the order the plan takes them. */
export function changesOf(input: PlanInput): ComponentChanges[] {
  const orphans = new Map(input.orphans.map((o) => [o.reference, o.orphans]));
  return input.work.components.map((component) =>
    componentChanges(component, {
      catalog: input.catalog,
      conversions: input.work.conversions,
      references: input.work.references,
      orphans,
      orphanPolicy: input.options.orphans,
    }),
  );
}

/** Foreign keys from tables outside the component into it (onto a key that stays): TRUNCATE needs them gone. */
function externalForeignKeys(
  component: Component,
  catalog: CatalogSnapshot,
): { table: TableModel; fk: ForeignKeyModel }[] {
  const members = new Set(component.tables.map(tableKey));
  return catalog.tables
    .filter((t) => !members.has(tableKey(t)) && !t.isPartition)
    .flatMap((table) =>
      table.foreignKeys.filter((fk) => members.has(tableKey(referencedTable(fk)))).map((fk) => ({ table, fk })),
    );
}

/** The part of the catalog the plan touches: its tables, and the views that read them. */
function touchedCatalog(catalog: CatalogSnapshot, work: Work): CatalogSnapshot {
  const touched = new Set(work.components.flatMap((c) => c.tables.map(tableKey)));
  const views = new Set<string>();
  for (let changed = true; changed; ) {
    changed = false;
    for (const v of catalog.views) {
      if (!views.has(tableKey(v)) && v.uses.some((u) => touched.has(tableKey(u)) || views.has(tableKey(u)))) {
        views.add(tableKey(v));
        changed = true;
      }
    }
  }
  // Partitions and inheritance children change with their parents; rules elsewhere that read a touched
  // table are rebuilt too.
  for (const t of catalog.tables.filter((x) => touched.has(tableKey(x)))) {
    for (const child of descendantsOf(catalog.tables, t)) touched.add(tableKey(child));
  }
  const readsTouched = (t: TableModel) => (t.rules ?? []).some((r) => r.uses.some((u) => touched.has(tableKey(u))));
  return {
    ...catalog,
    tables: catalog.tables.filter((t) => touched.has(tableKey(t)) || readsTouched(t)),
    views: catalog.views.filter((v) => views.has(tableKey(v))),
  };
}

export function timestamp(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace('T', '').slice(0, 14);
}

export function slugOf(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '_')
      .replace(/^_+|_+$/g, '')
      .slice(0, 40) || 'table'
  );
}
