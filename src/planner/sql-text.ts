import { quoteIdent } from '../db/quote.js';

/** A statement from its clauses, in order, joined by spaces; an optional clause given as '' or null is left out. */
export const clauses = (...parts: (string | null | undefined | false)[]): string => parts.filter(Boolean).join(' ');

/** `"a", "b"`: a quoted column list. */
export const columnList = (names: readonly string[]): string => names.map(quoteIdent).join(', ');

/** `DO $tag$ body $tag$` with a dollar-quote tag that cannot occur in the body (a quoted name may hold `$uuidmig$`). */
export function doBlock(body: string): string {
  return `DO ${dollarQuoted(body)}`;
}

/** `$uuidmig$ body $uuidmig$`, with a tag the body cannot hold (a quoted name may hold `$uuidmig$`). */
export function dollarQuoted(body: string): string {
  let tag = 'uuidmig';
  for (let n = 1; body.includes(`$${tag}$`); n++) tag = `uuidmig${n}`;
  return `$${tag}$ ${body} $${tag}$`;
}

/** drizzle-orm's migrator splits a file on this (drizzle-kit writes it between statements). */
export const BREAKPOINT = '--> statement-breakpoint';

/**
 * `-- text` as one comment line, whatever names the text holds: a line break (or any control
 * character) in a table's name would end the comment and make the rest of the name a statement.
 */
export function sqlComment(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this removes
  return `-- ${text.replace(/[\u0000-\u001f\u007f\u0085\u2028\u2029]+/g, ' ')}`;
}

/** SQL text (or a message quoting it) on one line: its `--` comment lines left out, whitespace runs as one space. */
export const oneLine = (text: string): string =>
  text
    .split('\n')
    .filter((line) => !line.startsWith('--'))
    .join(' ')
    .replace(/\s+/g, ' ')
    .trim();
