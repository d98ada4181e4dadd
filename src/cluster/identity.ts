/** Which partition a database says it is: `ecliptix_partition.identity`, set once by deployCluster. */
import type { Queryable } from '../db/database.js';
import { sqlFile } from '../sql-files.js';

/** The partition index and count a database was claimed as (deployCluster's first step). */
export interface PartitionIdentity {
  index: number;
  count: number;
}

/** The database's partition identity, or undefined when it was never deployed as a partition. */
export async function readIdentity(db: Queryable): Promise<PartitionIdentity | undefined> {
  const { rows: exists } = await db.query<{ identity_exists: boolean }>(sqlFile('cluster/partition-identity-exists.sql'));
  if (!exists[0]?.identity_exists) return undefined;
  const { rows } = await db.query<{ partition_index: number; partition_count: number }>(sqlFile('cluster/partition-identity.sql'));
  return rows[0] ? { index: rows[0].partition_index, count: rows[0].partition_count } : undefined;
}
