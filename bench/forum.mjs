// The benchmark's database: users, posts (two foreign keys to users, an index on one), and a join table.
export const SCHEMA_SQL = `
CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL UNIQUE, name text NOT NULL);
CREATE TABLE posts (
  id bigserial PRIMARY KEY,
  author_id integer NOT NULL REFERENCES users (id),
  editor_id integer REFERENCES users (id),
  body text NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE INDEX posts_author_id_idx ON posts (author_id);
CREATE TABLE likes (
  user_id integer NOT NULL REFERENCES users (id),
  post_id bigint NOT NULL REFERENCES posts (id),
  PRIMARY KEY (user_id, post_id)
);
`;

export const dataSql = (users, posts, likes) => `
INSERT INTO users (email, name)
  SELECT 'user' || i || '@example.com', 'user ' || i FROM generate_series(1, ${users}) AS i;
INSERT INTO posts (author_id, editor_id, body, created_at)
  SELECT (i::bigint * 7919) % ${users} + 1, CASE WHEN i % 5 = 0 THEN (i::bigint * 104729) % ${users} + 1 END,
         md5(i::text), '2026-01-01'::timestamptz + i * interval '1 second'
  FROM generate_series(1, ${posts}) AS i;
INSERT INTO likes
  SELECT (i::bigint * 31) % ${users} + 1, (i::bigint * 7) % ${posts} + 1 FROM generate_series(1, ${likes}) AS i
  ON CONFLICT DO NOTHING;
`;

export const DRIZZLE_SCHEMA = `import { index, pgTable, primaryKey, text, timestamp, uuid } from 'drizzle-orm/pg-core';
export const users = pgTable('users', {
  id: uuid('id').primaryKey().defaultRandom(),
  email: text('email').notNull().unique(),
  name: text('name').notNull(),
});
export const posts = pgTable('posts', {
  id: uuid('id').primaryKey().defaultRandom(),
  authorId: uuid('author_id').notNull().references(() => users.id),
  editorId: uuid('editor_id').references(() => users.id),
  body: text('body').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull(),
}, (t) => [index('posts_author_id_idx').on(t.authorId)]);
export const likes = pgTable('likes', {
  userId: uuid('user_id').notNull().references(() => users.id),
  postId: uuid('post_id').notNull().references(() => posts.id),
}, (t) => [primaryKey({ columns: [t.userId, t.postId] })]);
`;

// The rewrite floor: each table written once by CREATE TABLE AS with hash joins (the new tables are
// analyzed before they are joined, or the planner hashes the big side), then the same keys, indexes
// and foreign keys built, to the same end state as uuidmig's (legacy and retired columns kept).
export const FLOOR_SQL = `
SET LOCAL search_path = public;
CREATE TABLE users_new AS SELECT u.id AS legacy_id, u.email, u.name, gen_random_uuid() AS id FROM users u;
ANALYZE users_new;
CREATE TABLE posts_new AS
  SELECT p.id AS legacy_id, p.author_id AS author_id__uuidmig_old, p.editor_id AS editor_id__uuidmig_old,
         p.body, p.created_at, gen_random_uuid() AS id, a.id AS author_id, e.id AS editor_id
  FROM posts p JOIN users_new a ON a.legacy_id = p.author_id LEFT JOIN users_new e ON e.legacy_id = p.editor_id;
ANALYZE posts_new;
CREATE TABLE likes_new AS
  SELECT l.user_id AS user_id__uuidmig_old, l.post_id AS post_id__uuidmig_old, u.id AS user_id, p.id AS post_id
  FROM likes l JOIN users_new u ON u.legacy_id = l.user_id JOIN posts_new p ON p.legacy_id = l.post_id;
DROP TABLE likes, posts, users;
ALTER TABLE users_new RENAME TO users;
ALTER TABLE posts_new RENAME TO posts;
ALTER TABLE likes_new RENAME TO likes;
ALTER TABLE users ALTER COLUMN id SET NOT NULL, ADD PRIMARY KEY (id), ADD UNIQUE (legacy_id), ADD UNIQUE (email);
ALTER TABLE posts ALTER COLUMN id SET NOT NULL, ALTER COLUMN author_id SET NOT NULL,
  ADD PRIMARY KEY (id), ADD UNIQUE (legacy_id);
CREATE INDEX posts_author_id_idx ON posts (author_id);
ALTER TABLE likes ALTER COLUMN user_id SET NOT NULL, ALTER COLUMN post_id SET NOT NULL,
  ADD PRIMARY KEY (user_id, post_id);
ALTER TABLE posts ADD FOREIGN KEY (author_id) REFERENCES users (id), ADD FOREIGN KEY (editor_id) REFERENCES users (id);
ALTER TABLE likes ADD FOREIGN KEY (user_id) REFERENCES users (id), ADD FOREIGN KEY (post_id) REFERENCES posts (id);
`;

/** A 1,000-table schema (500 parents, 500 children), for plan time. */
export function wideSchema(tables = 1000) {
  const half = tables / 2;
  const sql = [];
  const ts = ["import { pgTable, text, uuid } from 'drizzle-orm/pg-core';"];
  const id = "id: uuid('id').primaryKey().defaultRandom()";
  for (let i = 0; i < half; i++) {
    sql.push(
      `CREATE TABLE parent_${i} (id serial PRIMARY KEY, name text);`,
      `CREATE TABLE child_${i} (id serial PRIMARY KEY, parent_id integer REFERENCES parent_${i} (id), note text);`,
    );
    ts.push(`export const parent${i} = pgTable('parent_${i}', { ${id}, name: text('name') });`);
    const parentId = `parentId: uuid('parent_id').references(() => parent${i}.id)`;
    ts.push(`export const child${i} = pgTable('child_${i}', { ${id}, ${parentId}, note: text('note') });`);
  }
  return { sql: sql.join('\n'), ts: ts.join('\n') };
}
