import { createHash } from 'node:crypto';
import { identifierBytes, MAX_IDENTIFIER_BYTES } from './quote.js';

/** Cut a string to at most `bytes` UTF-8 bytes without splitting a character. */
function cutToBytes(text: string, bytes: number): string {
  let out = '';
  for (const ch of text) {
    if (identifierBytes(out + ch) > bytes) break;
    out += ch;
  }
  return out;
}

/**
 * A name uuidmig derives from a user's name (`author_id` → `author_id__uuidmig_new`): within
 * PostgreSQL's 63 bytes (which would otherwise truncate it silently, and could collide), and different
 * from every name in `taken`. When it does not fit, the base is cut and a short hash of the full
 * base keeps it unique.
 */
export function deriveName(base: string, suffix: string, taken: ReadonlySet<string> = new Set()): string {
  const plain = `${base}${suffix}`;
  if (identifierBytes(plain) <= MAX_IDENTIFIER_BYTES && !taken.has(plain)) return plain;
  for (let attempt = 0; ; attempt++) {
    const hash = createHash('sha256').update(`${base}\0${attempt}`).digest('hex').slice(0, 8);
    const tail = `_${hash}${suffix}`;
    const name = `${cutToBytes(base, MAX_IDENTIFIER_BYTES - identifierBytes(tail))}${tail}`;
    if (!taken.has(name)) return name;
  }
}

export const SHADOW_SUFFIX = '__uuidmig_new';
export const RETIRED_SUFFIX = '__uuidmig_old';
export const ORPHAN_SUFFIX = '_legacy';
