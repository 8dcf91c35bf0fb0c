import { z } from 'zod';

/** zod mirrors of the model in types.ts, for the plan file: a plan carries the catalog it was made from. */
export const tableRefSchema = z.object({ schema: z.string(), name: z.string() });

const fkAction = z.enum(['no action', 'restrict', 'cascade', 'set null', 'set default']);

export const columnSchema = z.object({
  name: z.string(), type: z.string(), notNull: z.boolean(), default: z.string().nullable(),
  identity: z.enum(['always', 'by default']).nullable(), generated: z.boolean(), ownedSequence: z.string().nullable(),
});

const keySchema = z.object({ name: z.string(), columns: z.array(z.string()), definition: z.string().optional() });

export const foreignKeySchema = z.object({
  name: z.string(), columns: z.array(z.string()), refSchema: z.string(), refTable: z.string(), refColumns: z.array(z.string()),
  onDelete: fkAction, onUpdate: fkAction, deferrable: z.boolean(), initiallyDeferred: z.boolean(),
  match: z.enum(['simple', 'full', 'partial']), validated: z.boolean(), definition: z.string().optional(),
});

const indexSchema = z.object({
  name: z.string(), columns: z.array(z.string()), unique: z.boolean(), definition: z.string(), predicate: z.string().nullable(), backsConstraint: z.boolean(),
});

export const tableSchema = tableRefSchema.extend({
  kind: z.enum(['table', 'partitioned']),
  columns: z.array(columnSchema),
  primaryKey: keySchema.nullable(),
  uniques: z.array(keySchema),
  foreignKeys: z.array(foreignKeySchema),
  indexes: z.array(indexSchema),
  checks: z.array(z.object({ name: z.string(), columns: z.array(z.string()), definition: z.string() })),
  rowEstimate: z.number().nullable(),
});

export const viewSchema = tableRefSchema.extend({
  kind: z.enum(['view', 'materialized']),
  definition: z.string(),
  uses: z.array(tableRefSchema.extend({ column: z.string() })),
  indexes: z.array(indexSchema),
});

export const catalogSchema = z.object({
  serverVersion: z.string(), serverVersionNum: z.number(), database: z.string(),
  tables: z.array(tableSchema), views: z.array(viewSchema),
});

export const drizzleReferenceSchema = z.object({
  columns: z.array(z.string()), refSchema: z.string(), refTable: z.string(), refColumns: z.array(z.string()),
  source: z.enum(['drizzle-reference', 'drizzle-relation']), name: z.string().optional(), onDelete: fkAction.optional(), onUpdate: fkAction.optional(),
});

export const conversionSchema = z.object({
  table: tableRefSchema, column: z.string(), fromType: z.string(), legacyColumn: z.string(), newDefault: z.string().nullable(),
  /** Whether the Drizzle schema declares the legacy column (then finalize keeps it). */
  legacyDeclared: z.boolean(),
});

export const referenceSchema = z.object({
  id: z.string(), child: tableRefSchema, columns: z.array(z.string()), parent: tableRefSchema, parentColumns: z.array(z.string()),
  mode: z.enum(['convert', 'repair']), convertColumns: z.array(z.string()), joinColumns: z.array(z.string()),
  sources: z.array(z.enum(['foreign-key', 'drizzle-reference', 'drizzle-relation'])),
  constraint: foreignKeySchema.nullable(), declared: drizzleReferenceSchema.nullable(),
});
