import { describe, expect, test } from 'vitest';
import { findComponents } from '../../src/model/components.js';
import { findWork } from '../../src/model/find-work.js';
import { displayTable } from '../../src/model/types.js';
import { componentChanges } from '../../src/planner/component-changes.js';
import { lockOrder } from '../../src/planner/lock-order.js';
import { planMigration } from '../../src/planner/plan-migration.js';
import type { Plan, Stage, Strategy } from '../../src/planner/plan-schema.js';
import { planCopyRewrite } from '../../src/planner/rewrite-stage.js';
import { stage as numbered } from '../../src/planner/step.js';
import { applicationNote } from '../../src/render/dry-run.js';
import { catalogOf, drizzleOf, ref, type TableSpec } from '../helpers/model-builder.js';

/** The pure planner on in-memory catalogs: components, lock order, key maps, stage splitting. */

function planOf(
  specs: TableSpec[],
  strategy: Strategy = 'rewrite',
  edit: (catalog: ReturnType<typeof catalogOf>) => void = () => {},
): Plan {
  const catalog = catalogOf(specs);
  edit(catalog);
  const schema = drizzleOf(specs);
  const work = findWork(catalog, schema, { legacyColumn: 'legacy_id' });
  expect(work.blockers).toEqual([]);
  return planMigration({
    catalog,
    schema,
    work,
    orphans: [],
    options: { legacyColumn: 'legacy_id', orphans: 'fail', name: 'unit', strategy },
    now: new Date('2026-01-02T03:04:05Z'),
  });
}

/** The changes of the component that holds table `name`, as the planner sees them. */
function changesOf(specs: TableSpec[], name: string) {
  const plan = planOf(specs);
  const catalog = catalogOf(specs);
  const component = plan.components.find((c) => c.tables.some((t) => t.name === name))!;
  return componentChanges(component, {
    catalog,
    conversions: plan.conversions,
    references: plan.references,
    orphans: new Map(),
    orphanPolicy: 'fail',
  });
}

/** The copy rewrite (the path a repair takes) of the component that holds the first table, as a stage. */
function copyRewriteOf(specs: TableSpec[]): Stage {
  const changes = changesOf(specs, specs[0]!.name);
  const drafts = planCopyRewrite(changes, [], false, '0000', new Set());
  return numbered('0000', 'rewrite', 'unit', changes.component.id, drafts);
}

const sqlOf = (stage: Stage, kind: string) => stage.steps.filter((s) => s.kind === kind).map((s) => s.sql);
/** The statements that read each table once into a temporary copy with its new uuids. */
const copies = (stage: Stage) => stage.steps.filter((s) => s.description.startsWith('read every row'));
/** The separate key maps (old integer -> uuid) a key gets when no copy can serve as its map. */
const separateMaps = (stage: Stage) => stage.steps.filter((s) => /^give every .* its uuid$/.test(s.description));

describe('findComponents', () => {
  test('tables linked through any group end up in one component, named after the table in most groups', () => {
    const components = findComponents([
      [ref('users'), ref('posts')],
      [ref('posts'), ref('comments')],
      [ref('users'), ref('comments')],
      [ref('users')],
      [ref('tags')],
    ]);
    expect(components.map((c) => c.id)).toEqual(['public.tags', 'public.users']);
    expect(components[1]!.tables.map((t) => t.name)).toEqual(['comments', 'posts', 'users']);
  });

  test('schema "a.b" with table "c" and schema "a" with table "b.c" stay two tables', () => {
    const components = findComponents([[ref('c', 'a.b')], [ref('b.c', 'a')]]);
    expect(components).toHaveLength(2);
    expect(components.flatMap((c) => c.tables)).toContainEqual(ref('b.c', 'a'));
    expect(components.flatMap((c) => c.tables)).toContainEqual(ref('c', 'a.b'));
  });

  test('the order of the groups does not change the result', () => {
    const groups = [[ref('b'), ref('a')], [ref('c')], [ref('c'), ref('d')], [ref('a')]];
    expect(findComponents([...groups].reverse())).toEqual(findComponents(groups));
  });
});

