#!/usr/bin/env node
// The CLI is compiled to dist/ by `npm install` (the prepare script).
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/bin.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write(
    'uuidmig: the CLI is not built yet; run `npm install` (or `npm run build`) in the uuidmig folder.\n',
  );
  process.exit(2);
}
await import(entry.href);
