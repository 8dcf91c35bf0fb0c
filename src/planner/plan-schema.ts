import { z } from 'zod';
import { catalogSchema, conversionSchema, referenceSchema } from '../model/model-schema.js';

/** Lock each statement takes on its table, strongest first. */
export const LOCK_LEVELS = [
  'ACCESS EXCLUSIVE',
  'EXCLUSIVE',
  'SHARE ROW EXCLUSIVE',
  'SHARE',
  'SHARE UPDATE EXCLUSIVE',
  'ROW EXCLUSIVE',
  'ROW SHARE',
  'ACCESS SHARE',
  'NONE',
] as const;

export const STEP_KINDS = [
  'setting',
  'lock',
  'expand',
  'fill',
  'orphans',
  'guard',
  'drop',
  'rename',
  'column',
  'constraint',
  'index',
  'view',
] as const;

const tableRef = z.object({ schema: z.string(), name: z.string() });

export const stepSchema = z.object({
  id: z.string(),
  kind: z.enum(STEP_KINDS),
  description: z.string(),
  sql: z.string(),
  down: z.string().optional(),
  lock: z.enum(LOCK_LEVELS),
  table: z.string().nullable(),
  estimatedRows: z.number().nullable(),
  transactional: z.boolean(),
  /**
   * The index or constraint a step outside a transaction makes (the online build): an interrupted
   * build leaves some of them, which a resumed run tells apart from a database that changed.
   */
  creates: z.string().optional(),
  /**
   * A batched step (the online backfill): `sql` runs once per batch, in its own transaction, with $1
   * the bound the last batch reached (text, null at first) and $2 this batch's bound; `next` returns
   * the next bound (`bound`, text; null when done) given $1, $2 the batch size and $3 the end of the
   * walk: what `last` returned when the step began (rows written later got their values from the sync
   * triggers and defaults).
   */
  batch: z
    .object({
      next: z.string(),
      last: z.string(),
      size: z.number(),
      /**
       * The table has triggers or rules the migration's own writes must not fire (no --fire-triggers):
       * each batch runs with `session_replication_role = replica`, for its transaction only.
       */
      quiet: z.boolean().optional(),
    })
    .optional(),
});

export const STAGE_KINDS = [
  'rewrite',
  'expand',
  'backfill',
  'build',
  'swap',
  'validate',
  'rollback',
  'cleanup',
  'finalize',
] as const;

export const stageSchema = z.object({
  id: z.string(),
  kind: z.enum(STAGE_KINDS),
  name: z.string(),
  component: z.string(),
  transactional: z.boolean(),
  steps: z.array(stepSchema),
  /** sha256 of the statements, as the stage's migration file carries them (planner/seal.ts). */
  digest: z.string(),
});

export const findingSchema = z.object({
  kind: z.string(),
  table: tableRef,
  columns: z.array(z.string()),
  message: z.string(),
  reference: z.string().optional(),
});

export const drizzleEntrySchema = z.object({
  /** The team's folder, relative to the folder holding `plans/` (absolute when the plan was not written). */
  folder: z.string(),
  /**
   * The folder's layout: `journal` (drizzle-kit 0.x; absent in older plans) or `folders` (drizzle-kit 1.0,
   * one folder per migration, recorded by name).
   */
  layout: z.enum(['journal', 'folders']).optional(),
  /** `0003_uuid_keys` (the entry's file is `<tag>.sql`), or the folder `20261130091406_uuid_keys`. */
  tag: z.string(),
  /** The journal entry's `when` (or the folder name's time), which drizzle's migrator records as `created_at`. */
  when: z.number(),
  /** sha256 (hex) of the entry's file, as drizzle-orm's readMigrationFiles computes it. */
  hash: z.string(),
  migrationsSchema: z.string(),
  migrationsTable: z.string(),
});

/**
 * 2: tables' parents and policies' columns are structured; rules; per-table legacy columns.
 * 3: digests of every stage and of the plan (apply refuses a plan changed since it was written).
 */
export const PLAN_FORMAT_VERSION = 3;

export const planSchema = z.object({
  format: z.literal('uuidmig-plan'),
  version: z.literal(PLAN_FORMAT_VERSION),
  id: z.string(),
  name: z.string(),
  createdAt: z.string(),
  source: z.object({
    schemaHash: z.string(),
    catalogHash: z.string(),
    serverVersion: z.string(),
    database: z.string(),
    schemaFiles: z.array(z.string()),
    /**
     * drizzle's migrations table (the config's `migrations`, else drizzle.__drizzle_migrations): its
     * bookkeeping, left out of the catalog and its hash as uuidmig's own schema is, so apply creating it,
     * or drizzle-kit migrate, is no change. Absent in older plans, whose hash counts it.
     */
    drizzleMigrations: tableRef.optional(),
    /**
     * The config's `schemaFilter`, when it names schemas: the catalog (and its hash) holds only those, at
     * plan and at apply alike. Absent when every user schema is read.
     */
    schemaFilter: z.array(z.string()).optional(),
  }),
  options: z.object({
    /** Where old integers live: this name, unless `legacyColumns` names a table's own. */
    legacyColumn: z.string(),
    legacyColumns: z.array(z.object({ table: tableRef, column: z.string() })),
    orphans: z.enum(['fail', 'null', 'keep']),
    /** Let the user's triggers fire for the migration's own writes (default: they are held off). */
    fireTriggers: z.boolean(),
    /** rewrite: each table written once through hash joins (default); update: add, UPDATE, swap. */
    strategy: z.enum(['rewrite', 'update', 'online']),
  }),
  /** The catalog of the tables and views the plan touches, as it was when the plan was made. */
  catalog: catalogSchema,
  conversions: z.array(conversionSchema.extend({ estimatedRows: z.number().nullable() })),
  references: z.array(referenceSchema.extend({ orphans: z.number(), estimatedRows: z.number().nullable() })),
  mistakes: z.array(
    z.object({
      table: tableRef,
      column: z.string(),
      declaredType: z.string(),
      parent: tableRef,
      parentColumn: z.string(),
    }),
  ),
  warnings: z.array(findingSchema),
  components: z.array(z.object({ id: z.string(), hub: tableRef, tables: z.array(tableRef) })),
  stages: z.array(stageSchema),
  /**
   * The migration plan appended to the team's drizzle-kit folder (src/drizzle/), which apply records in
   * drizzle's migrations table as drizzle-orm's migrator would. Absent when plan wrote its own folder.
   */
  drizzle: drizzleEntrySchema.optional(),
  /** sha256 of everything above, stage digests included (planner/seal.ts). */
  digest: z.string(),
});

export type Plan = z.infer<typeof planSchema>;
export type Stage = z.infer<typeof stageSchema>;
export type Step = z.infer<typeof stepSchema>;
export type DrizzleEntry = z.infer<typeof drizzleEntrySchema>;
export type LockLevel = (typeof LOCK_LEVELS)[number];
export type OrphanPolicy = Plan['options']['orphans'];
export type Strategy = Plan['options']['strategy'];
