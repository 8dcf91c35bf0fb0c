/**
 * Passwords never reach the terminal: every URL we echo goes through maskUrl, and every message
 * that might carry one (a driver error quoting its options) goes through redactSecrets.
 */
export function maskUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    // Not a URL we can parse: hide anything that looks like user:password@.
    return url.replace(/(\/\/[^:/@]+:)[^@]*@/, '$1***@');
  }
}

export function redactSecrets(message: string, secrets: Iterable<string | undefined>): string {
  let out = message;
  for (const secret of secrets) {
    if (!secret) continue;
    out = out.split(secret).join('***');
    const encoded = encodeURIComponent(secret);
    if (encoded !== secret) out = out.split(encoded).join('***');
  }
  return out.replace(/(postgres(?:ql)?:\/\/[^:/@\s]+:)[^@\s]*@/g, '$1***@');
}

export function passwordOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const password = new URL(url).password;
    return password ? decodeURIComponent(password) : undefined;
  } catch {
    return undefined;
  }
}
