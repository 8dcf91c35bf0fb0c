import type { DrizzleReference, ForeignKeyModel, TableRef } from './types.js';

/** An integer key column that the Drizzle schema makes uuid. */
export interface KeyConversion {
  table: TableRef;
  column: string;
  fromType: string;
  /** Where the old integer goes: `legacy_id` unless --legacy-column says otherwise. */
  legacyColumn: string;
  /** The uuid default the Drizzle schema declares (gen_random_uuid() for defaultRandom()), or null. */
  newDefault: string | null;
  /** Whether the Drizzle schema declares the legacy column (then finalize keeps it). */
  legacyDeclared: boolean;
}

/** Where a reference is known from: a foreign key, Drizzle's `.references()`/`relations()`, or `--reference`. */
export const REFERENCE_SOURCES = ['foreign-key', 'drizzle-reference', 'drizzle-relation', 'option'] as const;
export type ReferenceSource = (typeof REFERENCE_SOURCES)[number];

/**
 * A reference from integer columns of `child` to a key that is (or is becoming) uuid.
 * `convert`: the parent's key converts in this plan; children join on its old integer.
 * `repair`: the parent's key is already uuid; children join on its legacy column.
 */
export interface ReferenceWork {
  id: string;
  child: TableRef;
  columns: string[];
  parent: TableRef;
  parentColumns: string[];
  mode: 'convert' | 'repair';
  /** The child columns that become uuid (a composite reference may keep some, like tenant_id). */
  convertColumns: string[];
  /** Per child column, the parent column that holds the matching value before the swap. */
  joinColumns: string[];
  sources: ReferenceSource[];
  /** The database constraint, when one exists. */
  constraint: ForeignKeyModel | null;
  /** The Drizzle `.references()`/`foreignKey()` declaration, when one exists. */
  declared: DrizzleReference | null;
}

export interface SchemaMistake {
  table: TableRef;
  column: string;
  declaredType: string;
  parent: TableRef;
  parentColumn: string;
}

export interface Finding {
  kind: string;
  table: TableRef;
  columns: string[];
  message: string;
  /** The reference it is about, when it is about one. */
  reference?: string;
}

export interface Component {
  id: string;
  /** The table it is named after: the one most references touch. */
  hub: TableRef;
  tables: TableRef[];
}

export interface Work {
  conversions: KeyConversion[];
  references: ReferenceWork[];
  mistakes: SchemaMistake[];
  blockers: Finding[];
  warnings: Finding[];
  components: Component[];
}
