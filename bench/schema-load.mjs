// npm run bench -- --schema-load [--files 164] [--keep]: how long plan takes to load a multi-file Drizzle schema
// whose files import each other (a shared columns helper, and the tables of earlier files for their
// references), and the peak memory of the process that loads it; each load in a fresh process.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const files = Number(arg('files', '164'));
const TABLES_PER_FILE = 6;

/** A project of `n` schema files: file i defines 6 tables, each referencing a table of up to 3 earlier files. */
function writeProject(n) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'uuidmig-bench-load-'));
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(path.join(root, 'node_modules', 'drizzle-orm'), path.join(dir, 'node_modules', 'drizzle-orm'));
  fs.mkdirSync(path.join(dir, 'schema'));
  fs.writeFileSync(
    path.join(dir, 'columns.ts'),
    "import { timestamp, text } from 'drizzle-orm/pg-core';\n" +
      "export const timestamps = { createdAt: timestamp('created_at').defaultNow(), note: text('note') };\n",
  );
  for (let i = 0; i < n; i++) {
    const earlier = [...new Set([i - 1, i - 7, i - 31].filter((j) => j >= 0))];
    const lines = [
      "import { index, integer, pgTable, serial, text } from 'drizzle-orm/pg-core';",
      "import { relations } from 'drizzle-orm';",
      "import { timestamps } from '../columns';",
      ...earlier.map((j) => `import { t${j}_0 } from './file${j}';`),
    ];
    for (let t = 0; t < TABLES_PER_FILE; t++) {
      const refs = earlier.map((j) => `  ref${j}: integer('ref${j}').references(() => t${j}_0.id),`);
      lines.push(
        `export const t${i}_${t} = pgTable('t${i}_${t}', {`,
        "  id: serial('id').primaryKey(),",
        "  name: text('name').notNull(),",
        ...(t === 0 ? refs : []),
        '  ...timestamps,',
        `}, (x) => [index('t${i}_${t}_name_idx').on(x.name)]);`,
      );
    }
    lines.push(
      `export const t${i}_1Relations = relations(t${i}_1, ({ one }) => ({ owner: one(t${i}_0, ` +
        `{ fields: [t${i}_1.id], references: [t${i}_0.id] }) }));`,
    );
    fs.writeFileSync(path.join(dir, 'schema', `file${i}.ts`), `${lines.join('\n')}\n`);
  }
  return dir;
}

/** One load in a fresh process: its wall time and peak memory (GNU time's maximum resident set). */
function load(dir) {
  const loader = JSON.stringify(path.join(root, 'dist/schema/load-schema.js'));
  const script =
    `const { importDrizzleSchema, schemaModel } = await import(${loader});` +
    'const t0 = Date.now();' +
    `const imported = await importDrizzleSchema(${JSON.stringify(path.join(dir, 'schema'))});` +
    'const model = schemaModel(imported);' +
    'const ms = Date.now() - t0;' +
    'const rss = process.resourceUsage().maxRSS;' +
    'console.log(JSON.stringify({ ms, tables: model.tables.length, maxRssMb: Math.round(rss / 1024) }));';
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }));
}

const dir = writeProject(files);
try {
  const runs = [load(dir), load(dir), load(dir)];
  const best = runs.reduce((a, b) => (a.ms <= b.ms ? a : b));
  const result = { date: new Date().toISOString(), files, runs, best };
  process.stdout.write(
    `schema load: ${files} files, ${best.tables} tables: ${(best.ms / 1000).toFixed(2)} s (best of 3), ` +
      `peak memory ${Math.max(...runs.map((r) => r.maxRssMb))} MB\n`,
  );
  const file = path.join(here, 'results', `${result.date.slice(0, 10)}-schema-load.json`);
  fs.writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`wrote ${path.relative(process.cwd(), file)}\n`);
} finally {
  if (process.argv.includes('--keep')) process.stdout.write(`kept the project in ${dir}\n`);
  else fs.rmSync(dir, { recursive: true, force: true });
}