describe('lockOrder', () => {
  const specs: TableSpec[] = [
    { name: 'post_reactions', refs: { post_id: 'posts', user_id: 'users' } },
    { name: 'posts', refs: { author_id: 'users' } },
    { name: 'users' },
    { name: 'a_loop', refs: { next_id: 'b_loop' } },
    { name: 'b_loop', refs: { next_id: 'a_loop' } },
  ];

  const orderOf = (names: string[]) => {
    const changes = changesOf(specs, names[0]!);
    const tables = catalogOf(specs).tables.filter((t) => names.includes(t.name));
    return lockOrder(tables, changes).map((t) => t.name);
  };

  test('every table comes after the tables it references (parents first), whatever the name order', () => {
    expect(orderOf(['post_reactions', 'posts', 'users'])).toEqual(['users', 'posts', 'post_reactions']);
  });

  test('a cycle is broken by name, and every table is locked once', () => {
    expect(orderOf(['b_loop', 'a_loop'])).toEqual(['b_loop', 'a_loop']);
  });

  test('the rewrite stage locks in that order before any other statement that takes a lock', () => {
    const stage = planOf(specs).stages.find((s) => s.steps.some((x) => x.table === 'public.post_reactions'))!;
    const first = stage.steps.find((s) => s.lock !== 'NONE')!;
    expect(first.kind).toBe('lock');
    expect(first.sql).toBe(
      'LOCK TABLE "public"."users", "public"."posts", "public"."post_reactions" IN ACCESS EXCLUSIVE MODE',
    );
  });
});

describe('key maps of the copy rewrite (a repair)', () => {
  test('a parent is read before its children, and its copy serves as their map (no separate map)', () => {
    const stage = copyRewriteOf([{ name: 'users' }, { name: 'posts', refs: { author_id: 'users' } }]);
    const fills = copies(stage);
    expect(fills.map((s) => s.table)).toEqual(['public.users', 'public.posts']);
    expect(separateMaps(stage)).toEqual([]);
    // posts' new author_id is looked up in the copy of users, joined on the old integer.
    const [usersCopy] = /"uuidmig_0000_rows_\d+"/.exec(fills[0]!.sql)!;
    expect(fills[1]!.sql).toContain(usersCopy);
    expect(fills[1]!.sql).toMatch(/LEFT JOIN/);
    // users' copy is analyzed, so joins on it hash the small side.
    expect(sqlOf(stage, 'setting')).toContain(`ANALYZE ${usersCopy}`);
  });

  test('a self-reference gets a separate key map, filled before the copy that uses it', () => {
    const stage = copyRewriteOf([{ name: 'nodes', refs: { parent_id: 'nodes' } }]);
    const [map] = separateMaps(stage);
    expect(map!.sql).toMatch(/SELECT DISTINCT "id" AS old FROM "public"."nodes"/);
    const [mapName] = /"uuidmig_0000_map_\d+"/.exec(map!.sql)!;
    const [copy] = copies(stage);
    expect(stage.steps.indexOf(map!)).toBeLessThan(stage.steps.indexOf(copy!));
    // Both the key and the self-reference are looked up in the one map.
    expect(copy!.sql.split(`LEFT JOIN ${mapName}`)).toHaveLength(3);
  });

  test('a cycle of two tables: each key still maps once, every reference is filled through a join', () => {
    const stage = copyRewriteOf([
      { name: 'a_loop', refs: { next_id: 'b_loop' } },
      { name: 'b_loop', refs: { next_id: 'a_loop' } },
    ]);
    expect(
      copies(stage)
        .map((s) => s.table)
        .sort(),
    ).toEqual(['public.a_loop', 'public.b_loop']);
    // One copy must be read first, so at least one key cannot wait for a copy: it gets a separate map.
    expect(separateMaps(stage).length).toBeGreaterThanOrEqual(1);
    for (const copy of copies(stage)) expect(copy.sql).toMatch(/LEFT JOIN "uuidmig_0000_(map|rows)_\d+" AS j\d ON/);
  });
});

