#!/usr/bin/env node
// `npm run size`: what a user installs. Packs this project as npm would publish it, installs the
// tarball into an empty project with `npm install --omit=dev`, and prints the size of node_modules
// and its largest packages (the README quotes the total).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'uuidmig-size-'));
const npm = (args, cwd) => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });

function sizeOf(target) {
  let total = 0;
  for (const entry of fs.readdirSync(target, { withFileTypes: true })) {
    const full = path.join(target, entry.name);
    if (entry.isDirectory()) total += sizeOf(full);
    else if (entry.isFile()) total += fs.statSync(full).size;
  }
  return total;
}

try {
  const tarball = npm(['pack', '--silent', '--pack-destination', work], root).trim().split('\n').at(-1);
  fs.writeFileSync(path.join(work, 'package.json'), '{ "name": "size-check", "private": true }\n');
  npm(['install', '--omit=dev', '--no-audit', '--no-fund', path.join(work, tarball)], work);
  const modules = path.join(work, 'node_modules');
  const top = fs
    .readdirSync(modules)
    .filter((n) => !n.startsWith('.'))
    .flatMap((n) => (n.startsWith('@') ? fs.readdirSync(path.join(modules, n)).map((m) => `${n}/${m}`) : [n]))
    .map((n) => [n, sizeOf(path.join(modules, n))])
    .sort((a, b) => b[1] - a[1]);
  const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  const total = sizeOf(modules);
  process.stdout.write(`npm install --omit=dev of ${tarball}: ${mb(total)} in ${top.length} packages\n`);
  for (const [name, bytes] of top.slice(0, 8)) process.stdout.write(`  ${mb(bytes).padStart(9)}  ${name}\n`);
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
