import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ddlCheckArgs, runUuidmig } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';
import { DRIZZLE_MAJORS, drizzleProject, runKit } from '../helpers/drizzle-project.js';

/**
 * The README's Drizzle workflow as one journey, through the real CLI, in a project drizzle-kit made
 * (integer keys, `out: './drizzle'`, built by `drizzle-kit migrate`): init -> plan -> rehearse ->
 * apply -> the application's deploy -> verify -> finalize -> the team carries on with
 * `drizzle-kit generate`. Nothing is edited by hand between the steps. Once per drizzle major: 0.x
 * (a journal, relations()) and 1.0 (a folder per migration, defineRelations()).
 */
const NEWER_THAN_PG_DUMP = Number(process.env.UUIDMIG_TEST_PG ?? '15') > 15;

describe.each(DRIZZLE_MAJORS)('drizzle-orm and drizzle-kit $major', (major) => {
  let db: TestDatabase;
  let project: string;
  beforeAll(async () => {
    db = await createTestDatabase(`drizzle_journey_${major.major.replace('.', '_')}`);
    project = drizzleProject('uuidmig-journey-', major);
    fs.mkdirSync(path.join(project, 'src'));
    fs.writeFileSync(path.join(project, 'src', 'schema.ts'), major.schema());
    fs.writeFileSync(
      path.join(project, 'drizzle.config.ts'),
      "import { defineConfig } from 'drizzle-kit';\n" +
        "export default defineConfig({ dialect: 'postgresql', schema: './src/schema.ts', out: './drizzle',\n" +
        '  dbCredentials: { url: process.env.DATABASE_URL! } });\n',
    );
  });
  afterAll(async () => {
    await db.drop();
    fs.rmSync(project, { recursive: true, force: true });
  });

  const env = (url = db.url) => ({ DATABASE_URL: url });
  /** uuidmig in the project folder, finding the database through the config, as the README runs it. */
  const uuidmig = (...args: string[]) => runUuidmig(args, { cwd: project, env: env() });
  /** The project's own drizzle-kit in the project folder. */
  function kit(args: string[], url = db.url): string {
    const run = runKit(project, args, url);
    expect(run.ok, run.output).toBe(true);
    return run.output;
  }
  /** The team folder after plan: drizzle-kit 0.x's journal and files, or 1.0's folder per migration. */
  const layout = (names: string[]) =>
    major.major === '0.x' ? names : names.map((n) => n.replace(/^\d{14}_/, '<timestamp>_'));
  const expectedLayout =
    major.major === '0.x'
      ? ['0000_init.sql', '0001_uuid_keys.sql', 'meta']
      : ['<timestamp>_init', '<timestamp>_uuid_keys'];

  /** Every post with its author's and its tags', every comment with its post's, by value. */
  const relationships = (sql: TestDatabase['sql']) =>
    sql`
    SELECT 'post' AS kind, p.title AS row, u.email AS parent FROM posts p JOIN users u ON u.id = p.author_id
    UNION ALL SELECT 'invite', u.email, i.email FROM users u LEFT JOIN users i ON i.id = u.invited_by
    UNION ALL SELECT 'tag', p.title, t.tag_code FROM post_tags t JOIN posts p ON p.id = t.post_id
    UNION ALL SELECT 'comment', c.body, p.title FROM comments c LEFT JOIN posts p ON p.id = c.post_id
  `.then((rows) => rows.map((r) => `${r.kind} ${r.row} -> ${r.parent}`).sort());

  test('init, plan, rehearse, apply, deploy, verify, finalize, then drizzle-kit generate finds nothing', async () => {
    kit(['generate', '--name', 'init']);
    kit(['migrate']);
    await db.sql.unsafe(`
    INSERT INTO users (email, invited_by) SELECT 'u' || g || '@x', NULLIF(g - 1, 0) FROM generate_series(1, 200) g;
    INSERT INTO posts (author_id, title) SELECT 1 + g % 200, 'post ' || g FROM generate_series(1, 600) g;
    INSERT INTO tags VALUES ('news'), ('help');
    INSERT INTO post_tags SELECT g, CASE WHEN g % 2 = 0 THEN 'news' ELSE 'help' END FROM generate_series(1, 600, 7) g;
    INSERT INTO comments (post_id, body) SELECT NULLIF(g % 601, 0), 'comment ' || g FROM generate_series(1, 900) g;
  `);
    const before = await relationships(db.sql);
    expect(before).toHaveLength(200 + 600 + 86 + 900);

    // init: the schema file to uuid keys (0 hand edits); a second run changes nothing.
    const init = await uuidmig('init');
    expect(init.code, init.stderr).toBe(0);
    expect(init.stderr).toContain('init: 1 file changed, 3 keys, 4 references');
    const again = await uuidmig('init');
    expect(again.stderr).toContain('init: 0 files changed');

    // plan: the plan in plans/, the migration as the next entry of the team's folder.
    const made = await uuidmig('plan', ...ddlCheckArgs());
    expect(made.code, made.stderr).toBe(0);
    const [planFile] = fs.readdirSync(path.join(project, 'plans'));
    expect(layout(fs.readdirSync(path.join(project, 'drizzle')).sort())).toEqual(expectedLayout);
    // status knows the plan apply would take, before the database does.
    const planned = (await uuidmig('status')).stdout;
    expect(planned).toContain(`plan ${planFile!.replace('.json', '')} (planned, plans/${planFile})`);
    expect(planned).toContain('next: uuidmig rehearse, then uuidmig apply');

    // rehearse that plan on a copy (pg_dump 15 cannot copy a newer server: the rehearse tests cover that).
    if (!NEWER_THAN_PG_DUMP) {
      const staging = await createTestDatabase('drizzle_journey_staging');
      try {
        const rehearsed = await uuidmig(
          'rehearse',
          '--source-url',
          db.url,
          '--staging-url',
          staging.url,
          '--plan',
          `plans/${planFile}`,
        );
        expect(rehearsed.code, rehearsed.stderr).toBe(0);
        expect(rehearsed.stdout).toContain('Verification: passed; every row kept its parent.');
      } finally {
        await staging.drop();
      }
      expect(await relationships(db.sql)).toEqual(before);
    }

    const applied = await uuidmig('apply', '--yes');
    expect(applied.code, applied.stderr).toBe(0);
    expect(await relationships(db.sql)).toEqual(before);

    // The deploy: the application, on its uuid schema, writes a post and a comment by uuid.
    await db.sql`
    WITH p AS (
      INSERT INTO posts (author_id, title) SELECT id, 'after deploy' FROM users WHERE email = 'u7@x' RETURNING id
    )
    INSERT INTO comments (post_id, body) SELECT id, 'on the new post' FROM p`;

    const verified = await uuidmig('verify');
    expect(verified.code, verified.stdout).toBe(0);
    const finalized = await uuidmig('finalize', '--yes');
    expect(finalized.code, finalized.stderr).toBe(0);
    const status = (await uuidmig('status')).stdout;
    expect(status).toContain('finalized');
    expect(status).not.toContain('(planned,');
    expect(await relationships(db.sql)).toEqual(
      [...before, 'comment on the new post -> after deploy', 'post after deploy -> u7@x'].sort(),
    );

    // The team carries on: drizzle-kit finds nothing to do, its migrate skips uuidmig's entry, and a
    // fresh database built from the history has uuid keys.
    expect(kit(['generate'])).toContain('No schema changes, nothing to migrate');
    kit(['migrate']);
    const fresh = await createTestDatabase('drizzle_journey_fresh');
    try {
      kit(['migrate'], fresh.url);
      const keys = `SELECT table_name || '.' || column_name || ' ' || data_type AS c FROM information_schema.columns
      WHERE table_schema = 'public' AND (column_name = 'id' OR column_name LIKE '%\\_id' OR column_name = 'invited_by')
      ORDER BY 1`;
      const freshKeys = (await fresh.sql.unsafe(keys)).map((r) => r.c);
      expect(freshKeys).toEqual((await db.sql.unsafe(keys)).map((r) => r.c));
      expect(freshKeys.every((c) => c.endsWith(' uuid'))).toBe(true);
    } finally {
      await fresh.drop();
    }
  });
});
