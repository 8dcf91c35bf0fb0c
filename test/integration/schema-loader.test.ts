import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { is } from 'drizzle-orm';
import { PgTable } from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { resolveInputs } from '../../src/api/resolve-inputs.js';
import { importUserModule } from '../../src/schema/import-module.js';
import { loadDrizzleConfig } from '../../src/schema/load-config.js';
import { loadDrizzleSchema } from '../../src/schema/load-schema.js';
import { fixturePath } from '../helpers/fixtures.js';

const OUR_DRIZZLE = path.resolve(fixturePath(''), '..', '..', 'node_modules', 'drizzle-orm');
let tmp: string;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'uuidmig-schema-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('loading a Drizzle schema', () => {
  test('a folder of files: tables, pgSchema, composite keys, references and relations', async () => {
    const model = await loadDrizzleSchema(fixturePath('forum', 'schema'));
    expect(model.tables.map((t) => `${t.schema}.${t.name}`).sort()).toEqual([
      'admin.audit_log',
      'public.categories',
      'public.follows',
      'public.forums',
      'public.notifications',
      'public.post_reactions',
      'public.posts',
      'public.roles',
      'public.settings',
      'public.tags',
      'public.thread_tags',
      'public.threads',
      'public.transactions',
      'public.user_roles',
      'public.users',
      'public.wallets',
    ]);
    const follows = model.tables.find((t) => t.name === 'follows')!;
    expect(follows.primaryKey).toEqual(['follower_id', 'followee_id']);
    const threads = model.tables.find((t) => t.name === 'threads')!;
    expect(threads.references).toContainEqual({
      columns: ['last_post_id'],
      refSchema: 'public',
      refTable: 'posts',
      refColumns: ['id'],
      source: 'drizzle-relation',
    });
    expect(threads.references).toContainEqual(
      expect.objectContaining({
        columns: ['forum_id'],
        refTable: 'forums',
        source: 'drizzle-reference',
        name: 'threads_forum_id_forums_id_fk',
        onDelete: 'cascade',
      }),
    );
    const users = model.tables.find((t) => t.name === 'users')!;
    expect(users.columns.find((c) => c.name === 'id')).toMatchObject({
      type: 'uuid',
      default: 'gen_random_uuid()',
      notNull: true,
    });
    const posts = model.tables.find((t) => t.name === 'posts')!;
    expect(posts.indexes).toEqual(['posts_thread_id_idx']);
  });

  test('enums are read', async () => {
    fs.mkdirSync(path.join(tmp, 'enums'));
    const file = path.join(tmp, 'enums', 'schema.ts');
    fs.writeFileSync(
      file,
      `import { pgEnum, pgTable, serial } from ${JSON.stringify(path.join(OUR_DRIZZLE, 'pg-core/index.js'))};
export const mood = pgEnum('mood', ['sad', 'ok']);
export const t = pgTable('t', { id: serial('id').primaryKey(), m: mood('m') });\n`,
    );
    const model = await loadDrizzleSchema(file);
    expect(model.enums).toEqual([{ schema: 'public', name: 'mood', values: ['sad', 'ok'] }]);
    expect(model.tables[0]!.columns.find((c) => c.name === 'm')!.type).toBe('mood');
  });

  test("the schema imports the project's own drizzle-orm, not uuidmig's", async () => {
    const project = path.join(tmp, 'project');
    fs.mkdirSync(path.join(project, 'node_modules'), { recursive: true });
    fs.cpSync(OUR_DRIZZLE, path.join(project, 'node_modules', 'drizzle-orm'), { recursive: true });
    const file = path.join(project, 'schema.ts');
    fs.writeFileSync(
      file,
      "import { pgTable, serial } from 'drizzle-orm/pg-core';\n" +
        "export const things = pgTable('things', { id: serial('id').primaryKey() });\n",
    );
    const mod = await importUserModule(file, 'Drizzle schema file');
    expect(mod.things instanceof PgTable).toBe(false); // built by the project's copy...
    expect(is(mod.things, PgTable)).toBe(true); // ...and still recognised
    const model = await loadDrizzleSchema(file);
    expect(model.tables).toMatchObject([{ schema: 'public', name: 'things', primaryKey: ['id'] }]);
  });

  test('a project without drizzle-orm installed fails with the package named', async () => {
    const bare = path.join(tmp, 'bare');
    fs.mkdirSync(bare);
    fs.writeFileSync(
      path.join(bare, 'schema.ts'),
      "import { pgTable } from 'drizzle-orm/pg-core';\nexport const t = pgTable;\n",
    );
    await expect(loadDrizzleSchema(path.join(bare, 'schema.ts'))).rejects.toThrow(
      'it imports "drizzle-orm/pg-core", which cannot be found',
    );
  });
});

describe('drizzle.config.ts', () => {
  test('schema (a glob), out, dbCredentials and schemaFilter are read like drizzle-kit reads them', async () => {
    const config = path.join(tmp, 'drizzle.config.ts');
    fs.writeFileSync(
      config,
      `export default {
  dialect: 'postgresql',
  schema: ${JSON.stringify(path.join(fixturePath('forum', 'schema'), '*.ts'))},
  out: './drizzle',
  dbCredentials: { host: 'db.internal', port: 6543, user: 'app', password: 'p@ss', database: 'forum' },
  schemaFilter: ['public', 'admin'],
};\n`,
    );
    const loaded = await loadDrizzleConfig(config);
    expect(loaded).toMatchObject({
      out: './drizzle',
      databaseUrl: 'postgres://app:p%40ss@db.internal:6543/forum',
      schemaFilter: ['public', 'admin'],
    });
    const inputs = await resolveInputs({ config, databaseUrl: 'postgres://flag@h/db' });
    expect(inputs.databaseUrl).toBe('postgres://flag@h/db');
    const model = await loadDrizzleSchema(inputs.schema);
    expect(model.files).toHaveLength(5);
  });

  test('a config whose url comes from an unset variable has no database URL, and still loads', async () => {
    const config = path.join(tmp, 'unset.config.ts');
    fs.writeFileSync(
      config,
      "export default { dialect: 'postgresql', schema: './s.ts',\n" +
        '  dbCredentials: { url: process.env.UUIDMIG_UNSET! } };\n',
    );
    const loaded = await loadDrizzleConfig(config);
    expect(loaded.databaseUrl).toBeUndefined();
    expect(loaded.schema).toBe('./s.ts');
  });

  test('another dialect, or a config that is not an object, is refused', async () => {
    const mysql = path.join(tmp, 'mysql.config.ts');
    fs.writeFileSync(mysql, "export default { dialect: 'mysql', schema: './s.ts' };\n");
    await expect(loadDrizzleConfig(mysql)).rejects.toThrow(
      'is for dialect "mysql"; uuidmig works with postgresql only.',
    );
    const odd = path.join(tmp, 'odd.config.ts');
    fs.writeFileSync(odd, 'export default 42;\n');
    await expect(loadDrizzleConfig(odd)).rejects.toThrow('is not a drizzle-kit config');
  });
});
