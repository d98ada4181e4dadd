/** Passwords never reach a message, a log line or --json output. */
const MASK = '****';

/** The URL with its password (if any) replaced by a mask; unparseable input is masked whole after the scheme. */
export function maskDatabaseUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = MASK;
    return parsed.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, `//${MASK}@`);
  }
}

/** Replaces every occurrence of each secret in `text`. */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  let result = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 3) result = result.split(secret).join(MASK);
  }
  return result;
}

/** The password of a PostgreSQL URL, decoded, to scrub from driver messages. */
export function passwordOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    const password = new URL(url).password;
    return password ? decodeURIComponent(password) : undefined;
  } catch {
    return undefined;
  }
}
