import { z } from 'zod';
import type { InitResult } from './init.js';

/** `uuidmig init --json`: the document on stdout, validated before it is printed. */
export const initOutputSchema = z.object({
  version: z.literal(1),
  command: z.literal('init'),
  dryRun: z.boolean(),
  files: z.array(z.object({ file: z.string(), changed: z.boolean(), diff: z.string().nullable() })),
  keys: z.array(z.string()),
  references: z.array(z.string()),
  opclasses: z.number(),
  legacyColumns: z.array(z.string()),
  skipped: z.array(z.string()),
});

const count = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** What init says on stderr: what it left alone, then one line of counts. */
export function renderInitSummary(result: InitResult): string {
  const changed = result.files.filter((f) => f.changed).length;
  const counts = [
    count(result.keys.length, 'key'),
    count(result.references.length, 'reference'),
    count(result.opclasses, 'opclass', 'opclasses'),
    ...(result.legacyColumns.length ? [count(result.legacyColumns.length, 'legacy column')] : []),
  ].join(', ');
  const files = result.dryRun
    ? `${count(changed, 'file')} would change (dry run, nothing written)`
    : `${count(changed, 'file')} changed`;
  return [...result.skipped.map((s) => `init: ${s}`), `init: ${files}, ${counts}`].map((l) => `${l}\n`).join('');
}
