/** The demo forum's target Drizzle schema (uuid keys), written into a throwaway project by `uuidmig demo`. */
export const DEMO_SCHEMA = `import { relations } from 'drizzle-orm';
import {
  boolean, index, numeric, pgSchema, pgTable, primaryKey, text, uuid, type AnyPgColumn,
} from 'drizzle-orm/pg-core';

export const users = pgTable('users', {
  id: uuid('id').primaryKey().defaultRandom(),
  email: text('email').notNull().unique(),
  name: text('name').notNull(),
  invitedBy: uuid('invited_by').references((): AnyPgColumn => users.id, { onDelete: 'set null' }),
});
export const forums = pgTable('forums', { id: uuid('id').primaryKey().defaultRandom(), name: text('name').notNull() });
export const threads = pgTable('threads', {
  id: uuid('id').primaryKey().defaultRandom(),
  forumId: uuid('forum_id').notNull().references(() => forums.id),
  authorId: uuid('author_id').notNull().references(() => users.id),
  title: text('title').notNull(),
});
export const posts = pgTable('posts', {
  id: uuid('id').primaryKey().defaultRandom(),
  threadId: uuid('thread_id').notNull().references(() => threads.id, { onDelete: 'cascade' }),
  authorId: uuid('author_id').references(() => users.id, { onDelete: 'set null' }),
  replyToId: uuid('reply_to_id').references((): AnyPgColumn => posts.id),
  body: text('body').notNull(),
}, (t) => [index('posts_thread_id_idx').on(t.threadId), index('posts_author_id_idx').on(t.authorId)]);
export const postReactions = pgTable('post_reactions', {
  postId: uuid('post_id').notNull().references(() => posts.id, { onDelete: 'cascade' }),
  userId: uuid('user_id').notNull().references(() => users.id),
  emoji: text('emoji').notNull(),
}, (t) => [primaryKey({ columns: [t.postId, t.userId, t.emoji] })]);
export const follows = pgTable('follows', {
  followerId: uuid('follower_id').notNull().references(() => users.id),
  followeeId: uuid('followee_id').notNull().references(() => users.id),
}, (t) => [primaryKey({ columns: [t.followerId, t.followeeId] })]);
export const tags = pgTable('tags', { code: text('code').primaryKey(), label: text('label').notNull() });
export const threadTags = pgTable('thread_tags', {
  threadId: uuid('thread_id').notNull().references(() => threads.id, { onDelete: 'cascade' }),
  tagCode: text('tag_code').notNull().references(() => tags.code),
}, (t) => [primaryKey({ columns: [t.threadId, t.tagCode] })]);
export const wallets = pgTable('wallets', {
  userId: uuid('user_id').primaryKey().references(() => users.id),
  balance: numeric('balance', { precision: 12, scale: 2 }).notNull().default('0'),
});
export const notifications = pgTable('notifications', {
  id: uuid('id').primaryKey().defaultRandom(),
  userId: uuid('user_id').notNull().references(() => users.id, { onDelete: 'cascade' }),
  postId: uuid('post_id'),
  seen: boolean('seen').notNull().default(false),
});
export const notificationsRelations = relations(notifications, ({ one }) => ({
  post: one(posts, { fields: [notifications.postId], references: [posts.id] }),
}));
export const admin = pgSchema('admin');
export const auditLog = admin.table('audit_log', {
  id: uuid('id').primaryKey().defaultRandom(),
  actorId: uuid('actor_id').references(() => users.id),
  action: text('action').notNull(),
});
`;
