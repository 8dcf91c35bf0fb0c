import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { DEMO_SCHEMA } from '../../src/demo/forum-schema.js';
import { type InitOptions, init } from '../../src/init/init.js';
import { initOutputSchema } from '../../src/init/output.js';
import { fixturePath } from '../helpers/fixtures.js';

/**
 * `uuidmig init` on real files in a temporary folder: what it rewrites (keys, references, opclasses,
 * imports), what it keeps (formatting, comments, every other call), and that a second run changes nothing.
 */
let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uuidmig-init-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const write = (files: Record<string, string>) => {
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
};
const read = (name: string) => fs.readFileSync(path.join(dir, name), 'utf8');
const run = (options: Partial<InitOptions> = {}) => init({ schema: '.', cwd: dir, ...options });

/** Run init, then again: the second run must find nothing to do. */
function runTwice(options: Partial<InitOptions> = {}) {
  const first = run(options);
  const second = run(options);
  expect(second.files.filter((f) => f.changed)).toEqual([]);
  expect([second.keys, second.references, second.opclasses, second.legacyColumns]).toEqual([[], [], 0, []]);
  return first;
}

/** The integer schema a uuid schema was made from: keys serial, the columns that point at them integer. */
const integerForm = (uuidSchema: string) =>
  uuidSchema
    .replaceAll("uuid('id').primaryKey().defaultRandom()", "serial('id').primaryKey()")
    .replaceAll('uuid(', 'integer(')
    .replace(/\buuid\b(?!\()/, 'integer, serial');

async function cli(args: string[]) {
  const out = { stdout: '', stderr: '' };
  const io = {
    stdout: (t: string) => {
      out.stdout += t;
    },
    stderr: (t: string) => {
      out.stderr += t;
    },
    interactive: false,
  };
  const code = await runCli(['init', ...args], io);
  return { code, ...out };
}

test('the demo schema: its integer form becomes the uuid schema the demo plans with, 0 hand edits', () => {
  const integer = integerForm(DEMO_SCHEMA);
  expect(integer).not.toContain('uuid');
  write({ 'schema.ts': integer });
  const result = runTwice();
  expect(result.keys).toEqual([
    'admin.audit_log.id',
    'public.forums.id',
    'public.notifications.id',
    'public.posts.id',
    'public.threads.id',
    'public.users.id',
  ]);
  // 15 references, as `uuidmig demo` plans them: the 1:1 wallets.user_id follows users.id, no uuids of its own.
  expect(result.references).toHaveLength(15);
  expect(result.references).toContain('public.wallets.user_id');
  expect(result.references).toContain('public.notifications.post_id');
  // The demo's import list is not in name order (uuid sits before `type AnyPgColumn`); init appends.
  expect(read('schema.ts')).toBe(DEMO_SCHEMA.replace('text, uuid, type AnyPgColumn,', 'text, type AnyPgColumn, uuid,'));
});

test('a schema in five files: references across files, relations() in a file of its own, pgSchema tables', () => {
  const folder = fixturePath('forum', 'schema');
  const names = fs.readdirSync(folder);
  for (const name of names) write({ [name]: integerForm(fs.readFileSync(path.join(folder, name), 'utf8')) });
  const result = runTwice();
  for (const name of names) expect(read(name)).toBe(fs.readFileSync(path.join(folder, name), 'utf8'));
  expect(result.keys).toHaveLength(9);
  expect(result.references).toContain('public.threads.last_post_id'); // known only to relations.ts
  expect(result.references).toContain('public.transactions.wallet_id'); // onto the 1:1 key wallets.user_id
  expect(result.files.filter((f) => f.changed).map((f) => f.file)).toEqual([
    'admin.ts',
    'economy.ts',
    'forum.ts',
    'users.ts',
  ]);
});

/** What `drizzle-kit pull` writes: tabs, double quotes, identity keys, foreignKey(), opclasses, relations.ts. */
const PULLED_IMPORT =
  'import { pgTable, index, foreignKey, integer, text, bigint, serial, unique, primaryKey, date, bigserial } ' +
  'from "drizzle-orm/pg-core"';
const USERS_ID =
  'id: integer().primaryKey().generatedAlwaysAsIdentity({ name: "users_id_seq", startWith: 1, increment: 1, ' +
  'minValue: 1, maxValue: 2147483647, cache: 1 }),';
const EVENTS_ID =
  'id: bigint({ mode: "number" }).primaryKey().generatedByDefaultAsIdentity({ name: "events_id_seq", startWith: 1, ' +
  'increment: 1, minValue: 1, maxValue: 9223372036854775807, cache: 1 }),';
const PULLED = `${PULLED_IMPORT}
import { sql } from "drizzle-orm"



export const users = pgTable("users", {
	${USERS_ID}
	email: text().notNull(),
	invitedBy: integer("invited_by"),
	visits: integer().default(0).notNull(),
}, (table) => [
	foreignKey({
			columns: [table.invitedBy],
			foreignColumns: [table.id],
			name: "users_invited_by_fkey"
		}).onDelete("set null"),
	unique("users_email_key").on(table.email),
]);

export const posts = pgTable("posts", {
	id: serial().primaryKey().notNull(),
	authorId: integer("author_id").notNull(),
	title: text().notNull(),
}, (table) => [
	index("posts_author_idx").using("btree", table.authorId.asc().nullsLast().op("int4_ops")),
	foreignKey({
			columns: [table.authorId],
			foreignColumns: [users.id],
			name: "posts_author_id_fkey"
		}).onDelete("cascade"),
]);

export const events = pgTable("events", {
	${EVENTS_ID}
	postId: integer("post_id"),
	kind: text().notNull(),
}, (table) => [
	index("ev_idx").using("btree", table.postId.asc().nullsLast().op("int4_ops"), table.kind.asc().op("text_ops")),
]);

export const eventNotes = pgTable("event_notes", {
	eventId: bigint("event_id", { mode: "number" }).notNull(),
	note: text().notNull(),
}, (table) => [
	index("event_notes_event_idx").using("btree", table.eventId.asc().nullsLast().op("int8_ops")),
	foreignKey({
			columns: [table.eventId],
			foreignColumns: [events.id],
			name: "event_notes_event_id_fkey"
		}),
]);

export const payments = pgTable("payments", {
	id: bigserial({ mode: "bigint" }).notNull(),
	paidOn: date("paid_on").notNull(),
}, (table) => [
	primaryKey({ columns: [table.id, table.paidOn], name: "payments_pkey"}),
]);
`;

const PULLED_RELATIONS = `import { relations } from "drizzle-orm/relations";
import { users, posts, events } from "./schema";

export const postsRelations = relations(posts, ({one, many}) => ({
	user: one(users, {
		fields: [posts.authorId],
		references: [users.id]
	}),
	events: many(events),
}));

export const eventsRelations = relations(events, ({one}) => ({
	post: one(posts, {
		fields: [events.postId],
		references: [posts.id]
	}),
}));
`;

/** `text` with each [from, to] made once; every `from` must be there. */
function edited(text: string, edits: [string, string][]): string {
  let out = text;
  for (const [from, to] of edits) {
    expect(out).toContain(from);
    out = out.replace(from, to);
  }
  return out;
}

/** PULLED as init leaves it: only the builders, the identities, the options and three opclasses change. */
const pulledAfter = (legacy: boolean): string => {
  const int = legacy ? '\n\tlegacyId: integer("legacy_id"),' : '';
  const big = legacy ? '\n\tlegacyId: bigint("legacy_id", { mode: "number" }),' : '';
  return edited(PULLED, [
    [
      ' bigint, serial, unique, primaryKey, date, bigserial }',
      `${legacy ? ' bigint,' : ''} unique, primaryKey, date, bigserial, uuid }`,
    ],
    [USERS_ID, `id: uuid().primaryKey().defaultRandom(),${int}`],
    ['invitedBy: integer("invited_by")', 'invitedBy: uuid("invited_by")'],
    ['id: serial().primaryKey().notNull(),', `id: uuid().primaryKey().notNull().defaultRandom(),${int}`],
    ['authorId: integer("author_id")', 'authorId: uuid("author_id")'],
    ['table.authorId.asc().nullsLast().op("int4_ops")', 'table.authorId.asc().nullsLast().op("uuid_ops")'],
    [EVENTS_ID, `id: uuid().primaryKey().defaultRandom(),${big}`],
    ['postId: integer("post_id")', 'postId: uuid("post_id")'],
    ['table.postId.asc().nullsLast().op("int4_ops")', 'table.postId.asc().nullsLast().op("uuid_ops")'],
    ['eventId: bigint("event_id", { mode: "number" })', 'eventId: uuid("event_id")'],
    ['op("int8_ops")', 'op("uuid_ops")'],
  ]);
};

describe('a drizzle-kit pull schema', () => {
  test('identity and serial keys, foreignKey(), relations() and opclasses; the composite key is reported', () => {
    write({ 'schema.ts': PULLED, 'relations.ts': PULLED_RELATIONS });
    const result = runTwice();
    expect(read('schema.ts')).toBe(pulledAfter(false));
    expect(read('relations.ts')).toBe(PULLED_RELATIONS);
    expect(result.keys).toEqual(['public.events.id', 'public.posts.id', 'public.users.id']);
    expect(result.references).toEqual([
      'public.event_notes.event_id',
      'public.events.post_id', // through relations.ts alone
      'public.posts.author_id',
      'public.users.invited_by',
    ]);
    expect(result.opclasses).toBe(3);
    expect(result.skipped).toEqual(['public.payments (id, paid_on): a composite primary key is left alone.']);
    expect(pulledAfter(false)).not.toMatch(/\bserial\(|generated|int[48]_ops/);
  });

  test('--keep-legacy declares the old integer as plan keeps it: legacy_id, integer or bigint', () => {
    write({ 'schema.ts': PULLED, 'relations.ts': PULLED_RELATIONS });
    const result = runTwice({ keepLegacy: true });
    expect(read('schema.ts')).toBe(pulledAfter(true));
    expect(result.legacyColumns).toEqual([
      'public.events.legacy_id',
      'public.posts.legacy_id',
      'public.users.legacy_id',
    ]);
  });
});

test('comments, spacing and quotes stay; only the calls that change are edited', () => {
  const before = `import { integer, pgTable, serial, text } from 'drizzle-orm/pg-core'; // the builders

/** Accounts. */
export const accounts = pgTable('accounts', {
  // the key
  id: serial('id') /* was serial */
    .primaryKey(), // trailing
  name:   text('name'),   // odd spacing kept
});

export const orders = pgTable("orders", { id: serial("id").primaryKey(), accountId: integer("account_id") // who
    .notNull()
    .$type<number>()
    .references(() => accounts.id),
});
`;
  write({ 'schema.ts': before });
  runTwice({ keepLegacy: true });
  expect(read('schema.ts')).toBe(`import { integer, pgTable, text, uuid } from 'drizzle-orm/pg-core'; // the builders

/** Accounts. */
export const accounts = pgTable('accounts', {
  // the key
  id: uuid('id') /* was serial */
    .primaryKey().defaultRandom(), // trailing
  legacyId: integer('legacy_id'),
  name:   text('name'),   // odd spacing kept
});

export const orders = pgTable("orders", { id: uuid("id").primaryKey().defaultRandom(), legacyId: integer("legacy_id"), \
accountId: uuid("account_id") // who
    .notNull()
    .references(() => accounts.id),
});
`);
});

test('columns callbacks, namespace and aliased imports, pgSchema tables; a key already uuid is left alone', () => {
  write({
    'staff.ts': `import * as pg from 'drizzle-orm/pg-core';

export const admin = pg.pgSchema('admin');
export const staff = admin.table(
  'staff',
  (t) => ({ id: t.bigserial({ mode: 'number' }).primaryKey(), bossId: t.bigint('boss_id', { mode: 'number' }) }),
  (t) => [pg.foreignKey({ columns: [t.bossId], foreignColumns: [t.id] }), pg.index('boss').on(t.bossId.op('int8_ops'))],
);
`,
    'badges.ts': `import { integer as int, pgTable, uuid } from 'drizzle-orm/pg-core';
import { staff as people } from './staff.js';

export const badges = pgTable('badges', {
  id: uuid('id').primaryKey().defaultRandom(),
  holderId: int('holder_id').references(() => people.id),
  code: int('code').notNull(),
});
`,
  });
  const result = runTwice({ keepLegacy: true });
  expect(read('staff.ts')).toContain(
    "(t) => ({ id: t.uuid().primaryKey().defaultRandom(), legacyId: t.bigint('legacy_id', { mode: 'number' }), " +
      "bossId: t.uuid('boss_id') }),",
  );
  expect(read('staff.ts')).toContain(".on(t.bossId.op('uuid_ops'))");
  expect(read('badges.ts')).toContain("holderId: uuid('holder_id').references(() => people.id),");
  expect(read('badges.ts')).toContain("code: int('code').notNull(),");
  expect(read('badges.ts').split('\n')[0]).toBe("import { integer as int, pgTable, uuid } from 'drizzle-orm/pg-core';");
  expect(result.keys).toEqual(['admin.staff.id']);
  expect(result.references).toEqual(['admin.staff.boss_id', 'public.badges.holder_id']);
});

test('--tables converts only the keys named, and the columns that reference them', () => {
  write({ 'schema.ts': fs.readFileSync(fixturePath('drizzle-made', 'old.ts'), 'utf8') });
  const result = runTwice({ tables: ['posts'] });
  expect(result.keys).toEqual(['public.posts.id']);
  expect(result.references).toEqual(['public.comments.post_id', 'public.post_tags.post_id']);
  const text = read('schema.ts');
  expect(text).toContain("id: serial('id').primaryKey(),\n  email"); // users keeps its serial key
  expect(text).toContain("authorId: integer('author_id')");
  expect(text).toContain('import { type AnyPgColumn, index, integer, pgTable, primaryKey, serial, text, uuid } from');
  expect(() => run({ tables: ['posts', 'nope'] })).toThrow(
    '--tables names no table of the Drizzle schema files: nope.',
  );
});

test('--reference converts a column the files declare nowhere with its parent, as plan takes it', () => {
  write({
    'schema.ts': [
      "import { bigint, integer, pgTable, serial, text } from 'drizzle-orm/pg-core';",
      "export const orders = pgTable('orders', { id: serial('id').primaryKey(), note: text('note') });",
      'export const customers = pgTable(',
      "  'customers',",
      "  { id: serial('id').primaryKey(), lastOrderId: integer('last_order_id'),",
      "    count: bigint('n', { mode: 'number' }) },",
      ');',
      '',
    ].join('\n'),
  });
  const result = runTwice({ references: ['customers.lastOrderId=public.orders.id'] });
  expect(result.references).toEqual(['public.customers.last_order_id']);
  expect(read('schema.ts')).toContain("lastOrderId: uuid('last_order_id'),\n    count: bigint('n'");
  expect(() => run({ references: ['customers.last_order=orders.id'] })).toThrow(
    '--reference customers.last_order=orders.id: "customers.last_order" names no column of the schema files.',
  );
  expect(() => run({ references: ['customers.last_order_id'] })).toThrow(
    '--reference takes child.column=parent.column, not "customers.last_order_id".',
  );
});

test('a key in primaryKey({ columns }), an import that goes whole, and what is left alone, said why', () => {
  const before = `import { serial } from 'drizzle-orm/pg-core';
import {
  integer,
  pgTable,
  primaryKey,
  text,
} from 'drizzle-orm/pg-core';
import { accounts } from '../elsewhere/accounts';

export const users = pgTable(
  'users',
  { id: serial('id'), name: text('name') },
  (t) => [primaryKey({ columns: [t.id] })],
);
export const wallets = pgTable('wallets', {
  userId: integer('user_id').primaryKey().references(() => users.id),
  accountId: integer('account_id').references(() => accounts.id),
});
`;
  write({ 'schema.ts': before });
  const alone = run({ tables: ['wallets'] });
  expect(alone.files.filter((f) => f.changed)).toEqual([]);
  expect(alone.skipped).toEqual([
    'public.wallets.account_id: left alone, its reference leads to no table of the schema files.',
    'public.wallets.user_id: left alone, it references public.users.id, which stays.',
  ]);
  const all = runTwice();
  expect([all.keys, all.references]).toEqual([['public.users.id'], ['public.wallets.user_id']]);
  expect(read('schema.ts')).toBe(
    edited(before, [
      ["import { serial } from 'drizzle-orm/pg-core';\n", ''],
      ['  text,\n', '  text,\n  uuid,\n'],
      ["{ id: serial('id'), name", "{ id: uuid('id').defaultRandom(), name"],
      ["userId: integer('user_id')", "userId: uuid('user_id')"],
    ]),
  );
});

describe('the command', () => {
  test('--dry-run prints a unified diff per changed file and writes nothing', async () => {
    write({ 'schema.ts': PULLED, 'relations.ts': PULLED_RELATIONS });
    const r = await cli(['--schema', dir, '--dry-run']);
    expect(r.code).toBe(0);
    expect(read('schema.ts')).toBe(PULLED);
    expect(r.stdout).toMatch(/^--- a\/.*schema\.ts\n\+\+\+ b\/.*schema\.ts\n@@ -1,12 \+1,12 @@\n/);
    expect(r.stdout).toContain('\n-\tid: serial().primaryKey().notNull(),\n');
    expect(r.stdout).toContain('\n+\tid: uuid().primaryKey().notNull().defaultRandom(),\n');
    expect(r.stdout).not.toContain('relations.ts');
    expect(r.stderr).toBe(
      'init: public.payments (id, paid_on): a composite primary key is left alone.\n' +
        'init: 1 file would change (dry run, nothing written), 3 keys, 4 references, 3 opclasses\n',
    );
  });

  test('writes the files; --json prints one document instead of the summary; --config finds the schema', async () => {
    write({ 'db/schema.ts': PULLED, 'db/relations.ts': PULLED_RELATIONS });
    fs.writeFileSync(
      path.join(dir, 'drizzle.config.ts'),
      `export default { schema: ${JSON.stringify(dir)} + '/db' };\n`,
    );
    const r = await cli(['--config', path.join(dir, 'drizzle.config.ts'), '--json']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const doc = initOutputSchema.parse(JSON.parse(r.stdout));
    expect([doc.command, doc.dryRun, doc.keys.length, doc.references.length, doc.opclasses]).toEqual([
      'init',
      false,
      3,
      4,
      3,
    ]);
    expect(doc.files.map((f) => [path.basename(f.file), f.changed])).toEqual([
      ['relations.ts', false],
      ['schema.ts', true],
    ]);
    expect(read('db/schema.ts')).toBe(pulledAfter(false));
    const again = await cli(['--schema', path.join(dir, 'db')]);
    expect(again).toEqual({
      code: 0,
      stdout: '',
      stderr:
        'init: public.payments (id, paid_on): a composite primary key is left alone.\n' +
        'init: 0 files changed, 0 keys, 0 references, 0 opclasses\n',
    });
  });

  test('errors are one sentence with exit 2', async () => {
    write({ 'broken.ts': 'export const users = pgTable("users", {\n' });
    const broken = path.join(dir, 'broken.ts');
    expect(await cli(['--schema', broken])).toEqual({
      code: 2,
      stdout: '',
      stderr: `uuidmig: The Drizzle schema file ${path.relative('.', broken)} does not parse: line 2: '}' expected.\n`,
    });
    expect((await cli(['--schema', path.join(dir, 'absent')])).code).toBe(2);
    const r = await cli(['--schema', dir, '--tables', 'nope', '--json']);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).error.code).toBe(2);
  });
});

describe("drizzle-orm 1.0's defineRelations", () => {
  const SCHEMA = `import { integer, pgTable, serial, text } from 'drizzle-orm/pg-core';

export const users = pgTable('users', { id: serial('id').primaryKey(), name: text('name') });
export const profiles = pgTable('profiles', { id: serial('id').primaryKey(), userId: integer('user_id').unique() });
export const posts = pgTable('posts', { id: serial('id').primaryKey(), authorId: integer('author_id') });
export const comments = pgTable('comments', { id: serial('id').primaryKey(), postId: integer('post_id') });
export const tags = pgTable('tags', { id: serial('id').primaryKey() });
export const postTags = pgTable('post_tags', { postId: integer('post_id'), tagId: integer('tag_id') });
`;
  const relationsFile = (tables: string) => `import { defineRelations } from 'drizzle-orm';
${tables}

export const relations = defineRelations(schema, (r) => ({
  users: { profile: r.one.profiles({ from: r.users.id, to: r.profiles.userId }), posts: r.many.posts() },
  posts: {
    author: r.one.users({ from: r.posts.authorId, to: r.users.id }),
    tags: r.many.tags({ from: r.posts.id.through(r.postTags.postId), to: r.tags.id.through(r.postTags.tagId) }),
  },
  comments: { post: r.one.posts({ from: [r.comments.postId], to: [r.posts.id] }) },
}));
`;

  test.each([
    ['a namespace import', "import * as schema from './schema';"],
    [
      'an object of imported tables',
      "import { users, profiles, posts, comments, tags, postTags } from './schema';\n" +
        'const schema = { users, profiles, posts, comments, tags, postTags };',
    ],
  ])('references declared only there, through %s, each way round, and through a junction', (_, tables) => {
    write({ 'schema.ts': SCHEMA, 'relations.ts': relationsFile(tables) });
    const result = runTwice();
    expect(result.references).toEqual([
      'public.comments.post_id',
      'public.post_tags.post_id',
      'public.post_tags.tag_id',
      'public.posts.author_id',
      'public.profiles.user_id',
    ]);
    expect(read('schema.ts')).toContain("userId: uuid('user_id').unique()");
    expect(read('relations.ts')).toBe(relationsFile(tables));
  });
});
