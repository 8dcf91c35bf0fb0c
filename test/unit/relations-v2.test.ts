import { defineRelations } from 'drizzle-orm-1';
import { relations } from 'drizzle-orm-1/_relations';
import { integer, pgTable, pgView, primaryKey, serial, text, uuid } from 'drizzle-orm-1/pg-core';
import { expect, test } from 'vitest';
import { drizzleExportsToModel } from '../../src/schema/to-model.js';

// A drizzle-orm 1.0 schema whose references are declared only through its relation APIs.
const users = pgTable('users', { id: serial('id').primaryKey(), name: text('name') });
const profiles = pgTable('profiles', { id: uuid('id').primaryKey(), userId: integer('user_id').unique() });
const posts = pgTable('posts', { id: serial('id').primaryKey(), authorId: integer('author_id') });
const comments = pgTable('comments', { id: serial('id').primaryKey(), postId: integer('post_id') });
const tags = pgTable('tags', { id: serial('id').primaryKey() });
const postTags = pgTable('post_tags', { postId: integer('post_id'), tagId: integer('tag_id') });
const regions = pgTable('regions', { country: text('country'), code: integer('code') }, (t) => [
  primaryKey({ columns: [t.country, t.code] }),
]);
const shops = pgTable('shops', {
  id: serial('id').primaryKey(),
  country: text('country'),
  regionCode: integer('region_code'),
});
const notes = pgTable('notes', { id: serial('id').primaryKey(), shopId: integer('shop_id') });

// A view in the schema, as drizzle-kit pull hands defineRelations the whole schema, relations of its own too.
const postCounts = pgView('post_counts', { authorId: integer('author_id'), posts: integer('posts') }).existing();
const tables = { users, profiles, posts, comments, tags, postTags, regions, shops, notes, postCounts };
const v2 = defineRelations(tables, (r) => ({
  users: {
    posts: r.many.posts(),
    // Declared from the parent's side: the reference is profiles.user_id.
    profile: r.one.profiles({ from: r.users.id, to: r.profiles.userId }),
  },
  posts: {
    author: r.one.users({ from: r.posts.authorId, to: r.users.id }),
    tags: r.many.tags({ from: r.posts.id.through(r.postTags.postId), to: r.tags.id.through(r.postTags.tagId) }),
  },
  comments: { post: r.one.posts({ from: r.comments.postId, to: r.posts.id }) },
  postCounts: { author: r.one.users({ from: r.postCounts.authorId, to: r.users.id }) },
  shops: {
    region: r.one.regions({ from: [r.shops.country, r.shops.regionCode], to: [r.regions.country, r.regions.code] }),
  },
}));
// drizzle-orm 1.0 still has 0.x's relations(), under drizzle-orm/_relations.
const notesRelations = relations(notes, ({ one }) => ({
  shop: one(shops, { fields: [notes.shopId], references: [shops.id] }),
}));

test("drizzle-orm 1.0's defineRelations and _relations give their references, each once, child to parent", () => {
  const model = drizzleExportsToModel([...Object.values(tables), v2, notesRelations], ['schema.ts']);
  const refs = model.tables.flatMap((t) =>
    t.references.map((r) => `${t.name}(${r.columns}) -> ${r.refTable}(${r.refColumns}) ${r.source}`),
  );
  expect(refs.sort()).toEqual([
    'comments(post_id) -> posts(id) drizzle-relation',
    'notes(shop_id) -> shops(id) drizzle-relation',
    'post_tags(post_id) -> posts(id) drizzle-relation',
    'post_tags(tag_id) -> tags(id) drizzle-relation',
    'posts(author_id) -> users(id) drizzle-relation',
    'profiles(user_id) -> users(id) drizzle-relation',
    'shops(country,region_code) -> regions(country,code) drizzle-relation',
  ]);
});
