/**
 * Passwords never reach a message, a log line, --json output or a child
 * process's command line. A PostgreSQL URL carries them in two places: the
 * user info (`postgres://user:password@host/db`) and the query
 * (`?password=…`, and `?sslpassword=…` for an encrypted client key). URLs are
 * taken apart as text, never re-serialised, so what is not a password is
 * shown and passed on exactly as given.
 */
const MASK = '****';

/** Query parameters that hold a secret (libpq's names; matched case-insensitively). */
const PASSWORD_PARAMETERS = new Set(['password', 'sslpassword']);

interface UrlPieces {
  /** `postgres://`, or '' when the text has no scheme. */
  scheme: string;
  /** The user info without its `@`; undefined when there is none. */
  userInfo: string | undefined;
  /** Host(s), port(s) and path: between the user info and the query. */
  location: string;
  /** The raw query without its `?`; undefined when there is none. */
  query: string | undefined;
  /** False when the text is not a URL the WHATWG parser accepts: the user info is then everything up to the last `@`. */
  parseable: boolean;
}

function isParseable(url: string): boolean {
  try {
    new URL(url);
    return true;
  } catch {
    return false;
  }
}

function piecesOf(url: string): UrlPieces {
  const schemeEnd = url.indexOf('://');
  const scheme = schemeEnd < 0 ? '' : url.slice(0, schemeEnd + 3);
  const rest = url.slice(scheme.length);
  const parseable = isParseable(url);
  // A URL that parses ends its authority at the first / ? or #; one that does not may hold a
  // password with those characters unencoded, so everything before the last @ is treated as user info.
  const delimiter = rest.search(/[/?#]/);
  const authorityEnd = parseable && delimiter >= 0 ? delimiter : rest.length;
  const at = rest.lastIndexOf('@', authorityEnd - 1);
  const userInfo = at < 0 || at >= authorityEnd ? undefined : rest.slice(0, at);
  const afterUserInfo = userInfo === undefined ? rest : rest.slice(at + 1);
  const question = afterUserInfo.indexOf('?');
  return {
    scheme,
    userInfo,
    location: question < 0 ? afterUserInfo : afterUserInfo.slice(0, question),
    query: question < 0 ? undefined : afterUserInfo.slice(question + 1),
    parseable,
  };
}

function decode(text: string, plusIsSpace: boolean): string {
  try {
    return decodeURIComponent(plusIsSpace ? text.replace(/\+/g, ' ') : text);
  } catch {
    return text;
  }
}

interface QueryPair {
  raw: string;
  key: string;
  /** The raw value (after `=`), undefined for a bare key. */
  value: string | undefined;
}

function queryPairs(query: string): QueryPair[] {
  return query.split('&').map((raw) => {
    const equals = raw.indexOf('=');
    const rawKey = equals < 0 ? raw : raw.slice(0, equals);
    return { raw, key: decode(rawKey, true).toLowerCase(), value: equals < 0 ? undefined : raw.slice(equals + 1) };
  });
}

const isPasswordPair = (pair: QueryPair): boolean => PASSWORD_PARAMETERS.has(pair.key);

function assemble(pieces: UrlPieces, userInfo: string | undefined, query: string | undefined): string {
  return `${pieces.scheme}${userInfo === undefined ? '' : `${userInfo}@`}${pieces.location}${query ? `?${query}` : ''}`;
}

/**
 * The URL with every password (user info, `password` and `sslpassword` query
 * parameters) replaced by a mask; the rest is kept as given. Text that is not
 * a URL has its whole user info masked.
 */
export function maskDatabaseUrl(url: string): string {
  const pieces = piecesOf(url);
  let userInfo = pieces.userInfo;
  if (userInfo !== undefined) {
    const colon = userInfo.indexOf(':');
    if (!pieces.parseable) userInfo = MASK;
    else if (colon >= 0 && colon < userInfo.length - 1) userInfo = `${userInfo.slice(0, colon)}:${MASK}`;
  }
  const query =
    pieces.query === undefined
      ? undefined
      : queryPairs(pieces.query)
          .map((pair) =>
            isPasswordPair(pair) && pair.value !== undefined ? `${pair.raw.slice(0, pair.raw.indexOf('='))}=${MASK}` : pair.raw,
          )
          .join('&');
  return assemble(pieces, userInfo, query);
}

/**
 * The URL without any password: the user info keeps its user name, and the
 * `password` / `sslpassword` query parameters are dropped. What a client
 * tool may see on its command line.
 */
export function withoutPasswords(url: string): string {
  const pieces = piecesOf(url);
  let userInfo = pieces.userInfo;
  if (userInfo !== undefined) {
    const colon = userInfo.indexOf(':');
    if (colon >= 0) userInfo = userInfo.slice(0, colon);
  }
  const query =
    pieces.query === undefined
      ? undefined
      : queryPairs(pieces.query)
          .filter((pair) => !isPasswordPair(pair))
          .map((pair) => pair.raw)
          .join('&');
  return assemble(pieces, userInfo === '' ? undefined : userInfo, query);
}

/** The raw value of query parameter `name` (the last one wins, as in libpq and node-postgres), undefined when absent. */
function queryValue(pieces: UrlPieces, name: string): string | undefined {
  if (pieces.query === undefined) return undefined;
  return queryPairs(pieces.query)
    .filter((pair) => pair.key === name && pair.value !== undefined)
    .map((pair) => pair.value!)
    .at(-1);
}

function userInfoPassword(pieces: UrlPieces): string | undefined {
  const colon = pieces.userInfo?.indexOf(':') ?? -1;
  return colon < 0 ? undefined : pieces.userInfo!.slice(colon + 1);
}

/**
 * The password a connection to `url` uses, decoded: the `password` query
 * parameter when given (it wins over the user info in libpq and in
 * node-postgres alike), else the user info's.
 */
export function passwordOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  const pieces = piecesOf(url);
  const fromQuery = queryValue(pieces, 'password');
  if (fromQuery) return decode(fromQuery, true);
  const fromUserInfo = userInfoPassword(pieces);
  return fromUserInfo ? decode(fromUserInfo, false) : undefined;
}

/** The `sslpassword` query parameter (the client key's passphrase), decoded. */
export function sslPasswordOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  const value = queryValue(piecesOf(url), 'sslpassword');
  return value ? decode(value, true) : undefined;
}

