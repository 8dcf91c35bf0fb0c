import { z } from 'zod';

/** One check: a table's row count, or a reference's rows, orphans and fingerprint. */
export const checkRowSchema = z.object({
  kind: z.enum(['table', 'reference']),
  name: z.string(),
  rows: z.number(),
  orphans: z.number().nullable(),
  /** Exact decimal text of the fingerprint sum; null after finalize (the legacy integers are gone). */
  fingerprint: z.string().nullable(),
  /** A table whose key converts: its largest key when checked (exact decimal text), null when empty. */
  maxKey: z.string().nullable().optional(),
  /** After finalize: the reference's foreign key, when it has one. */
  foreignKey: z.enum(['valid', 'not valid', 'missing']).optional(),
});

/** A check before and now; an empty `differs` means nothing was lost or moved. */
export const checkDifferenceSchema = z.object({
  kind: checkRowSchema.shape.kind,
  name: z.string(),
  before: checkRowSchema.nullable(),
  now: checkRowSchema.nullable(),
  /** What differs, in words: "rows", "orphans", "fingerprint", "foreign key", "missing". */
  differs: z.array(z.string()),
});

export type CheckRow = z.infer<typeof checkRowSchema>;
export type CheckDifference = z.infer<typeof checkDifferenceSchema>;
