/**
 * `doctor`'s view of where the tool runs: the versions (tool, Node, OS,
 * PGlite) and the configuration with where each value came from — every
 * secret masked (passwords in URLs, the proxy login's password, the keys).
 */
import { readFileSync } from 'node:fs';
import { arch, release, type } from 'node:os';
import type { Config, ConfigKey } from '../config/schema.js';
import { configKeys, environmentVariables } from '../config/schema.js';
import { installedPgliteVersion } from '../db/pglite-template.js';
import { maskDatabaseUrl, passwordsOf } from '../util/redact.js';

/** The versions of what the tool runs on (the database's own is in the connection test). */
export interface DoctorVersions {
  tool: { name: string; version: string };
  node: string;
  os: { type: string; release: string; arch: string; distribution?: string };
  /** The installed PGlite package (used for the embedded database), when it can be read. */
  pglite?: string;
}

/** Where a configuration value came from. */
export type ConfigSourceKind = 'flag' | 'environment' | 'file' | 'options' | 'default';

/** One configuration key: its value (secrets masked; absent when unset) and where it came from. */
export interface DoctorConfigValue {
  key: ConfigKey;
  value?: unknown;
  source: ConfigSourceKind;
  /** The flag, environment variable or config file path the value came from. */
  from?: string;
}

/** Whether a secret the tool reads from the environment is set; never its value. */
export interface DoctorSecret {
  name: string;
  set: boolean;
  /** The key ids of a keyring (`id:base64,…`): not secret, and what `rotate-keys` reports. */
  keyIds?: string[];
}

/** The keyrings the client and `rotate-keys` / `import` read from the environment. */
const SECRET_VARIABLES = ['ECLIPTIX_DATA_KEYS', 'ECLIPTIX_OTP_KEYS'] as const;

function readVersion(url: URL): { name: string; version: string } {
  const pkg = JSON.parse(readFileSync(url, 'utf8')) as { name: string; version: string };
  return { name: pkg.name, version: pkg.version };
}

/** `Debian GNU/Linux 12 (bookworm)` from /etc/os-release, or undefined. */
function distribution(): string | undefined {
  try {
    const text = readFileSync('/etc/os-release', 'utf8');
    const value = /^PRETTY_NAME=(.*)$/m
      .exec(text)?.[1]
      ?.trim()
      .replace(/^"(.*)"$/, '$1');
    if (!value) return undefined;
    try {
      const debian = readFileSync('/etc/debian_version', 'utf8').trim();
      return value.includes(debian) ? value : `${value}, debian_version ${debian}`;
    } catch {
      return value;
    }
  } catch {
    return undefined;
  }
}

/** The tool's, Node's, the OS's and PGlite's versions. */
export function readVersions(): DoctorVersions {
  const os: DoctorVersions['os'] = { type: type(), release: release(), arch: arch() };
  const distro = distribution();
  if (distro) os.distribution = distro;
  let pglite: string | undefined;
  try {
    pglite = installedPgliteVersion();
  } catch {
    pglite = undefined;
  }
  return {
    tool: readVersion(new URL('../../package.json', import.meta.url)),
    node: process.version,
    os,
    ...(pglite ? { pglite } : {}),
  };
}

/** A value as it may be shown: URLs with their passwords masked, the proxy login's password replaced. */
function shown(key: ConfigKey, value: unknown): unknown {
  if (key === 'databaseUrl' && typeof value === 'string') return maskDatabaseUrl(value);
  if (key === 'cluster' && typeof value === 'object' && value !== null) {
    const cluster = value as NonNullable<Config['cluster']>;
    return {
      ...cluster,
      proxy: maskDatabaseUrl(cluster.proxy),
      partitions: cluster.partitions.map((url) => maskDatabaseUrl(url)),
      ...(cluster.proxyLogin ? { proxyLogin: { ...cluster.proxyLogin, password: '****' } } : {}),
    };
  }
  return value;
}

function sourceOf(origin: string | undefined, configFile: string | undefined, given: boolean): { source: ConfigSourceKind; from?: string } {
  if (origin === undefined) return { source: given ? 'options' : 'default' };
  if (origin === configFile) return { source: 'file', from: origin };
  if (origin.startsWith('-')) return { source: 'flag', from: origin };
  if (Object.values(environmentVariables).includes(origin)) return { source: 'environment', from: origin };
  return { source: 'file', from: origin };
}

/**
 * Every configuration key with its value (masked) and where it came from:
 * `origins` (as loadConfig records them) name a flag, variable or file; a
 * key without one is a default, or a programmatic option when `given` has it.
 */
export function describeConfig(
  config: Config,
  provenance: { origins?: Partial<Record<ConfigKey, string>>; configFile?: string; given?: ReadonlySet<string> },
): DoctorConfigValue[] {
  return configKeys.map((key) => {
    const value = config[key];
    const origin = provenance.origins?.[key];
    const where = sourceOf(origin, provenance.configFile, provenance.given?.has(key) === true);
    return { key, ...(value === undefined ? {} : { value: shown(key, value) }), ...where };
  });
}

/** Whether each keyring variable is set, and its key ids. */
export function describeSecrets(env: NodeJS.ProcessEnv): DoctorSecret[] {
  return SECRET_VARIABLES.map((name) => {
    const text = env[name];
    if (!text) return { name, set: false };
    const ids = text
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry.includes(':'))
      .map((entry) => entry.slice(0, entry.indexOf(':')).trim())
      // An id is a short name; anything else may be a key written without its id, and is not shown.
      .filter((id) => /^[A-Za-z0-9_.-]{1,32}$/.test(id));
    return { name, set: true, ...(ids.length > 0 ? { keyIds: ids } : {}) };
  });
}

/**
 * Every secret the configuration and environment hold, in every form it may
 * appear in a message: what the report is scrubbed of before it is returned.
 */
export function secretsOf(config: Pick<Config, 'databaseUrl' | 'cluster'>, env: NodeJS.ProcessEnv): string[] {
  const secrets = new Set<string>();
  const urls = [config.databaseUrl, config.cluster?.proxy, ...(config.cluster?.partitions ?? [])];
  for (const url of urls) for (const secret of passwordsOf(url)) secrets.add(secret);
  if (config.cluster?.proxyLogin?.password) secrets.add(config.cluster.proxyLogin.password);
  for (const name of SECRET_VARIABLES) {
    const text = env[name];
    if (!text) continue;
    secrets.add(text);
    for (const entry of text.split(',')) {
      const colon = entry.indexOf(':');
      secrets.add(entry.trim());
      if (colon >= 0) secrets.add(entry.slice(colon + 1).trim());
    }
  }
  return [...secrets].filter((secret) => secret.length > 0);
}
