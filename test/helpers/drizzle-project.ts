import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FIXTURES } from './fixtures.js';

const REPO = path.resolve(FIXTURES, '..', '..');
const MODULES = path.join(REPO, 'node_modules');

/** The team schema of test/fixtures/drizzle-made/old.ts: serial keys, comments.post_id in relations() only. */
const OLD = () => fs.readFileSync(path.join(FIXTURES, 'drizzle-made', 'old.ts'), 'utf8');

/**
 * The same schema on drizzle-orm 1.0: comments.post_id declared only through defineRelations (1.0's
 * relations API, which also gives posts their author and comments), so no foreign key holds it.
 */
const OLD_V1 = () =>
  OLD()
    .replace("import { relations } from 'drizzle-orm';", "import { defineRelations } from 'drizzle-orm';")
    .replace(
      /export const commentsRelations[\s\S]*$/,
      `export const relations = defineRelations({ users, posts, tags, postTags, comments }, (r) => ({
  comments: { post: r.one.posts({ from: r.comments.postId, to: r.posts.id }) },
  posts: { comments: r.many.comments(), author: r.one.users({ from: r.posts.authorId, to: r.users.id }) },
}));
`,
    );

/**
 * The drizzle majors a team may run, each installed in dev dependencies (1.0 under npm aliases, as the
 * PostgreSQL versions are), and the schema each one's project starts from.
 */
export const DRIZZLE_MAJORS = [
  { major: '0.x', orm: 'drizzle-orm', kit: 'drizzle-kit', schema: OLD },
  { major: '1.0', orm: 'drizzle-orm-1', kit: 'drizzle-kit-1', schema: OLD_V1 },
] as const;
export type DrizzleMajor = (typeof DRIZZLE_MAJORS)[number];

/**
 * A team's project folder for one drizzle major: its own `node_modules/drizzle-orm` and
 * `node_modules/drizzle-kit`, resolved as a team's would be. The alias packages are hard-linked in (a
 * symlink would make drizzle-kit find the repository's drizzle-orm 0.x from its real path).
 */
export function drizzleProject(prefix: string, m: DrizzleMajor): string {
  const project = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  if (m.major === '0.x') {
    fs.symlinkSync(MODULES, path.join(project, 'node_modules'), 'dir');
    return project;
  }
  const modules = path.join(project, 'node_modules');
  fs.mkdirSync(modules);
  linkTree(path.join(MODULES, m.orm), path.join(modules, 'drizzle-orm'));
  linkTree(path.join(MODULES, m.kit), path.join(modules, 'drizzle-kit'));
  fs.symlinkSync(path.join(MODULES, 'postgres'), path.join(modules, 'postgres'), 'dir');
  return project;
}

/** drizzle-kit's CLI in the project: `node <project>/node_modules/drizzle-kit/bin.cjs`. */
export const kitBin = (project: string): string => path.join(project, 'node_modules', 'drizzle-kit', 'bin.cjs');

/** The project's own drizzle-kit, run in the project folder as the team runs it, with DATABASE_URL `url`. */
export function runKit(project: string, args: string[], url: string): { ok: boolean; output: string } {
  const run = spawnSync(process.execPath, [kitBin(project), ...args], {
    cwd: project,
    env: { ...process.env, DATABASE_URL: url },
    encoding: 'utf8',
  });
  return { ok: run.status === 0, output: `${run.stdout}\n${run.stderr}` };
}

/**
 * A few rows for the drizzle-made schema (integer keys): invitations, posts, tags, and comments, one
 * without a post.
 */
export const TEAM_ROWS = `
  INSERT INTO users (email, invited_by) VALUES ('a@x', NULL), ('b@x', 1), ('c@x', 2);
  INSERT INTO posts (author_id, title) VALUES (1, 'one'), (3, 'two');
  INSERT INTO tags VALUES ('news'), ('help');
  INSERT INTO post_tags VALUES (1, 'news'), (2, 'news'), (2, 'help');
  INSERT INTO comments (post_id, body) VALUES (1, 'hi'), (2, 'yo'), (NULL, 'loose');
`;

function linkTree(from: string, to: string): void {
  fs.mkdirSync(to, { recursive: true });
  for (const entry of fs.readdirSync(from, { withFileTypes: true })) {
    const [source, target] = [path.join(from, entry.name), path.join(to, entry.name)];
    if (entry.isDirectory()) linkTree(source, target);
    else {
      try {
        fs.linkSync(source, target);
      } catch {
        fs.copyFileSync(source, target);
      }
    }
  }
}
