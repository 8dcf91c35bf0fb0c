import { deriveName } from '../../db/derived-names.js';
import { MAX_IDENTIFIER_BYTES, qualify, qualifyTable, quoteIdent } from '../../db/quote.js';
import { type TableModel, tableKey } from '../../model/types.js';
import type { ColumnChange, ComponentChanges } from '../component-changes.js';
import { clauses, columnList, dollarQuoted } from '../sql-text.js';
import { type StepDraft, step } from '../step.js';
import { batchKey } from './online-backfill.js';

/** The trigger (on each table with a converting reference) that keeps its shadow columns right. */
export const SYNC_TRIGGER = 'uuidmig_sync';

/**
 * The sync trigger's name on `table`: after every trigger of the table in name order. PostgreSQL fires
 * a table's BEFORE row triggers in name order (byte order), so the sync trigger reads NEW as the
 * table's own triggers leave it: one that fills a reference column (`zz_fill_owner`) runs first, and its
 * value gets its uuid. `uuidmig_sync`, unless a trigger's name sorts after it; then that name extended
 * (which sorts right after it), or, past 63 bytes, one led by `~` (after every ASCII name).
 */
export function syncTriggerName(table: TableModel): string {
  const names = (table.triggers ?? []).map((t) => t.name);
  const last = names.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))).at(-1);
  if (last === undefined || Buffer.compare(Buffer.from(last), Buffer.from(SYNC_TRIGGER)) < 0) return SYNC_TRIGGER;
  const extended = `${last}_${SYNC_TRIGGER}`;
  return Buffer.byteLength(extended) <= MAX_IDENTIFIER_BYTES ? extended : `~${SYNC_TRIGGER}`;
}

/** One function per table, in schema uuidmig, named for the stage and the table's place in it. */
export const syncFunction = (stageId: string, n: number): string =>
  qualify('uuidmig', deriveName(`sync_${stageId}_${n}`, ''));

/**
 * Online, the application keeps writing while the shadows fill, so every write from the expand on
 * must fill them itself: a parent's new row gets its uuid from the shadow's default; a child's insert,
 * or an update of its reference, gets its parent's uuid by an index lookup on the parent's key, in a
 * BEFORE trigger created in the expand's transaction (CREATE TRIGGER waits for writers in flight, so
 * every write that commits after it fires it). An orphan keeps its old value, as the backfill does.
 */
export function syncTriggers(c: ComponentChanges, stageId: string): StepDraft[] {
  const tables = c.tables.filter((t) => referenceChanges(c, t).length);
  return tables.flatMap((table, n) => {
    const changes = referenceChanges(c, table);
    const fn = syncFunction(stageId, n);
    const watched = [...new Set(changes.flatMap((ch) => ch.fillFrom!.columns))];
    const body = changes.map((ch) => assignment(c, ch)).join(' ');
    return [
      step(
        'expand',
        `fill ${table.name}'s shadow columns on every insert and update of ${watched.join(', ')}`,
        `CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS ${dollarQuoted(`BEGIN ${body} RETURN NEW; END`)}`,
        'NONE',
        null,
      ),
      step(
        'expand',
        `the application's writes to ${table.name} fill its shadow columns from here on`,
        clauses(
          // Without a primary key the backfill walks pages, and any UPDATE can move a row behind it.
          `CREATE TRIGGER ${quoteIdent(syncTriggerName(table))} BEFORE INSERT OR UPDATE`,
          batchKey(table) && `OF ${columnList(watched)}`,
          `ON ${qualifyTable(table)} FOR EACH ROW EXECUTE FUNCTION ${fn}()`,
        ),
        'SHARE ROW EXCLUSIVE',
        table,
      ),
    ];
  });
}

const referenceChanges = (c: ComponentChanges, table: TableModel): ColumnChange[] =>
  c.changes.filter((ch) => ch.role === 'reference' && tableKey(ch.table) === tableKey(table));