describe('stage splitting', () => {
  const forum: TableSpec[] = [
    { name: 'users' },
    { name: 'posts', refs: { author_id: 'users' } },
    { name: 'sessions', refs: { user_id: 'users' } },
    { name: 'tags' },
    { name: 'audit', refs: { tag_id: 'tags' } },
    { name: 'tag_uses', refs: { tag_id: 'tags' } },
  ];

  test('rewrite: one stage per component, numbered in order and named after its hub, then its validate', () => {
    const plan = planOf(forum);
    expect(plan.stages.map((s) => [s.id, s.name, s.component, s.transactional])).toEqual([
      ['0000', 'rewrite_tags', 'public.tags', true],
      ['0001', 'validate_tags', 'public.tags', false],
      ['0002', 'rewrite_users', 'public.users', true],
      ['0003', 'validate_users', 'public.users', false],
    ]);
    expect(plan.stages[2]!.steps.map((s) => s.id).slice(0, 2)).toEqual(['0002.001', '0002.002']);
    // The rewrite adds each foreign key NOT VALID (no scan under its lock); the stage after validates it.
    const added = plan.stages[2]!.steps.filter((s) => /ADD CONSTRAINT .*_fkey/.test(s.sql));
    expect(added.map((s) => s.sql.endsWith(' NOT VALID'))).toEqual([true, true]);
    expect(plan.stages[3]!.steps.map((s) => [s.sql, s.lock])).toEqual([
      ['ALTER TABLE "public"."posts" VALIDATE CONSTRAINT "posts_author_id_fkey"', 'SHARE UPDATE EXCLUSIVE'],
      ['ALTER TABLE "public"."sessions" VALIDATE CONSTRAINT "sessions_user_id_fkey"', 'SHARE UPDATE EXCLUSIVE'],
    ]);
  });

  test('rewrite: a foreign key on a partitioned table is validated inside the stage; one NOT VALID stays so', () => {
    const plan = planOf(forum, 'rewrite', (catalog) => {
      const table = (name: string) => catalog.tables.find((t) => t.name === name)!;
      table('posts').kind = 'partitioned';
      table('sessions').foreignKeys[0]!.definition = 'FOREIGN KEY (user_id) REFERENCES public.users(id) NOT VALID';
    });
    const rewrite = plan.stages.find((s) => s.name === 'rewrite_users')!;
    const added = (name: string) => rewrite.steps.find((s) => s.sql.includes(`ADD CONSTRAINT "${name}"`))!.sql;
    expect(added('posts_author_id_fkey')).not.toMatch(/NOT VALID/);
    expect(added('sessions_user_id_fkey')).toMatch(/REFERENCES public\.users\(id\) NOT VALID$/);
    expect(plan.stages.map((s) => s.name)).toEqual(['rewrite_tags', 'validate_tags', 'rewrite_users']);
  });

  test('update: expand, backfill and swap per component, in that order', () => {
    const plan = planOf(forum, 'update');
    expect(plan.stages.map((s) => s.name)).toEqual([
      'expand_tags',
      'backfill_tags',
      'swap_tags',
      'expand_users',
      'backfill_users',
      'swap_users',
    ]);
    // The expand adds uuid columns, the backfill fills them, and only the swap renames.
    const [expand, backfill, swap] = plan.stages.slice(3);
    expect(sqlOf(expand!, 'expand').join('\n')).toMatch(/ADD COLUMN "id__uuidmig_new" uuid/);
    expect(sqlOf(backfill!, 'fill').join('\n')).toMatch(/UPDATE "public"."posts"/);
    expect([...sqlOf(expand!, 'rename'), ...sqlOf(backfill!, 'rename')]).toEqual([]);
    expect(sqlOf(swap!, 'rename').join('\n')).toMatch(/RENAME COLUMN "id" TO "legacy_id"/);
  });

  test('a component with an inheritance child is updated in place even when rewrite is asked', () => {
    const plan = planOf([{ name: 'events' }, { name: 'special_events', parent: 'events' }]);
    expect(plan.stages.map((s) => s.kind)).toEqual(['expand', 'backfill', 'swap']);
  });

  test('rewrite asked: a component updated in place for its inheritance child is warned of, named in the note', () => {
    const specs: TableSpec[] = [
      { name: 'events' },
      { name: 'special_events', parent: 'events' },
      { name: 'users' },
      { name: 'posts', refs: { author_id: 'users' } },
    ];
    const plan = planOf(specs);
    expect(plan.options.strategy).toBe('rewrite');
    expect(plan.stages.map((s) => `${s.kind} ${s.component}`)).toEqual([
      'expand public.events',
      'backfill public.events',
      'swap public.events',
      'rewrite public.posts',
      'validate public.posts',
    ]);
    expect(plan.warnings.filter((w) => w.kind === 'inheritance-update').map((w) => w.message)).toEqual([
      expect.stringMatching(
        new RegExp(
          /^public\.events has inheritance children \(old-style INHERITS: public\.special_events\): /.source +
            /its component public\.events migrates by expand, backfill and swap/.source,
        ),
      ),
    ]);
    const note = applicationNote(plan);
    expect(note).toMatch(/^Component public\.posts: each rewrite stage locks its component ACCESS EXCLUSIVE/);
    expect(note).toContain(
      '. Component public.events (inheritance children: expand, backfill and swap): the expand stage locks',
    );
    // Asked for update, nothing is a surprise: no warning, and the note names no component.
    const updated = planOf(specs, 'update');
    expect(updated.warnings.filter((w) => w.kind === 'inheritance-update')).toEqual([]);
    expect(applicationNote(updated)).toMatch(/^The expand stage locks the tables ACCESS EXCLUSIVE/);
  });

  test('a key that stays integer is not converted, and its references are not touched', () => {
    const plan = planOf([
      { name: 'users' },
      { name: 'countries', staysInteger: true },
      { name: 'people', refs: { country_id: 'countries', user_id: 'users' } },
    ]);
    expect(plan.conversions.map((c) => displayTable(c.table))).toEqual(['public.people', 'public.users']);
    expect(plan.references.map((r) => `${r.child.name}.${r.columns[0]}`)).toEqual(['people.user_id']);
  });
});

