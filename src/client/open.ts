/**
 * Ways to get a memberships client: over a `pg` Pool or a PGlite instance the
 * application already has, or opened from ecliptix-persistor configuration.
 */
import { dirname, join } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import type pg from 'pg';
import { resolveConfig } from '../config/resolve.js';
import type { ConfigInput } from '../config/schema.js';
import type { Database, Queryable } from '../db/database.js';
import { openDatabase } from '../db/open.js';
import { queryableOver } from '../db/pglite.js';
import { queryableOverPgPool } from '../db/postgres.js';
import type { Logger } from '../util/logger.js';
import { loadSecrets, type Secrets } from './keyring.js';
import { MembershipsClient } from './memberships-client.js';

/**
 * A `pg` Pool as the client's database (the application owns and ends the
 * pool). Values come back as the driver's own pool gives them (bigint as a
 * number), without the pool's or pg's global type parsers being changed.
 *
 * @example
 * ```ts
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL })
 * const client = createMembershipsClient({ db: fromPgPool(pool), secrets: loadSecrets() })
 * const device = await client.registerDevice({ appInstanceId, deviceId })
 * ```
 */
export function fromPgPool(pool: pg.Pool): Queryable {
  return queryableOverPgPool(pool);
}

/**
 * A PGlite instance as the client's database (the application owns and
 * closes it). Bigint comes back as a number whatever parsers the instance
 * was created with.
 *
 * @example
 * ```ts
 * const pglite = await PGlite.create('./.ecliptix/db')
 * const client = createMembershipsClient({ db: fromPglite(pglite), secrets: loadSecrets() })
 * ```
 */
export function fromPglite(pglite: PGlite): Queryable {
  return queryableOver(pglite);
}

/** Where the embedded database keeps its generated development keys: beside the data directory. */
export function devSecretsFileFor(dataDir: string): string {
  return join(dirname(dataDir), 'dev-secrets.json');
}

/** Where the database is (as configuration values or an open database) and the client's keys and settings. */
export interface OpenMembershipsClientOptions extends ConfigInput {
  /** Use this open database instead of opening one from the configuration (it is not closed). */
  db?: Database;
  /** Diagnostics, e.g. the development-keys warning (default: a process warning). */
  logger?: Logger;
  secrets?: Secrets;
  otpLifetimeSeconds?: number;
  /** Pool size on a server (default 10). */
  maxConnections?: number;
  /** Told when development keys are in use (embedded database without configured keys). */
  onDevelopmentKeys?: (file: string) => void;
}

/** A memberships client that owns its database: `close()` closes it (unless it was given as `db`). */
export interface OpenedMembershipsClient extends MembershipsClient {
  readonly database: Database;
  close(): Promise<void>;
}

/**
 * Opens the configured database and a client over it. Keys come from
 * `secrets`, else ECLIPTIX_OTP_KEYS / ECLIPTIX_DATA_KEYS; the embedded
 * database alone may fall back to development keys kept next to its data.
 *
 * @example
 * ```ts
 * const client = await openMembershipsClient({ databaseUrl: process.env.DATABASE_URL })
 * try {
 *   const result = await client.login('+15551234567')
 *   if (result.outcome === 'success') await client.confirmLogin('+15551234567')
 * } finally {
 *   await client.close()
 * }
 * ```
 */
export async function openMembershipsClient(options: OpenMembershipsClientOptions = {}): Promise<OpenedMembershipsClient> {
  const { secrets: given, otpLifetimeSeconds, maxConnections, onDevelopmentKeys, db: existing, logger, ...configInput } = options;
  const config = resolveConfig(configInput);
  const secrets =
    given ??
    loadSecrets({
      ...(config.databaseUrl ? {} : { devSecretsFile: devSecretsFileFor(config.dataDir) }),
      onDevelopmentKeys:
        onDevelopmentKeys ??
        ((file) => {
          const message = `using development OTP and data keys from ${file}; configure ECLIPTIX_OTP_KEYS and ECLIPTIX_DATA_KEYS for production`;
          if (logger) logger.warn({ file }, message);
          else process.emitWarning(message, 'EcliptixDevelopmentKeys');
        }),
    });
  const database = existing ?? (await openDatabase(config, maxConnections === undefined ? {} : { maxConnections }));
  const client = new MembershipsClient({ db: database, secrets, ...(otpLifetimeSeconds === undefined ? {} : { otpLifetimeSeconds }) });
  return Object.assign(client, {
    database,
    close: async () => {
      if (!existing) await database.close();
    },
  });
}
