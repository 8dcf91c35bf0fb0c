import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { runLifecycle } from '../helpers/lifecycle.js';

/** Every fixture through apply -> verify -> rollback -> verify -> apply -> verify -> finalize. */
let db: TestDatabase;
beforeEach(async (ctx) => {
  db = await createTestDatabase(ctx.task.name);
});
afterEach(async () => db.drop());

describe('the whole journey, row for row', () => {
  for (const fixture of [
    'self-reference',
    'composite-fk',
    'key-types',
    'quoted-names',
    'camel-case',
    'second-schema',
    'text-key',
    'repair',
    'deferrable-fk',
    'view-on-key',
    'partitioned',
    'partitions-pulled',
    'inheritance',
    'cycle-components',
    'hostile-names',
    'no-pk',
  ]) {
    test(fixture, async () => {
      const plan = await runLifecycle(db, fixture);
      expect(plan.stages.length).toBeGreaterThan(0);
    });
  }

  test('views keep their definition, options, owner, comment, grants and indexes', async () => {
    await runLifecycle(db, 'views-grants', {
      afterApply: async () => {
        const views = await db.sql`
        SELECT c.relname, pg_get_userbyid(c.relowner) AS owner, obj_description(c.oid, 'pg_class') AS comment,
               c.reloptions AS options, has_table_privilege('uuidmig_reader', c.oid, 'SELECT') AS reader,
               has_table_privilege('uuidmig_reader', c.oid, 'SELECT WITH GRANT OPTION') AS regrants
        FROM pg_class c WHERE c.relname IN ('active_users', 'active_authors', 'post_counts') ORDER BY 1`;
        const seen = (v: (typeof views)[number]) => [v.owner === 'uuidmig_view_owner', v.comment, v.options, v.reader];
        expect(views.map((v) => [v.relname, ...seen(v), v.regrants])).toEqual([
          ['active_authors', true, 'authors with posts, active only', null, true, false],
          ['active_users', false, null, ['security_barrier=true'], false, false],
          ['post_counts', false, 'refreshed nightly', null, true, true],
        ]);
        const [counts] = await db.sql`SELECT count(*)::int AS n, sum(n)::int AS posts FROM post_counts`;
        expect(counts).toEqual({ n: 3, posts: 4 });
        const [index] =
          await db.sql`SELECT indisunique FROM pg_index WHERE indexrelid = 'post_counts_author'::regclass`;
        expect(index!.indisunique).toBe(true);
      },
    });
  });

  test('row-level security: policies rebuilt, ENABLE and FORCE kept', async () => {
    await runLifecycle(db, 'rls-policies', {
      afterApply: async () => {
        const [table] =
          await db.sql`SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = 'documents'`;
        expect(table).toEqual({ relrowsecurity: true, relforcerowsecurity: true });
        const policies = await db.sql`
        SELECT policyname, permissive, roles::text[] AS roles, cmd, qual, with_check FROM pg_policies
        WHERE tablename = 'documents' ORDER BY 1`;
        expect(policies).toEqual([
          {
            policyname: 'documents_active_owners',
            permissive: 'PERMISSIVE',
            roles: ['public'],
            cmd: 'SELECT',
            qual: expect.stringContaining('SELECT u.id'),
            with_check: null,
          },
          {
            policyname: 'documents_no_orphans',
            permissive: 'RESTRICTIVE',
            roles: ['uuidmig_reader'],
            cmd: 'INSERT',
            qual: null,
            with_check: '((owner_id IS NOT NULL) AND (id IS NOT NULL))',
          },
        ]);
        const [column] = await db.sql`
        SELECT format_type(atttypid, atttypmod) AS t FROM pg_attribute a JOIN pg_policy p ON p.polrelid = a.attrelid
        JOIN pg_depend d ON d.objid = p.oid AND d.refobjsubid = a.attnum
        WHERE p.polname = 'documents_no_orphans' AND a.attname = 'owner_id'`;
        expect(column!.t).toBe('uuid');
      },
    });
  });

  const triggersTitle =
    "user triggers do not fire for the migration's writes, are rebuilt when bound, and keep their state";
  test(triggersTitle, async () => {
    await runLifecycle(db, 'triggers', {
      afterApply: async () => {
        const triggers = await db.sql`SELECT tgname, tgenabled FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1`;
        expect(triggers.map((t) => [t.tgname, t.tgenabled])).toEqual([
          ['posts_author_changed', 'O'],
          ['posts_touch', 'O'],
          ['users_audit', 'O'],
          ['users_disabled', 'D'],
        ]);
        expect((await db.sql`SELECT count(*)::int AS n FROM post_audit`)[0]!.n).toBe(0);
        const [def] =
          await db.sql`SELECT pg_get_triggerdef(oid) AS d FROM pg_trigger WHERE tgname = 'posts_author_changed'`;
        expect(def!.d).toContain(
          'AFTER UPDATE OF author_id ON public.posts FOR EACH ROW ' +
            'WHEN ((old.author_id IS DISTINCT FROM new.author_id))',
        );
        // ...and still fires for the application's writes, on the uuid column.
        await db.sql`UPDATE posts SET author_id = (SELECT id FROM users WHERE name = 'brian') WHERE title = 'a'`;
        expect((await db.sql`SELECT count(*)::int AS n FROM post_audit WHERE note = 'author changed'`)[0]!.n).toBe(1);
        await db.sql`UPDATE posts SET author_id = (SELECT id FROM users WHERE name = 'ada') WHERE title = 'a'`;
        // Undo the application's writes (with posts_touch held off, as uuidmig does).
        await db.sql`DELETE FROM post_audit`;
        await db.sql.unsafe(
          [
            'ALTER TABLE posts DISABLE TRIGGER posts_touch;',
            "UPDATE posts SET updated_at = '2026-01-01';",
            'ALTER TABLE posts ENABLE TRIGGER posts_touch',
          ].join(' '),
        );
      },
    });
  });

  test('constraints, indexes, column comments and column grants follow the uuid columns', async () => {
    await runLifecycle(db, 'constraints-indexes', {
      afterApply: async () => {
        const comments = await db.sql`SELECT attname, col_description(attrelid, attnum) AS c FROM pg_attribute
        WHERE attrelid IN ('posts'::regclass, 'users'::regclass) AND attname IN ('author_id', 'id')
          AND col_description(attrelid, attnum) IS NOT NULL ORDER BY 1`;
        expect(comments.map((r) => [r.attname, r.c])).toEqual([
          ['author_id', 'who wrote it'],
          ['id', 'the user'],
        ]);
        const [grant] =
          await db.sql`SELECT has_column_privilege('uuidmig_reader', 'posts', 'author_id', 'SELECT') AS ok`;
        expect(grant!.ok).toBe(true);
        const defs = await db.sql`
        SELECT conname, pg_get_constraintdef(oid) AS d FROM pg_constraint
        WHERE conrelid IN ('posts'::regclass, 'invoices'::regclass) AND contype IN ('c', 'f', 'u') ORDER BY 1`;
        const byName = Object.fromEntries(defs.map((d) => [d.conname, d.d]));
        expect(byName.posts_author_or_draft).toBe("CHECK (((author_id IS NOT NULL) OR (status = 'draft'::text)))");
        expect(byName.posts_reviewer_fk).toBe('FOREIGN KEY (reviewer_id) REFERENCES users(id) MATCH FULL');
        expect(byName.invoices_user_public_id_fkey).toBe(
          'FOREIGN KEY (user_public_id) REFERENCES users(public_id) NOT VALID',
        );
        if (Number((await db.sql`SHOW server_version_num`)[0]!.server_version_num) >= 150000) {
          expect(byName.invoices_one_per_user).toBe('UNIQUE NULLS NOT DISTINCT (user_public_id, amount)');
        }
        const indexes = await db.sql`
        SELECT indexrelid::regclass::text AS name, pg_get_indexdef(indexrelid) AS d FROM pg_index
        WHERE indrelid = 'posts'::regclass ORDER BY 1`;
        expect(indexes.map((i) => i.d)).toEqual(
          expect.arrayContaining([
            'CREATE INDEX posts_published_author ON public.posts USING btree (author_id) ' +
              "WHERE ((author_id IS NOT NULL) AND (status = 'published'::text))",
            'CREATE INDEX posts_either_person ON public.posts USING btree (COALESCE(reviewer_id, author_id))',
            'CREATE INDEX posts_author_status ON public.posts USING btree (author_id, status) INCLUDE (title)',
          ]),
        );
        const [stats] =
          await db.sql`SELECT pg_get_statisticsobjdef(oid) AS d FROM pg_statistic_ext WHERE stxname = 'posts_people'`;
        expect(stats!.d).toBe(
          'CREATE STATISTICS public.posts_people (dependencies) ON author_id, reviewer_id FROM posts',
        );
        const [legacy] = await db.sql`
        SELECT count(*)::int AS n FROM pg_attribute
        WHERE attrelid = 'users'::regclass AND attname IN ('legacy_id', 'public_id_legacy')`;
        expect(legacy!.n).toBe(2);
      },
    });
  });

  test('the rewrite keeps every column where it stood; identities and sequences move with the integers', async () => {
    const columns = async (table: string) =>
      (
        await db.sql`SELECT attname, format_type(atttypid, atttypmod) AS type, attidentity AS identity
          FROM pg_attribute WHERE attrelid = ${table}::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`
      ).map((r) => `${r.attname} ${r.type}${r.identity ? ` identity ${r.identity}` : ''}`);
    await runLifecycle(db, 'key-types', {
      afterApply: async () => {
        expect(await columns('devices')).toEqual([
          'id uuid',
          'account_id uuid',
          'region_id uuid',
          'legacy_id integer identity a',
          'account_id__uuidmig_old bigint',
          'region_id__uuidmig_old smallint',
        ]);
        expect(await columns('sessions')).toEqual([
          'id uuid',
          'device_id uuid',
          'started_at timestamp with time zone',
          'legacy_id bigint identity d',
          'device_id__uuidmig_old integer',
        ]);
        // The identity goes on from where it was (not from its start), under its old sequence name.
        const [seq] = await db.sql`SELECT pg_get_serial_sequence('devices', 'legacy_id') AS name`;
        expect(seq!.name).toBe('public.devices_id_seq');
        const [state] = await db.sql`SELECT last_value::int AS n FROM devices_id_seq`;
        const [account] = await db.sql`SELECT id FROM accounts LIMIT 1`;
        const [added] = await db.sql`INSERT INTO devices (account_id) VALUES (${account!.id}) RETURNING legacy_id`;
        expect(added!.legacy_id).toBe(state!.n + 1);
        await db.sql`DELETE FROM devices WHERE legacy_id = ${added!.legacy_id}`;
      },
    });
  });

  test("an inheritance child's own key, foreign key and index follow its inherited columns to uuid", async () => {
    const plan = await runLifecycle(db, 'inheritance', {
      afterApply: async () => {
        const defs = await db.sql`SELECT conname, pg_get_constraintdef(oid) AS d, convalidated AS ok FROM pg_constraint
        WHERE conrelid = 'cars'::regclass AND contype IN ('p', 'f') ORDER BY 1`;
        expect(defs.map((d) => [d.conname, d.d, d.ok])).toEqual([
          ['cars_owner_fkey', 'FOREIGN KEY (owner_id) REFERENCES owners(id) ON DELETE SET NULL', true],
          ['cars_pkey', 'PRIMARY KEY (id)', true],
        ]);
        const types = await db.sql`SELECT attname, format_type(atttypid, atttypmod) AS t FROM pg_attribute
        WHERE attrelid = 'cars_owner_idx'::regclass OR (attrelid = 'cars_pkey'::regclass) ORDER BY 1`;
        expect(types.map((r) => [r.attname, r.t])).toEqual([
          ['id', 'uuid'],
          ['owner_id', 'uuid'],
        ]);
      },
    });
    // The child converts with its parent: nothing says its columns are left as they are; the one warning
    // says that its component is updated in place (expand, backfill, swap) though rewrite was asked.
    expect(plan.warnings.map((w) => w.kind)).toEqual(['inheritance-update']);
  });

  for (const strategy of ['rewrite', 'update', 'online'] as const) {
    test(`application-supplied keys: legacy columns get a sequence past the largest value (${strategy})`, async () => {
      await runLifecycle(db, 'app-supplied-keys', {
        strategy,
        afterApply: async () => {
          // The application now inserts with uuids only: the legacy integers come from the new sequences.
          const [artist] = await db.sql`INSERT INTO artists (name) VALUES ('dora') RETURNING artist_id, legacy_id`;
          expect(artist!.legacy_id).toBe(43);
          const [album] = await db.sql`INSERT INTO albums (artist_id, title) VALUES (${artist!.artist_id}, 'fourth')
            RETURNING legacy_id`;
          expect(album!.legacy_id).toBe(3000000001n);
          await db.sql`DELETE FROM albums WHERE title = 'fourth'`;
          await db.sql`DELETE FROM artists WHERE name = 'dora'`;
        },
      });
      // Finalize dropped orders' legacy key; the sequence it owned stays for archived_orders' default.
      const [archived] = await db.sql`INSERT INTO archived_orders (note) VALUES ('later') RETURNING id`;
      expect(archived!.id).toBeGreaterThan(2);
    });

    test(`rules are carried, never fire for the migration's writes, and keep their state (${strategy})`, async () => {
      await runLifecycle(db, 'rules', {
        strategy,
        afterApply: async () => {
          // The reload did not fire the audit rule or the routing rule, and the backfill not the UPDATE rule.
          const counts = await db.sql`SELECT (SELECT count(*)::int FROM parent_log) AS log,
            (SELECT count(*)::int FROM events_archive) AS archived,
            (SELECT count(*)::int FROM name_changes) AS renamed`;
          expect(counts[0]).toEqual({ log: 4, archived: 2, renamed: 0 });
          const rules = await db.sql`SELECT rulename, ev_enabled FROM pg_rewrite WHERE rulename <> '_RETURN'
            AND ev_class::regclass::text IN ('children', 'events', 'parents') ORDER BY 1`;
          expect(rules.map((r) => [r.rulename, r.ev_enabled])).toEqual([
            ['children_log', 'O'],
            ['events_route_old', 'O'],
            ['parents_deleted', 'D'],
            ['parents_renamed', 'O'],
          ]);
          // ...and they work for the application's writes, on the uuid columns.
          const [ada] = await db.sql`SELECT id FROM parents WHERE name = 'ada'`;
          await db.sql`INSERT INTO children (parent_id, note) VALUES (${ada!.id}, 'new')`;
          await db.sql`INSERT INTO events (parent_id, kind) VALUES (${ada!.id}, 'old')`;
          const [logged] = await db.sql`SELECT parent_ref FROM parent_log WHERE note = 'new'`;
          expect(logged!.parent_ref).toBe(ada!.id);
          const [routed] = await db.sql`SELECT count(*)::int AS n FROM events_archive WHERE parent_id = ${ada!.id}`;
          expect(routed!.n).toBe(1);
          // Undo the application's writes.
          await db.sql`DELETE FROM children WHERE note = 'new'`;
          await db.sql`DELETE FROM parent_log WHERE note = 'new'`;
          await db.sql`DELETE FROM events_archive WHERE ctid = (SELECT max(ctid) FROM events_archive)`;
        },
      });
    });
  }

  // The update strategy (add, UPDATE, swap) stays available, and inheritance components use it.
  for (const fixture of ['self-reference', 'composite-fk', 'partitioned', 'hostile-names']) {
    test(`${fixture} with --strategy update`, async () => {
      const plan = await runLifecycle(db, fixture, { strategy: 'update' });
      const kinds = plan.components.flatMap(() => ['expand', 'backfill', 'swap']);
      expect(plan.stages.map((s) => s.kind)).toEqual(kinds);
    });
  }

  test('relation-orphans with --orphans null', async () => {
    await runLifecycle(db, 'relation-orphans', { orphans: 'null' });
    const rows = await db.sql`SELECT body FROM comments WHERE post_id IS NULL ORDER BY body`;
    expect(rows.map((r) => r.body)).toEqual(['no post', 'orphan from an old import', 'orphan of a deleted post']);
  });

  test('relation-orphans with --orphans keep keeps the old values after finalize', async () => {
    await runLifecycle(db, 'relation-orphans', { orphans: 'keep' });
    const rows = await db.sql`SELECT post_id_legacy FROM comments WHERE post_id_legacy IS NOT NULL ORDER BY 1`;
    expect(rows.map((r) => r.post_id_legacy)).toEqual([3, 99]);
  });
});