describe('references from relations()', () => {
  test('a relation onto columns that are not a key of the parent is left out, with a warning', () => {
    const specs: TableSpec[] = [{ name: 'users' }, { name: 'posts', refs: { author_id: 'users' } }];
    const catalog = catalogOf(specs);
    catalog.tables[0]!.columns.push({ ...catalog.tables[0]!.columns[0]!, name: 'team', default: null });
    const schema = drizzleOf(specs);
    schema.tables[1]!.references.push({
      columns: ['author_id'],
      refSchema: 'public',
      refTable: 'users',
      refColumns: ['team'],
      source: 'drizzle-relation',
    });
    const work = findWork(catalog, schema, { legacyColumn: 'legacy_id' });
    expect(work.references.map((r) => r.id)).toEqual(['public.posts.author_id -> public.users.id']);
    expect(work.warnings.map((w) => w.kind)).toContain('relation-without-key');
  });
});

test('online build: a check is added under ACCESS EXCLUSIVE, a foreign key under SHARE ROW EXCLUSIVE', () => {
  const adds = planOf([{ name: 'posts', refs: { author_id: 'users' } }, { name: 'users' }], 'online')
    .stages.filter((s) => s.kind === 'build')
    .flatMap((s) => s.steps)
    .filter((s) => s.description.startsWith('add '));
  const lockOf = (kind: RegExp) => [...new Set(adds.filter((s) => kind.test(s.sql)).map((s) => s.lock))];
  expect(lockOf(/ADD CONSTRAINT \S+ CHECK/)).toEqual(['ACCESS EXCLUSIVE']);
  expect(lockOf(/ADD CONSTRAINT \S+ FOREIGN KEY/)).toEqual(['SHARE ROW EXCLUSIVE']);
});

