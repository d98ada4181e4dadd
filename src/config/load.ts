/**
 * Configuration precedence: flags > environment > config file > defaults.
 * Every error names the key and where its value came from; exit code 2.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { PersistorError } from '../errors.js';
import { maskDatabaseUrl } from '../util/redact.js';
import {
  CONFIG_FILE_NAME,
  type Config,
  type ConfigKey,
  configKeys,
  configSchema,
  conflictOf,
  environmentVariables,
  flagNames,
  numericKeys,
  pathKeys,
} from './schema.js';

/** Where configuration comes from, highest precedence first: flags, environment, config file, defaults. */
export interface ConfigSources {
  /** Values given as command-line flags (already named by key). */
  flags?: Partial<Record<ConfigKey, unknown>>;
  env?: NodeJS.ProcessEnv;
  /** Explicit config file (--config); otherwise ./ecliptix-persistor.config.json if present. */
  configFile?: string;
  cwd?: string;
}

/** The validated configuration, and where each value came from. */
export interface LoadedConfig {
  config: Config;
  /** Where each key's value came from, for messages (`--data-dir`, `DATABASE_URL`, a file, or default). */
  origins: Partial<Record<ConfigKey, string>>;
  configFile?: string;
}

/** Where the values of each configuration {@link loadConfig} returned came from; held weakly, so nothing outlives its config. */
const provenance = new WeakMap<Config, Omit<LoadedConfig, 'config'>>();

/**
 * Merges flags > environment > config file > defaults and validates the result: INVALID_CONFIG (exit 2) naming the key and its origin.
 *
 * @example
 * const { config, origins } = loadConfig({ configFile: 'ecliptix-persistor.config.json' });
 * origins.databaseUrl; // 'DATABASE_URL', '--database-url', the file, or 'default'
 */
export function loadConfig(sources: ConfigSources = {}): LoadedConfig {
  const cwd = sources.cwd ?? process.cwd();
  const env = sources.env ?? process.env;
  const merged: Record<string, unknown> = {};
  const origins: Record<string, string> = {};

  const file = readConfigFile(sources.configFile, cwd);
  if (file) {
    for (const [key, value] of Object.entries(file.values)) {
      merged[key] = pathKeys.has(key as ConfigKey) && typeof value === 'string' ? resolve(dirname(file.path), value) : value;
      origins[key] = file.path;
    }
  }
  for (const [key, variable] of Object.entries(environmentVariables) as [ConfigKey, string][]) {
    const raw = env[variable];
    if (raw === undefined || raw === '') continue;
    merged[key] = numericKeys.has(key) ? toNumber(raw) : raw;
    origins[key] = variable;
  }
  for (const [key, value] of Object.entries(sources.flags ?? {})) {
    if (value === undefined) continue;
    merged[key] = numericKeys.has(key as ConfigKey) && typeof value === 'string' ? toNumber(value) : value;
    origins[key] = flagNames[key as ConfigKey] ?? `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  }

  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const from = origins[issue.path[0] as string] ?? (file ? file.path : 'configuration');
    const at = keyPath(issue.path);
    const message =
      issue.code === 'unrecognized_keys'
        ? issue.path.length === 0
          ? `invalid configuration: unknown key ${issue.keys.join(', ')} in ${from} (known keys: ${configKeys.join(', ')})`
          : `invalid configuration: unknown key ${issue.keys.map((k) => `${at}.${k}`).join(', ')} in ${from}`
        : `invalid configuration: ${at} (from ${from}) ${describeIssue(issue.message, valueAt(merged, issue.path))}`;
    throw new PersistorError('INVALID_CONFIG', message);
  }

  const config = parsed.data;
  const conflict = conflictOf(config, origins);
  if (conflict) throw new PersistorError('INVALID_CONFIG', conflict);
  if (config.dataDir && !isAbsolute(config.dataDir)) config.dataDir = resolve(cwd, config.dataDir);
  if (config.migrationsDir && !isAbsolute(config.migrationsDir)) config.migrationsDir = resolve(cwd, config.migrationsDir);
  const where = { origins, ...(file ? { configFile: file.path } : {}) };
  provenance.set(config, where);
  return { config, ...where };
}

/**
 * Where the values of a configuration that {@link loadConfig} returned came
 * from (its `origins` and `configFile`), for code that is handed only the
 * configuration (`doctor` reports them); undefined for any other object.
 *
 * @example
 * const { config } = loadConfig({ env: process.env });
 * provenanceOf(config)?.origins.databaseUrl; // 'DATABASE_URL' when the variable set it
 */
export function provenanceOf(config: Config): Omit<LoadedConfig, 'config'> | undefined {
  return provenance.get(config);
}

/** `cluster.partitions[2]` for the path ['cluster', 'partitions', 2]. */
export function keyPath(path: readonly (string | number)[]): string {
  return path.reduce<string>((text, part) => (typeof part === 'number' ? `${text}[${part}]` : text ? `${text}.${part}` : part), '');
}

function valueAt(values: unknown, path: readonly (string | number)[]): unknown {
  let value = values;
  for (const part of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<string | number, unknown>)[part];
  }
  // Only a value that is shown whole (not an object or a list).
  return typeof value === 'object' && value !== null ? undefined : value;
}

function describeIssue(message: string, value: unknown): string {
  const shown = typeof value === 'string' ? JSON.stringify(maskDatabaseUrl(value)) : JSON.stringify(value);
  return `${message.replace(/^Invalid input: /, '')}${value === undefined ? '' : ` (got ${shown})`}`;
}

function toNumber(raw: string): unknown {
  const trimmed = raw.trim();
  return /^-?\d+(\.\d+)?$/.test(trimmed) ? Number(trimmed) : raw;
}

function readConfigFile(explicit: string | undefined, cwd: string): { path: string; values: Record<string, unknown> } | undefined {
  const path = explicit ? resolve(cwd, explicit) : resolve(cwd, CONFIG_FILE_NAME);
  if (!existsSync(path)) {
    if (explicit) throw new PersistorError('INVALID_CONFIG', `invalid configuration: config file ${path} does not exist`);
    return undefined;
  }
  let values: unknown;
  try {
    values = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new PersistorError('INVALID_CONFIG', `invalid configuration: ${path} is not valid JSON (${(error as Error).message})`);
  }
  if (typeof values !== 'object' || values === null || Array.isArray(values)) {
    throw new PersistorError('INVALID_CONFIG', `invalid configuration: ${path} must hold one JSON object`);
  }
  return { path, values: values as Record<string, unknown> };
}
