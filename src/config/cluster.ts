/**
 * The cluster's description (the config file's `cluster` key, docs/SCALE-OUT.md):
 * one proxy database and N partition databases (N a power of two), validated
 * before anything connects. It lives with the rest of the configuration so
 * that the config file's schema can include it; src/cluster/config.ts
 * re-exports it for the cluster library.
 */
import { z } from 'zod/v3';
import { PersistorError } from '../errors.js';

const MAX_PARTITIONS = 65_536;

const databaseUrl = z.string().refine(
  (value) => {
    try {
      const url = new URL(value);
      return (url.protocol === 'postgres:' || url.protocol === 'postgresql:') && url.hostname !== '' && url.pathname.length > 1;
    } catch {
      return false;
    }
  },
  { message: 'must be a URL like postgres://user:password@host:5432/database, with a database name' },
);

/** host:port/database, lower-cased host and the default port filled in: two URLs naming one database compare equal. */
function databaseKey(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname.toLowerCase()}:${parsed.port || '5432'}${decodeURIComponent(parsed.pathname)}`;
}

/** The `cluster` key: proxy URL, partition URLs in partition order, the proxy's login and its connection settings. */
export const clusterConfigSchema = z
  .object({
    /** The database that holds the routing routines; the application connects here. */
    proxy: databaseUrl,
    /** The partition databases, in partition order (index 0 first). Never reorder them once deployed. */
    partitions: z
      .array(databaseUrl)
      .min(1, 'must list at least one partition')
      .max(MAX_PARTITIONS, `must list at most ${MAX_PARTITIONS} partitions`)
      .refine((urls) => (urls.length & (urls.length - 1)) === 0, {
        message: 'must list a power of two of partitions (1, 2, 4, 8, …): PL/Proxy picks a partition by hash & (N-1)',
      }),
    /**
     * The login the proxy uses to reach the partitions (its user mapping). Default: the user and password of the
     * partition URLs, which must then all be the same. Make it a member of the application role on the partitions.
     */
    proxyLogin: z
      .object({ user: z.string().min(1, 'must not be empty'), password: z.string().optional() })
      .strict()
      .optional(),
    /** PL/Proxy's connection_lifetime: seconds a proxy connection to a partition is kept. */
    connectionLifetimeSeconds: z.number().int('must be a whole number of seconds').min(1).max(86_400).default(1800),
    /** libpq connect_timeout of the proxy's connections: how soon a call for a partition that is down fails. */
    partitionConnectTimeoutSeconds: z.number().int('must be a whole number of seconds').min(1).max(600).default(5),
  })
  .strict()
  .superRefine((config, context) => {
    const seen = new Map<string, number>();
    let proxyKey: string | undefined;
    try {
      proxyKey = databaseKey(config.proxy);
    } catch {
      return;
    }
    config.partitions.forEach((url, index) => {
      let key: string;
      try {
        key = databaseKey(url);
      } catch {
        return;
      }
      const earlier = seen.get(key);
      if (earlier !== undefined)
        context.addIssue({ code: 'custom', path: ['partitions', index], message: `names the same database as partitions[${earlier}]` });
      else seen.set(key, index);
      if (key === proxyKey) context.addIssue({ code: 'custom', path: ['partitions', index], message: 'names the proxy database' });
    });
  });

/** A validated cluster description, defaults filled in. */
export type ClusterConfig = z.output<typeof clusterConfigSchema>;
/** A cluster description as given (config file, programmatic options). */
export type ClusterConfigInput = z.input<typeof clusterConfigSchema>;

/**
 * Validates a cluster description; a problem is a one-line INVALID_CONFIG error naming the key.
 *
 * @example
 * const cluster = parseClusterConfig({ proxy: 'postgres://db0/proxy', partitions: ['postgres://db0/p0', 'postgres://db1/p1'] });
 */
export function parseClusterConfig(input: unknown, source = 'cluster'): ClusterConfig {
  const result = clusterConfigSchema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const key = issue.path.reduce<string>(
    (path, part) => (typeof part === 'number' ? `${path}[${part}]` : path ? `${path}.${part}` : String(part)),
    '',
  );
  throw new PersistorError('INVALID_CONFIG', `${source}${key ? `.${key}` : ''}: ${issue.message}`, {
    details: result.error.issues.slice(1).map((other) => `${other.path.join('.')}: ${other.message}`),
  });
}