/** `NEW.shadow := the parent's uuid` for one converting reference column (and its orphan column). */
function assignment(c: ComponentChanges, change: ColumnChange): string {
  const ref = change.fillFrom!;
  const parentColumn = ref.parentColumns[ref.columns.indexOf(change.column.name)]!;
  const parentChange = c.changes.find(
    (ch) => tableKey(ch.table) === tableKey(ref.parent) && ch.column.name === parentColumn,
  );
  const source = ref.mode === 'repair' || !parentChange ? parentColumn : parentChange.shadow;
  const anyNull = ref.columns.map((col) => `NEW.${quoteIdent(col)} IS NULL`).join(' OR ');
  const match = ref.columns.map((col, j) => `p.${quoteIdent(ref.joinColumns[j]!)} = NEW.${quoteIdent(col)}`);
  const shadow = `NEW.${quoteIdent(change.shadow)}`;
  const lookup =
    `IF ${anyNull} THEN ${shadow} := NULL; ELSE SELECT p.${quoteIdent(source)} INTO ${shadow} ` +
    `FROM ${qualify(ref.parent.schema, ref.parent.name)} AS p WHERE ${match.join(' AND ')}; END IF;`;
  if (!change.orphanColumn) return lookup;
  const orphan = `NEW.${quoteIdent(change.orphanColumn)}`;
  const old = `NEW.${quoteIdent(change.column.name)}`;
  return `${lookup} ${orphan} := CASE WHEN NOT (${anyNull}) AND ${shadow} IS NULL THEN ${old} END;`;
}

/** Tables with a converting reference: the ones a sync trigger sits on. */
export const syncedTables = (c: ComponentChanges): TableModel[] =>
  c.tables.filter((t) => referenceChanges(c, t).length);

/** Drop the sync triggers of `stageId` and their functions (catalog only). */
export function dropSyncTriggers(c: ComponentChanges, stageId: string, ifExists = false): StepDraft[] {
  const maybe = ifExists ? ' IF EXISTS' : '';
  return syncedTables(c).flatMap((table, n) => [
    step(
      'drop',
      `stop filling ${table.name}'s shadow columns (the swap takes over)`,
      `DROP TRIGGER${maybe} ${quoteIdent(syncTriggerName(table))} ON ${qualifyTable(table)}`,
      'ACCESS EXCLUSIVE',
      table,
    ),
    step('drop', `drop its function`, `DROP FUNCTION${maybe} ${syncFunction(stageId, n)}()`, 'NONE', null),
  ]);
}

/**
 * After the swap, the other way round: a write that sets a uuid reference also sets the integer kept
 * beside it (`<col>__uuidmig_old`) to the parent's legacy integer, found through the parent's new
 * primary key, so every row written until finalize can be rolled back exactly.
 */
export function reverseSyncTriggers(c: ComponentChanges, stageId: string): StepDraft[] {
  return syncedTables(c).flatMap((table, n) => {
    const changes = referenceChanges(c, table);
    const fn = syncFunction(stageId, n);
    const watched = [...new Set(changes.flatMap((ch) => ch.fillFrom!.columns))];
    const body = changes.map((ch) => reverseAssignment(c, ch)).join(' ');
    return [
      step(
        'expand',
        `keep ${table.name}'s integer columns in step with its uuid references until finalize`,
        `CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql AS ${dollarQuoted(`BEGIN ${body} RETURN NEW; END`)}`,
        'NONE',
        null,
      ),
      step(
        'expand',
        `the application's writes to ${table.name} set the integers too, from here until finalize`,
        clauses(
          `CREATE TRIGGER ${quoteIdent(syncTriggerName(table))} BEFORE INSERT OR UPDATE OF ${columnList(watched)}`,
          `ON ${qualifyTable(table)} FOR EACH ROW EXECUTE FUNCTION ${fn}()`,
        ),
        'SHARE ROW EXCLUSIVE',
        table,
      ),
    ];
  });
}

/** `NEW.<col>__uuidmig_old := the parent's integer`, matched on the (now uuid) reference. */
function reverseAssignment(c: ComponentChanges, change: ColumnChange): string {
  const ref = change.fillFrom!;
  const j = ref.columns.indexOf(change.column.name);
  const parentChange = c.changes.find(
    (ch) => tableKey(ch.table) === tableKey(ref.parent) && ch.column.name === ref.parentColumns[j],
  );
  const source = parentChange && ref.mode !== 'repair' ? parentChange.keepAs : ref.joinColumns[j]!;
  const anyNull = ref.columns.map((col) => `NEW.${quoteIdent(col)} IS NULL`).join(' OR ');
  const match = ref.columns.map((col, k) => `p.${quoteIdent(ref.parentColumns[k]!)} = NEW.${quoteIdent(col)}`);
  const kept = `NEW.${quoteIdent(change.keepAs)}`;
  return (
    `IF ${anyNull} THEN ${kept} := NULL; ELSE SELECT p.${quoteIdent(source)} INTO ${kept} ` +
    `FROM ${qualify(ref.parent.schema, ref.parent.name)} AS p WHERE ${match.join(' AND ')}; END IF;`
  );
}
