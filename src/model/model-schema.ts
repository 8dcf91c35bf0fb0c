import { z } from 'zod';
import { REFERENCE_SOURCES } from './work.js';

/** zod mirrors of the model in types.ts, for the plan file: a plan carries the catalog it was made from. */
export const tableRefSchema = z.object({ schema: z.string(), name: z.string() });
const columnRefSchema = tableRefSchema.extend({ column: z.string() });

const fkAction = z.enum(['no action', 'restrict', 'cascade', 'set null', 'set default']);

const grantSchema = z.object({ grantee: z.string(), privilege: z.string(), grantable: z.boolean() });

export const columnSchema = z.object({
  name: z.string(),
  type: z.string(),
  notNull: z.boolean(),
  default: z.string().nullable(),
  identity: z.enum(['always', 'by default']).nullable(),
  generated: z.boolean(),
  ownedSequence: z.string().nullable(),
  sequence: tableRefSchema.extend({ grants: z.array(grantSchema), comment: z.string().nullable() }).optional(),
  comment: z.string().nullable().optional(),
  grants: z.array(grantSchema).optional(),
  generatedFrom: z.array(z.string()).optional(),
  inherited: z.boolean().optional(),
});

const policySchema = z.object({
  name: z.string(),
  permissive: z.boolean(),
  command: z.enum(['ALL', 'SELECT', 'INSERT', 'UPDATE', 'DELETE']),
  roles: z.array(z.string()),
  using: z.string().nullable(),
  withCheck: z.string().nullable(),
  uses: z.array(columnRefSchema),
});

const ruleSchema = z.object({
  name: z.string(),
  definition: z.string(),
  enabled: z.enum(['O', 'D', 'R', 'A']),
  event: z.enum(['SELECT', 'INSERT', 'UPDATE', 'DELETE']),
  instead: z.boolean(),
  uses: z.array(columnRefSchema),
});

const triggerSchema = z.object({
  name: z.string(),
  definition: z.string(),
  enabled: z.enum(['O', 'D', 'R', 'A']),
  onUpdate: z.boolean(),
  columns: z.array(z.string()),
});

const keySchema = z.object({ name: z.string(), columns: z.array(z.string()), definition: z.string().optional() });

export const foreignKeySchema = z.object({
  name: z.string(),
  columns: z.array(z.string()),
  refSchema: z.string(),
  refTable: z.string(),
  refColumns: z.array(z.string()),
  onDelete: fkAction,
  onUpdate: fkAction,
  deferrable: z.boolean(),
  initiallyDeferred: z.boolean(),
  match: z.enum(['simple', 'full', 'partial']),
  validated: z.boolean(),
  definition: z.string().optional(),
});

const indexSchema = z.object({
  name: z.string(),
  columns: z.array(z.string()),
  unique: z.boolean(),
  definition: z.string(),
  predicate: z.string().nullable(),
  backsConstraint: z.boolean(),
  inherited: z.boolean().optional(),
});

export const tableSchema = tableRefSchema.extend({
  kind: z.enum(['table', 'partitioned']),
  columns: z.array(columnSchema),
  primaryKey: keySchema.nullable(),
  uniques: z.array(keySchema),
  foreignKeys: z.array(foreignKeySchema),
  indexes: z.array(indexSchema),
  checks: z.array(z.object({ name: z.string(), columns: z.array(z.string()), definition: z.string() })),
  exclusions: z.array(keySchema).optional(),
  statistics: z
    .array(z.object({ schema: z.string(), name: z.string(), definition: z.string(), columns: z.array(z.string()) }))
    .optional(),
  rowEstimate: z.number().nullable(),
  rowSecurity: z.object({ enabled: z.boolean(), forced: z.boolean() }).optional(),
  policies: z.array(policySchema).optional(),
  triggers: z.array(triggerSchema).optional(),
  rules: z.array(ruleSchema).optional(),
  parent: tableRefSchema.nullable().optional(),
  isPartition: z.boolean().optional(),
  partitionKey: z.array(z.string()).optional(),
});

export const viewSchema = tableRefSchema.extend({
  kind: z.enum(['view', 'materialized']),
  definition: z.string(),
  uses: z.array(columnRefSchema),
  indexes: z.array(indexSchema),
  owner: z.string().optional(),
  comment: z.string().nullable().optional(),
  options: z.array(z.string()).optional(),
  grants: z.array(grantSchema).optional(),
});

export const catalogSchema = z.object({
  serverVersion: z.string(),
  serverVersionNum: z.number(),
  database: z.string(),
  tables: z.array(tableSchema),
  views: z.array(viewSchema),
  functions: z
    .array(
      z.object({
        schema: z.string(),
        name: z.string(),
        kind: z.enum(['function', 'procedure']),
        arguments: z.string(),
        body: z.string(),
        parameters: z.array(z.object({ name: z.string(), type: z.string() })),
      }),
    )
    .optional(),
});

export const drizzleReferenceSchema = z.object({
  columns: z.array(z.string()),
  refSchema: z.string(),
  refTable: z.string(),
  refColumns: z.array(z.string()),
  source: z.enum(['drizzle-reference', 'drizzle-relation']),
  name: z.string().optional(),
  onDelete: fkAction.optional(),
  onUpdate: fkAction.optional(),
});

export const conversionSchema = z.object({
  table: tableRefSchema,
  column: z.string(),
  fromType: z.string(),
  legacyColumn: z.string(),
  newDefault: z.string().nullable(),
  /** Whether the Drizzle schema declares the legacy column (then finalize keeps it). */
  legacyDeclared: z.boolean(),
});

export const referenceSchema = z.object({
  id: z.string(),
  child: tableRefSchema,
  columns: z.array(z.string()),
  parent: tableRefSchema,
  parentColumns: z.array(z.string()),
  mode: z.enum(['convert', 'repair']),
  convertColumns: z.array(z.string()),
  joinColumns: z.array(z.string()),
  sources: z.array(z.enum(REFERENCE_SOURCES)),
  constraint: foreignKeySchema.nullable(),
  declared: drizzleReferenceSchema.nullable(),
});