describe('online backfill walks', () => {
  const walksOf = (specs: TableSpec[]) =>
    planOf(specs, 'online')
      .stages.filter((s) => s.kind === 'backfill')
      .flatMap((s) => s.steps.filter((step) => step.batch)) // the walks; the ANALYZE after them aside
      .map((s) => `${s.table}: ${s.sql.split(' WHERE ')[0]!.replace(/^UPDATE "public"."\w+" AS c SET /, '')}`);

  test('each table is walked once, keys and references together, parents first', () => {
    const walks = walksOf([
      { name: 'likes', refs: { post_id: 'posts', user_id: 'users' } },
      { name: 'posts', refs: { author_id: 'users' } },
      { name: 'users' },
    ]);
    expect(walks.map((w) => w.split(':')[0])).toEqual(['public.users', 'public.posts', 'public.likes']);
    expect(walks[0]).toBe('public.users: "id__uuidmig_new" = gen_random_uuid()');
    // posts keeps a uuid its default gave a row written since the expand, and takes its author's in the same UPDATE.
    expect(walks[1]).toMatch(
      /^public.posts: "id__uuidmig_new" = coalesce\(c."id__uuidmig_new", gen_random_uuid\(\)\), /,
    );
    expect(walks[1]).toContain('"author_id__uuidmig_new" = (SELECT p."id__uuidmig_new" FROM "public"."users" AS p');
  });

  test('a self-reference reads keys given in a walk of their own, before', () => {
    const walks = walksOf([{ name: 'nodes', refs: { parent_id: 'nodes' } }]);
    expect(walks).toEqual([
      'public.nodes: "id__uuidmig_new" = gen_random_uuid()',
      expect.stringMatching(/^public.nodes: "parent_id__uuidmig_new" = \(SELECT p."id__uuidmig_new" FROM/),
    ]);
  });

  test('a cycle of two tables: both keys first, then the references', () => {
    const walks = walksOf([
      { name: 'a_loop', refs: { next_id: 'b_loop' } },
      { name: 'b_loop', refs: { next_id: 'a_loop' } },
    ]);
    expect(walks.slice(0, 2).every((w) => w.endsWith('= gen_random_uuid()'))).toBe(true);
    expect(walks.slice(2).every((w) => w.includes('"next_id__uuidmig_new" = (SELECT'))).toBe(true);
    expect(walks).toHaveLength(4);
  });
});

describe('the keyed rewrite', () => {
  const rewrites = (stage: Stage) => stage.steps.filter((s) => s.description.startsWith('rewrite '));
  /** Each `ALTER COLUMN <col> TYPE uuid USING <uuid function>(<key number>, <col>)`, as `<col>` -> key number. */
  const keyNumbers = (sql: string) =>
    Object.fromEntries(
      [...sql.matchAll(/ALTER COLUMN "(\w+)" TYPE uuid USING pg_temp\."uuidmig_0000_uuid"\((\d+), "\1"\)/g)].map(
        (m) => [m[1], Number(m[2])],
      ),
    );

  test('each table rewritten once, in place: a reference hashes its integer with its parent key', () => {
    const stage = planOf([{ name: 'users' }, { name: 'posts', refs: { author_id: 'users' } }]).stages[0]!;
    const sql = stage.steps.map((s) => s.sql);
    const [users, posts] = rewrites(stage);
    expect([users!.table, posts!.table]).toEqual(['public.users', 'public.posts']);
    expect(users!.sql).toMatch(/^ALTER TABLE "public"."users" ALTER COLUMN "legacy_id" TYPE integer USING "id", /);
    expect(posts!.sql).toContain('ALTER COLUMN "author_id__uuidmig_old" TYPE integer USING "author_id"');
    const [u, p] = [keyNumbers(users!.sql), keyNumbers(posts!.sql)];
    expect(p.author_id).toBe(u.id);
    expect(p.id).not.toBe(u.id);
    // The integers' columns are added first, at the end of the table, with nothing to write.
    expect(sql).toContain('ALTER TABLE "public"."users" ADD COLUMN "legacy_id" integer NOT NULL DEFAULT 0');
    expect(sql).toContain('ALTER TABLE "public"."posts" ADD COLUMN "author_id__uuidmig_old" integer');
    // The serial's default and sequence move to the legacy column before the type changes.
    const moved = sql.indexOf(`ALTER SEQUENCE public.users_id_seq OWNED BY "public"."users"."legacy_id"`);
    expect(moved).toBeGreaterThan(-1);
    expect(moved).toBeLessThan(sql.indexOf(users!.sql));
    // No copy, no map, no emptied table, no second write, no rename.
    expect(sql.some((s) => /TEMPORARY|TRUNCATE|INSERT INTO|RENAME COLUMN|__uuidmig_new/.test(s))).toBe(false);
    // The function that holds the secret is made by the server, after the lock, and dropped at the end.
    const made = sql.findIndex((s) => s.includes('uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid())'));
    expect(made).toBeGreaterThan(sql.findIndex((s) => s.startsWith('LOCK TABLE')));
    expect(sql.at(-1)).toMatch(/^DROP FUNCTION pg_temp."uuidmig_0000_uuid"\(integer, bigint\)/);
  });

  test('a self-reference hashes with its own table key; a cycle with the key each side references', () => {
    const self = rewrites(planOf([{ name: 'nodes', refs: { parent_id: 'nodes' } }]).stages[0]!);
    expect(self).toHaveLength(1);
    const n = keyNumbers(self[0]!.sql);
    expect(n.parent_id).toBe(n.id);
    const loop = rewrites(
      planOf([
        { name: 'a_loop', refs: { next_id: 'b_loop' } },
        { name: 'b_loop', refs: { next_id: 'a_loop' } },
      ]).stages[0]!,
    ).map((s) => keyNumbers(s.sql));
    expect(loop).toHaveLength(2);
    expect(loop[0]!.next_id).toBe(loop[1]!.id);
    expect(loop[1]!.next_id).toBe(loop[0]!.id);
  });
});
