import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { findTeamFolder, nextEntry, ORIGIN_ID } from '../../src/drizzle/folder.js';
import { folderMillis, nextFolderName } from '../../src/drizzle/folder-v1.js';
import { isRecorded, lastCreatedAt, migrationHash } from '../../src/drizzle/record.js';
import { loadDrizzleKit, noExit, renderSnapshot } from '../../src/drizzle/snapshot.js';
import { renderSnapshotV1, snapshotDeltas } from '../../src/drizzle/snapshot-v1.js';
import { importDrizzleSchema } from '../../src/schema/load-schema.js';
import { DRIZZLE_MAJORS, drizzleProject } from '../helpers/drizzle-project.js';
import { FIXTURES, fixturePath } from '../helpers/fixtures.js';

const REPO = path.resolve(FIXTURES, '..', '..');

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
    expect(found?.layout === 'journal' && found.snapshots).toEqual([path.join(team, 'meta', '0000_snapshot.json')]);
    expect(found?.entries).toEqual([
      {
        tag: '0000_init',
        when: 1,
        sqlFile: path.join(team, '0000_init.sql'),
        snapshotFile: path.join(team, 'meta', '0000_snapshot.json'),
      },
    ]);
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
    const kit = loadDrizzleKit(fixturePath('drizzle-made'), { folder: 'drizzle', layout: 'journal' });
    const { id, text } = await renderSnapshot(kit, twice, ORIGIN_ID);
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
      const team = { folder: 'drizzle', layout: 'journal' } as const;
      expect(() => loadDrizzleKit(bare, team)).toThrow(/none is installed where .* can find it; install it/);
      // drizzle-kit 1.0 reads only its own layout, 0.31 only the journal: each mismatch in one sentence.
      const withKit = (name: string, kit: string) => {
        fs.mkdirSync(path.join(bare, name, 'node_modules'), { recursive: true });
        fs.symlinkSync(path.join(REPO, 'node_modules', kit), path.join(bare, name, 'node_modules', 'drizzle-kit'));
        return path.join(bare, name);
      };
      const kit1 = withKit('kit1', 'drizzle-kit-1');
      expect(() => loadDrizzleKit(kit1, team)).toThrow(/no longer reads: convert it with npx drizzle-kit up/);
      const kit0 = withKit('kit0', 'drizzle-kit');
      expect(() => loadDrizzleKit(kit0, { folder: 'drizzle', layout: 'folders' })).toThrow(
        /has drizzle-kit 1.0's layout \(a folder per migration\), and the project's drizzle-kit .* is older/,
      );
    } finally {
      fs.rmSync(bare, { recursive: true, force: true });
    }
  });
});

describe("drizzle-kit 1.0's layout: a folder per migration", () => {
  test('found by its migration folders, in name order, each at its name`s UTC second', () => {
    const team = path.join(dir, 'v1');
    for (const name of ['20261130091414_posts', '20261130091406_init']) {
      fs.mkdirSync(path.join(team, name), { recursive: true });
      fs.writeFileSync(path.join(team, name, 'migration.sql'), 'SELECT 1;');
    }
    fs.mkdirSync(path.join(team, 'notes')); // no migration.sql: not a migration
    const found = findTeamFolder(['v1'], dir);
    expect(found?.layout).toBe('folders');
    expect(found?.entries.map((e) => [e.tag, e.when])).toEqual([
      ['20261130091406_init', Date.UTC(2026, 10, 30, 9, 14, 6)],
      ['20261130091414_posts', Date.UTC(2026, 10, 30, 9, 14, 14)],
    ]);
    expect(found?.entries[0]?.snapshotFile).toBe(path.join(team, '20261130091406_init', 'snapshot.json'));
  });

  test('the next folder: now, or a second after the last one when a clock ran ahead', () => {
    const entries = [{ tag: 'x', when: Date.UTC(2026, 10, 30, 9, 0, 0), sqlFile: '', snapshotFile: '' }];
    expect(nextFolderName(entries, 'uuid_keys', new Date('2026-11-30T10:00:00.750Z'))).toEqual({
      tag: '20261130100000_uuid_keys',
      when: Date.UTC(2026, 10, 30, 10, 0, 0),
    });
    expect(nextFolderName(entries, 'k', new Date('2026-11-30T08:00:00Z')).tag).toBe('20261130090001_k');
    expect(folderMillis('0000_init')).toBe(0);
  });

  test("recorded as drizzle-orm 1.0's migrator tells: by name, or a 0.x row by its second or hash", () => {
    const e = { tag: '20261130091406_init', when: Date.UTC(2026, 10, 30, 9, 14, 6), hash: 'h' };
    const row = (name: string | null, createdAt: number | null, hash = 'other') => ({ name, createdAt, hash });
    expect(isRecorded([row('20261130091406_init', 1)], 'folders', e)).toBe(true);
    expect(isRecorded([row('20261130091407_x', e.when)], 'folders', e)).toBe(false);
    expect(isRecorded([row(null, e.when + 638)], 'folders', e)).toBe(true);
    expect(isRecorded([row(null, 5, 'h')], 'folders', e)).toBe(true);
    expect(isRecorded([row(null, 5)], 'folders', e)).toBe(false);
    expect(isRecorded([row(null, 5, 'h')], 'journal', e)).toBe(true);
    expect(lastCreatedAt([row(null, 3), row(null, 9)])).toBe(9);
    expect(lastCreatedAt([row(null, 3), row(null, null)])).toBeNull();
  });

  test("a diff snapshot's deltas: created rows, dropped keys, changed fields", () => {
    const t = (name: string) => ({ entityType: 'tables', schema: 'public', name, isRlsEnabled: false });
    const c = (name: string, type: string) => ({ entityType: 'columns', schema: 'public', table: 'a', name, type });
    expect(snapshotDeltas([t('a'), t('gone'), c('id', 'integer')], [t('a'), c('id', 'uuid'), t('new')])).toEqual([
      { op: 'create', row: t('new') },
      { op: 'drop', key: 'tables\0["public","gone"]' },
      { op: 'alter', key: 'columns\0["public","a","id"]', set: { type: 'uuid' } },
    ]);
  });
});

describe('what drizzle-kit cannot make is one sentence', () => {
  test('a folder whose migrations have no snapshot.json: run drizzle-kit generate once first', async () => {
    const project = drizzleProject('uuidmig-nosnap-', DRIZZLE_MAJORS[1]);
    const kit = loadDrizzleKit(project, { folder: 'drizzle', layout: 'folders' });
    fs.rmSync(project, { recursive: true, force: true });
    const imported = await importDrizzleSchema(fixturePath('drizzle-made', 'schema.ts'));
    const entry = { tag: '20261130091406_init', when: 0, sqlFile: '/x/migration.sql', snapshotFile: '/x/none.json' };
    await expect(renderSnapshotV1(kit, imported, [entry])).rejects.toThrow(
      'and no migration of /x/migration.sql has a snapshot.json: run drizzle-kit generate once first.',
    );
  });

  test("drizzle-kit's process.exit on a schema it cannot read becomes an error", async () => {
    await expect(noExit(() => process.exit(1))).rejects.toThrow(
      'drizzle-kit could not read the Drizzle schema (exit 1; its message is above).',
    );
    expect(typeof process.exit).toBe('function');
  });
});