/**
 * Every secret `url` holds, in every form it may show up in a message (as
 * written, decoded, re-encoded): what {@link redact} scrubs from driver and
 * tool messages.
 */
export function passwordsOf(url: string | undefined): string[] {
  if (!url) return [];
  const pieces = piecesOf(url);
  const raw: { value: string; plusIsSpace: boolean }[] = [];
  const fromUserInfo = userInfoPassword(pieces);
  if (fromUserInfo) raw.push({ value: fromUserInfo, plusIsSpace: false });
  if (pieces.query !== undefined) {
    for (const pair of queryPairs(pieces.query)) if (isPasswordPair(pair) && pair.value) raw.push({ value: pair.value, plusIsSpace: true });
  }
  const forms = new Set<string>();
  for (const { value, plusIsSpace } of raw) {
    const decoded = decode(value, plusIsSpace);
    for (const form of [value, decoded, decode(value, false), encodeURIComponent(decoded)]) if (form) forms.add(form);
  }
  // Longest first, so a password is never half-masked because a shorter form of it was replaced first.
  return [...forms].sort((a, b) => b.length - a.length);
}

/** Replaces every occurrence of each secret in `text`. */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  let result = text;
  const ordered = secrets.filter((secret): secret is string => !!secret && secret.length >= 3).sort((a, b) => b.length - a.length);
  for (const secret of ordered) result = result.split(secret).join(MASK);
  return result;
}
