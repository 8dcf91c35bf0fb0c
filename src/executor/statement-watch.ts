import type { Sql } from '../db/connect.js';
import type { Step } from '../planner/plan-schema.js';

/** Where a long statement stands, as far as PostgreSQL can tell from another session. */
export interface StatementState {
  elapsedMs: number;
  /** pg_stat_progress_create_index's phase (`building index: scanning table`), else null. */
  phase: string | null;
  /** Work done and to do in that phase (blocks, or tuples), when PostgreSQL counts them. */
  done: number | null;
  total: number | null;
  unit: 'blocks' | 'tuples' | null;
}

export type StatementHook = (step: Step, state: StatementState) => void;

/** Run a step's statement; while it runs past its first second, report where it stands every second. */
export type Watch = <T>(step: Step, hook: StatementHook | undefined, work: () => Promise<T>) => Promise<T>;

export const unwatched: Watch = (_step, _hook, work) => work();

/**
 * Watch the run's connection (backend `pid`) from another connection of `sql`: after a second, and
 * every second after that, its progress in pg_stat_progress_create_index (CREATE INDEX, and the index
 * builds of ADD PRIMARY KEY / UNIQUE) or only its time (an INSERT ... SELECT has no progress view).
 * A failed read is skipped: watching never fails the statement.
 */
export function statementWatch(sql: Sql, pid: number, firstMs = 1000, everyMs = 1000): Watch {
  return async (step, hook, work) => {
    if (!hook) return work();
    const started = Date.now();
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    const tick = async () => {
      const state = await progressOf(sql, pid).catch(() => null);
      if (stopped) return;
      hook(step, { elapsedMs: Date.now() - started, phase: null, done: null, total: null, unit: null, ...state });
      timer = setTimeout(tick, everyMs);
    };
    timer = setTimeout(tick, firstMs);
    try {
      return await work();
    } finally {
      stopped = true;
      clearTimeout(timer);
    }
  };
}

async function progressOf(sql: Sql, pid: number): Promise<Omit<StatementState, 'elapsedMs'> | null> {
  const [row] = await sql<
    { phase: string; blocks_done: string; blocks_total: string; tuples_done: string; tuples_total: string }[]
  >`
    SELECT phase, blocks_done, blocks_total, tuples_done, tuples_total
    FROM pg_stat_progress_create_index WHERE pid = ${pid}`;
  if (!row) return null;
  const [blocks, tuples] = [
    [Number(row.blocks_done), Number(row.blocks_total)],
    [Number(row.tuples_done), Number(row.tuples_total)],
  ] as const;
  if (blocks[1] > 0) return { phase: row.phase, done: blocks[0], total: blocks[1], unit: 'blocks' };
  if (tuples[1] > 0) return { phase: row.phase, done: tuples[0], total: tuples[1], unit: 'tuples' };
  return { phase: row.phase, done: null, total: null, unit: null };
}
