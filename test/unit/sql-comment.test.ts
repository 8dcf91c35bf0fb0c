import { expect, test } from 'vitest';
import { findWork } from '../../src/model/find-work.js';
import { planMigration } from '../../src/planner/plan-migration.js';
import { statementOf } from '../../src/planner/seal.js';
import { BREAKPOINT, sqlComment } from '../../src/planner/sql-text.js';
import { renderStageSql } from '../../src/render/migrations.js';
import { catalogOf, drizzleOf } from '../helpers/model-builder.js';

/** Names go into the migration files' comment lines: nothing in a name may end the comment or split the file. */

test('sqlComment: one line, whatever the text holds', () => {
  expect(sqlComment('lock: ACCESS EXCLUSIVE on public.t')).toBe('-- lock: ACCESS EXCLUSIVE on public.t');
  expect(sqlComment('on public."a\nDROP TABLE b; --"\r\n\u2028x\ty')).toBe('-- on public."a DROP TABLE b; --" x y');
});

test('a table whose name holds a line break: each chunk of the file is a comment line and its statement', () => {
  const hostile = 'evil\nDROP TABLE users; --';
  const specs = [{ name: hostile }, { name: 'child', refs: { parent_id: hostile } }];
  const catalog = catalogOf(specs);
  const schema = drizzleOf(specs);
  const work = findWork(catalog, schema, { legacyColumn: 'legacy_id' });
  const plan = planMigration({
    catalog,
    schema,
    work,
    orphans: [],
    options: { legacyColumn: 'legacy_id', orphans: 'fail', name: 'unit', strategy: 'rewrite' },
    now: new Date('2026-01-02T03:04:05Z'),
  });
  const stage = plan.stages[0]!;
  expect(stage.steps.some((s) => s.description.includes('\n') || s.table?.includes('\n'))).toBe(true);
  const file = renderStageSql(plan, stage);
  // What drizzle's migrator sends, chunk by chunk: the header's comments, then one comment and its statement.
  const chunks = file.split(BREAKPOINT);
  expect(chunks).toHaveLength(stage.steps.length);
  chunks.forEach((chunk, i) => {
    const lines = chunk.trim().split('\n');
    const comments = lines.filter((l) => l.startsWith('-- '));
    expect(comments.length).toBe(i === 0 ? 4 : 1);
    expect(lines.slice(comments.length).join('\n')).toBe(`${statementOf(stage.steps[i]!)};`);
  });
});
