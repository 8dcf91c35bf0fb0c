import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { findTeamFolder, nextEntry, ORIGIN_ID } from '../../src/drizzle/folder.js';
import { migrationHash } from '../../src/drizzle/record.js';
import { loadDrizzleKit, renderSnapshot } from '../../src/drizzle/snapshot.js';
import { importDrizzleSchema } from '../../src/schema/load-schema.js';
import { fixturePath } from '../helpers/fixtures.js';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uuidmig-team-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const journal = (entries: { idx: number; when: number; tag: string }[]) => ({
  version: '7',
  dialect: 'postgresql',
  entries: entries.map((e) => ({ ...e, version: '7', breakpoints: true })),
});

function teamFolder(name: string, content: object): string {
  const folder = path.join(dir, name);
  fs.mkdirSync(path.join(folder, 'meta'), { recursive: true });
  fs.writeFileSync(path.join(folder, 'meta', '_journal.json'), JSON.stringify(content));
  return folder;
}

describe("the team's drizzle folder", () => {
  test('the next entry: idx after the last, its tag and snapshot, a `when` later than every one', () => {
    const now = new Date('2026-11-30T04:00:00Z');
    const ahead = now.getTime() + 60_000; // a teammate's clock ran a minute ahead
    const j = journal([
      { idx: 0, when: 1, tag: '0000_init' },
      { idx: 1, when: ahead, tag: '0001_posts' },
    ]);
    expect(nextEntry(j, 'uuid_keys', now)).toEqual({
      idx: 2,
      tag: '0002_uuid_keys',
      when: ahead + 1,
      snapshotFile: '0002_snapshot.json',
    });
    expect(nextEntry(journal([]), 'uuid_keys', now)).toMatchObject({ idx: 0, tag: '0000_uuid_keys', when: +now });
    expect(nextEntry(j, 'k', now, 'timestamp').tag).toBe('20261130040000_k');
    expect(nextEntry(j, 'k', now, 'unix').snapshotFile).toBe(`${+now / 1000}_snapshot.json`);
  });

  test('found at --out or at the config`s out, only with meta/_journal.json', () => {
    const team = teamFolder('drizzle', journal([{ idx: 0, when: 1, tag: '0000_init' }]));
    fs.writeFileSync(path.join(team, 'meta', '0000_snapshot.json'), '{}');
    fs.mkdirSync(path.join(dir, 'plain'));
    expect(findTeamFolder(['plain', undefined], dir)).toBeNull();
    const found = findTeamFolder(['plain', './drizzle'], dir);
    expect(found?.folder).toBe(team);
    expect(found?.snapshots).toEqual([path.join(team, 'meta', '0000_snapshot.json')]);
    teamFolder('mysql', { version: '5', dialect: 'mysql', entries: [] });
    expect(() => findTeamFolder(['mysql'], dir)).toThrow('is for dialect "mysql", not postgresql.');
  });

  test("the hash apply records is drizzle-orm's own", () => {
    const team = teamFolder('hashed', journal([{ idx: 0, when: 5, tag: '0000_x' }]));
    const text = "-- a comment\nSELECT 'é';\n--> statement-breakpoint\nSELECT 2;\n";
    fs.writeFileSync(path.join(team, '0000_x.sql'), text);
    expect(readMigrationFiles({ migrationsFolder: team })[0]!.hash).toBe(migrationHash(text));
  });
});

describe('the snapshot, by the project`s own drizzle-kit', () => {
  test('as drizzle-kit generate writes it: id and prevId first, _meta emptied, each table once', async () => {
    const imported = await importDrizzleSchema(fixturePath('drizzle-made', 'schema.ts'));
    const twice = { ...imported, modules: [...imported.modules, imported.modules[0]!] };
    const kit = loadDrizzleKit(fixturePath('drizzle-made'), 'drizzle');
    const { id, text } = renderSnapshot(kit, twice, ORIGIN_ID);
    const snapshot = JSON.parse(text);
    expect(Object.keys(snapshot).slice(0, 4)).toEqual(['id', 'prevId', 'version', 'dialect']);
    expect(snapshot).toMatchObject({ id, prevId: ORIGIN_ID, _meta: { columns: {}, schemas: {}, tables: {} } });
    expect(Object.keys(snapshot.tables).sort()).toEqual([
      'public.comments',
      'public.post_tags',
      'public.posts',
      'public.tags',
      'public.users',
    ]);
    expect(snapshot.tables['public.users'].columns.id).toMatchObject({ type: 'uuid', default: 'gen_random_uuid()' });
  });

  test('a project without drizzle-kit is told so in one sentence', () => {
    const bare = fs.mkdtempSync(path.join(os.tmpdir(), 'uuidmig-bare-'));
    try {
      expect(() => loadDrizzleKit(bare, 'drizzle')).toThrow(/none is installed where .* can find it; install it/);
    } finally {
      fs.rmSync(bare, { recursive: true, force: true });
    }
  });
});
