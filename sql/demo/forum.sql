-- The demo's forum on integer keys. {{scale}} multiplies the rows (1 = about 100,000).
CREATE SCHEMA admin;
CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL UNIQUE, name text NOT NULL, invited_by integer REFERENCES users (id) ON DELETE SET NULL);
CREATE TABLE forums (id serial PRIMARY KEY, name text NOT NULL);
CREATE TABLE threads (id bigserial PRIMARY KEY, forum_id integer NOT NULL REFERENCES forums (id), author_id integer NOT NULL REFERENCES users (id), title text NOT NULL);
CREATE TABLE posts (
  id bigserial PRIMARY KEY,
  thread_id bigint NOT NULL REFERENCES threads (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
  author_id integer REFERENCES users (id) ON DELETE SET NULL,
  reply_to_id bigint REFERENCES posts (id),
  body text NOT NULL
);
CREATE INDEX posts_thread_id_idx ON posts (thread_id);
CREATE INDEX posts_author_id_idx ON posts (author_id);
CREATE TABLE post_reactions (post_id bigint NOT NULL REFERENCES posts (id) ON DELETE CASCADE, user_id integer NOT NULL REFERENCES users (id), emoji text NOT NULL, PRIMARY KEY (post_id, user_id, emoji));
CREATE TABLE follows (follower_id integer NOT NULL REFERENCES users (id), followee_id integer NOT NULL REFERENCES users (id), PRIMARY KEY (follower_id, followee_id));
CREATE TABLE tags (code text PRIMARY KEY, label text NOT NULL);
CREATE TABLE thread_tags (thread_id bigint NOT NULL REFERENCES threads (id) ON DELETE CASCADE, tag_code text NOT NULL REFERENCES tags (code), PRIMARY KEY (thread_id, tag_code));
CREATE TABLE wallets (user_id integer PRIMARY KEY REFERENCES users (id), balance numeric(12, 2) NOT NULL DEFAULT 0);
CREATE TABLE notifications (id serial PRIMARY KEY, user_id integer NOT NULL REFERENCES users (id) ON DELETE CASCADE, post_id bigint, seen boolean NOT NULL DEFAULT false);
CREATE TABLE admin.audit_log (id serial PRIMARY KEY, actor_id integer REFERENCES users (id), action text NOT NULL);
CREATE VIEW thread_stats AS SELECT t.id AS thread_id, t.title, count(p.id) AS posts FROM threads t LEFT JOIN posts p ON p.thread_id = t.id GROUP BY t.id, t.title;

INSERT INTO users (email, name, invited_by)
  SELECT 'user' || i || '@example.com', 'user ' || i, CASE WHEN i > 1 AND i % 3 <> 0 THEN (i * 7) % (i - 1) + 1 END
  FROM generate_series(1, 5000 * {{scale}}) AS i;
INSERT INTO forums (name) SELECT 'forum ' || i FROM generate_series(1, 12) AS i;
INSERT INTO threads (forum_id, author_id, title)
  SELECT i % 12 + 1, (i * 13) % (5000 * {{scale}}) + 1, 'thread ' || i FROM generate_series(1, 4000 * {{scale}}) AS i;
INSERT INTO posts (thread_id, author_id, body)
  SELECT i % (4000 * {{scale}}) + 1, CASE WHEN i % 50 = 0 THEN NULL ELSE (i * 17) % (5000 * {{scale}}) + 1 END, 'post ' || i
  FROM generate_series(1, 50000 * {{scale}}) AS i;
UPDATE posts SET reply_to_id = id - 100 WHERE id > 100 AND id % 4 = 0;
INSERT INTO post_reactions SELECT i % (50000 * {{scale}}) + 1, (i * 31) % (5000 * {{scale}}) + 1, CASE WHEN i % 2 = 0 THEN '+1' ELSE 'heart' END
  FROM generate_series(1, 15000 * {{scale}}) AS i ON CONFLICT DO NOTHING;
INSERT INTO follows SELECT i, (i * 11) % (5000 * {{scale}}) + 1 FROM generate_series(1, 5000 * {{scale}}) AS i WHERE i <> (i * 11) % (5000 * {{scale}}) + 1;
INSERT INTO tags VALUES ('news', 'News'), ('help', 'Help'), ('offtopic', 'Off topic');
INSERT INTO thread_tags SELECT i, (ARRAY['news', 'help', 'offtopic'])[i % 3 + 1] FROM generate_series(1, 4000 * {{scale}}) AS i;
INSERT INTO wallets SELECT i, i * 1.5 FROM generate_series(1, 5000 * {{scale}}, 2) AS i;
-- Notifications reference posts only through the Drizzle relations(): some point at posts deleted since.
INSERT INTO notifications (user_id, post_id) SELECT (i * 5) % (5000 * {{scale}}) + 1, i * 11 FROM generate_series(1, 5000 * {{scale}}) AS i;
INSERT INTO admin.audit_log (actor_id, action) SELECT i % (5000 * {{scale}}) + 1, 'action ' || i FROM generate_series(1, 2000 * {{scale}}) AS i;
ANALYZE;
