import { displayColumn, displayTable, sameTable } from '../model/types.js';
import type { Finding } from '../model/work.js';
import { appSupplied } from '../planner/component-changes.js';
import { LOCK_LEVELS, type Plan } from '../planner/plan-schema.js';

const rows = (n: number | null) => (n === null ? 'rows unknown' : `~${n} rows`);

function table(lines: string[][]): string[] {
  const widths = lines[0]?.map((_, i) => Math.max(...lines.map((l) => (l[i] ?? '').length))) ?? [];
  return lines.map((l) =>
    `  ${l.map((cell, i) => (i === l.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')}`.trimEnd(),
  );
}

/**
 * Findings that change nothing about the migration, shown as one line per kind unless --verbose:
 * a `drizzle-kit pull` schema of a large database has dozens of tables the database lacks.
 */
const INFORMATIONAL: Record<string, (n: number) => string> = {
  'table-not-in-database': (n) =>
    `${n} table(s) of the Drizzle schema are not in the database; uuidmig does not create tables (drizzle-kit does)`,
};

/**
 * The readable summary `uuidmig plan` prints: what blocks and what to review first, then what converts,
 * every reference and its source, orphans, and the stages with their locks.
 */
export function renderSummary(plan: Plan, blockers: Finding[] = [], options: { verbose?: boolean } = {}): string {
  const out: string[] = [];
  const refs = plan.references;
  out.push(
    `uuidmig plan ${plan.name}: ${plan.conversions.length} key conversion(s), ${refs.length} reference(s), ` +
      `${plan.components.length} component(s), ${plan.stages.length} stage(s)`,
  );
  out.push(
    `database ${plan.source.database} (PostgreSQL ${plan.source.serverVersion}), legacy column ` +
      `"${plan.options.legacyColumn}", orphans: ${plan.options.orphans}`,
  );
  if (blockers.length) {
    out.push('', 'Blocking problems (nothing was written)', ...blockers.map((b) => `  ${b.message}`));
  }
  const warnings = plan.warnings.filter((w) => !INFORMATIONAL[w.kind]);
  if (warnings.length) out.push('', 'Warnings', ...warnings.map((w) => `  ${w.message}`));
  out.push('', 'Key conversions (integer key -> uuid; the old value stays in the legacy column)');
  out.push(
    ...(plan.conversions.length === 0
      ? ['  none']
      : table(
          plan.conversions.map((c) => [
            displayColumn(c.table, c.column),
            `${c.fromType} -> uuid`,
            keeps(plan, c),
            rows(c.estimatedRows),
            c.newDefault ? `default ${c.newDefault}` : 'no default',
          ]),
        )),
  );
  out.push('', 'References to convert (child -> parent)');
  out.push(
    ...(refs.length === 0
      ? ['  none']
      : table(
          refs.map((r) => [
            r.id,
            modeOf(r, blockers),
            r.sources.map((s) => (s === 'foreign-key' ? `foreign key ${r.constraint?.name}` : s)).join(' + '),
            lostMapping(r, blockers) ? 'orphans unknown' : `orphans ${r.orphans}`,
            rows(r.estimatedRows),
          ]),
        )),
  );
  if (plan.mistakes.length) {
    out.push('', 'Schema mistakes (declared integer, but references a uuid key: planned as uuid)');
    out.push(
      ...plan.mistakes.map(
        (m) =>
          `  ${displayColumn(m.table, m.column)} is declared ${m.declaredType} but references ` +
          `${displayColumn(m.parent, m.parentColumn)} (uuid); declare it uuid in the Drizzle schema`,
      ),
    );
  }
  const informational = Object.entries(INFORMATIONAL).flatMap(([kind, summary]) => {
    const found = plan.warnings.filter((w) => w.kind === kind);
    if (!found.length) return [];
    return options.verbose
      ? found.map((w) => `  ${w.message}`)
      : [`  ${summary(found.length)} (--verbose lists them).`];
  });
  if (informational.length) out.push('', 'For information', ...informational);
  if (plan.stages.length && !blockers.length) {
    out.push('', 'Stages (strongest lock per table)');
    out.push(...table(plan.stages.map((s) => [s.id, s.name, `${s.steps.length} statements`, locksOf(s.steps)])));
  }
  return `${out.join('\n')}\n`;
}

/** Where the old integer goes; a key the application supplied says that its legacy column gets a sequence. */
function keeps(plan: Plan, c: Plan['conversions'][number]): string {
  const table = plan.catalog.tables.find((t) => sameTable(t, c.table));
  const column = table?.columns.find((col) => col.name === c.column);
  const supplied = column && appSupplied(column);
  return supplied
    ? `keeps ${c.legacyColumn} (with a new sequence: ${c.column} had no default)`
    : `keeps ${c.legacyColumn}`;
}

/** A repair whose parent kept no mapping: its orphans were not counted (there is nothing to join on). */
const lostMapping = (r: Plan['references'][number], blockers: Finding[]) =>
  blockers.some((b) => b.kind === 'lost-mapping' && sameTable(b.table, r.parent));

function modeOf(r: Plan['references'][number], blockers: Finding[]): string {
  if (r.mode === 'convert') return 'convert';
  if (lostMapping(r, blockers)) return 'repair: mapping lost';
  return `repair via ${displayTable(r.parent)}.${r.joinColumns[r.columns.indexOf(r.convertColumns[0]!)]}`;
}

function locksOf(steps: Plan['stages'][number]['steps']): string {
  const strongest = new Map<string, number>();
  for (const s of steps) {
    if (!s.table) continue;
    const level = LOCK_LEVELS.indexOf(s.lock);
    strongest.set(s.table, Math.min(strongest.get(s.table) ?? Infinity, level));
  }
  return [...strongest].map(([t, l]) => `${LOCK_LEVELS[l]} ${t}`).join(', ');
}
