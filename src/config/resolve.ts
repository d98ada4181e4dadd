/** Configuration given as values (the programmatic API, or what the CLI loaded), validated: the same checks as a config file's. */
import { PersistorError } from '../errors.js';
import { keyPath } from './load.js';
import { configSchema, conflictOf, type Config, type ConfigInput } from './schema.js';

/**
 * Validates configuration values and fills in the defaults; anything else in
 * `options` (an open `db`, a `logger`) is ignored. An invalid value is an
 * INVALID_CONFIG error (exit 2) naming the key.
 *
 * @example
 * ```ts
 * const config = resolveConfig({ databaseUrl: process.env.DATABASE_URL });
 * config.lockTimeoutMs; // 60000 unless given
 * ```
 */
export function resolveConfig(options: ConfigInput & { db?: unknown; logger?: unknown }): Config {
  const { db: _db, logger: _logger, ...input } = options;
  const parsed = configSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new PersistorError('INVALID_CONFIG', `invalid configuration: ${keyPath(issue.path) || 'options'} ${issue.message}`);
  }
  const conflict = conflictOf(parsed.data);
  if (conflict) throw new PersistorError('INVALID_CONFIG', conflict);
  return parsed.data;
}
