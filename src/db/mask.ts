/**
 * Passwords never reach the terminal, and nothing else is hidden: a password is masked where it
 * stands (the password field of a URL, `password=` in a connection string, a `password:` option an
 * error quotes), never by searching the text for it, which garbled every word that happened to equal
 * it (`node_modules/***`/src when the password was `postgres`, `***lled back` for `ro`).
 */

const MASK = '***';

/**
 * A URL with its password replaced. One that does not parse (an unencoded `@` or `/` in the password),
 * or parses only by reading part of its password as a fragment or a query (`p@ss#w0rd@host`: host
 * `ss`, fragment `w0rd@host`; misread: misreadUrl), hides everything between the user name and the
 * last `@`, where the password must end.
 */
export function maskUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (misreadUrl(parsed)) throw new Error('misread');
    if (parsed.password) parsed.password = MASK;
    return parsed.toString();
  } catch {
    return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:).*@/i, `$1${MASK}@`);
  }
}

/**
 * A database URL has no fragment, and no `@` after its host: either means an unencoded `#` or `?` in
 * the password ended the host early, so what the URL names as host is part of the password.
 */
export const misreadUrl = (parsed: URL): boolean => parsed.hash !== '' || parsed.search.includes('@');

const IN_TEXT: [RegExp, string][] = [
  // scheme://user:password@host: greedy up to the last @ of the URL (a password may hold an @).
  [/\b([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)\S*@/gi, `$1${MASK}@`],
  // libpq keyword/value strings and environment assignments: password=secret, PGPASSWORD='a b'.
  [/\b((?:pg)?password\s*=\s*)('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|[^\s'"]+)/gi, `$1${MASK}`],
  // an options object a driver error quotes: password: 'secret', "pass":"secret".
  [/(\bpass(?:word)?["']?\s*:\s*)(['"])(?:(?!\2).)*\2/gi, `$1$2${MASK}$2`],
];

/** Mask every password in a message or a stack trace where it stands; nothing else changes. */
export function redactSecrets(text: string): string {
  return IN_TEXT.reduce((out, [pattern, replacement]) => out.replace(pattern, replacement), text);
}
