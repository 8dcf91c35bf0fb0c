import { qualifyTable, quoteLiteral } from '../db/quote.js';
import { columnKey, displayTable } from '../model/types.js';
import { finalizeDrops, planFinalize } from '../planner/finalize-stage.js';
import { planChanges } from '../planner/plan-changes.js';
import type { Plan, Step } from '../planner/plan-schema.js';
import { statementOf } from '../planner/seal.js';
import { BREAKPOINT, doBlock, sqlComment } from '../planner/sql-text.js';
import type { StepDraft } from '../planner/step.js';

export { BREAKPOINT };

/** The first line of every entry uuidmig writes into a team's folder: how plan knows its own. */
export const ENTRY_MARK = '-- uuidmig entry of plan';

/**
 * The entry runs only on empty tables, so a statement never waits long; drizzle's migrator runs every
 * pending entry in one transaction, so the settings are put back after it for the team's next entries.
 */
export const ENTRY_TIMEOUTS = { lockTimeout: '5s', statementTimeout: '1min' } as const;

interface Statement {
  comment: string;
  sql: string;
}

/**
 * The migration as the team's folder holds it: the empty-database form. On a fresh database (built by
 * the folder's earlier entries, no rows) it turns the integer schema into the uuid schema, exactly as
 * `uuidmig apply` + `uuidmig finalize` leave a production copy: the rewrite strategy's stages, then
 * finalize's drops. On a database with rows it refuses at once (there `uuidmig apply` runs the plan,
 * with its checks, and records this entry as applied). `rewrite` is the plan made from the same inputs
 * with strategy `rewrite`; pure.
 */
export function renderEntrySql(rewrite: Plan, planId: string): string {
  const statements: Statement[] = [
    { comment: 'a lock on an empty table is quick, or something is wrong', sql: setLocal('lock_timeout') },
    { comment: 'no statement here has rows to work through', sql: setLocal('statement_timeout') },
    { comment: 'refuse on a database with rows: uuidmig apply migrates those', sql: rowsGuard(rewrite) },
    ...rewrite.stages.flatMap((stage) => stage.steps.filter(neededOnEmptyTables).map(fromStep)),
    ...finalizeSteps(rewrite).map(fromStep),
    { comment: "the team's next entries run with the settings they had", sql: 'SET LOCAL lock_timeout TO DEFAULT' },
    { comment: '', sql: 'SET LOCAL statement_timeout TO DEFAULT' },
  ];
  const header = [
    `${ENTRY_MARK} ${planId}: integer keys to uuid, in the form for a database whose tables are empty (a fresh one).`,
    '-- On a database with rows it refuses: run `uuidmig apply` there, which migrates the rows and records this',
    "-- file in drizzle's migrations table, so drizzle-kit migrate skips it.",
  ].join('\n');
  const chunks = statements.map((s) => `${s.comment ? `${sqlComment(s.comment)}\n` : ''}${s.sql};`);
  return `${header}\n${chunks.join(`\n${BREAKPOINT}\n`)}\n`;
}

const setLocal = (name: 'lock_timeout' | 'statement_timeout') => {
  const value = name === 'lock_timeout' ? ENTRY_TIMEOUTS.lockTimeout : ENTRY_TIMEOUTS.statementTimeout;
  return `SET LOCAL ${name} = ${quoteLiteral(value)}`;
};

const fromStep = (step: Pick<Step, 'description' | 'sql' | 'batch'>): Statement => ({
  comment: step.description,
  sql: statementOf(step),
});

/**
 * `temp_buffers` sizes the temporary copies of big tables; it cannot change once the session has used a
 * temporary table (an earlier entry in the same migrator run may have), and empty tables need none.
 */
const neededOnEmptyTables = (step: Step): boolean =>
  !(step.kind === 'setting' && /^SET LOCAL temp_buffers\b/.test(step.sql));

/** One sentence, naming the first table of the plan that has a row. */
function rowsGuard(plan: Plan): string {
  const tables = plan.components.flatMap((c) => c.tables);
  const seen = new Set<string>();
  const checks = tables
    .filter((t) => !seen.has(displayTable(t)) && seen.add(displayTable(t)))
    .map((t) => {
      const message = `this database has rows (${displayTable(t)} is not empty): run \`uuidmig apply\``;
      return `IF EXISTS (SELECT 1 FROM ${qualifyTable(t)}) THEN RAISE EXCEPTION '%', ${quoteLiteral(message)}; END IF;`;
    });
  return doBlock(`BEGIN ${checks.join(' ')} END`);
}

/** What `uuidmig finalize` drops after this plan (executor/finalize.ts), as steps. */
function finalizeSteps(plan: Plan): StepDraft[] {
  const declared = new Set(plan.conversions.filter((c) => c.legacyDeclared).map((c) => columnKey(c.table, c.column)));
  return planChanges(plan).flatMap((changes) =>
    planFinalize(
      finalizeDrops(changes, plan.options.orphans, (t, column) => declared.has(columnKey(t, column))),
      changes,
    ),
  );
}
