/**
 * Where each database of a cluster records what its generated part was last
 * deployed from (the script's digest), so that a deployment that would change
 * nothing changes nothing: `ecliptix_partition.generated` on a partition,
 * `ecliptix_route.generated` on the proxy (sql/cluster/generated).
 */
import { sqlFile } from '../sql-files.js';

/** A partition's generated part (copy_app_device, the `_with_device` functions) or the proxy's (routines, cluster definition). */
export type GeneratedPart = 'partition' | 'proxy';

/** The table each part's digest is recorded in. */
export const GENERATED_TABLE: Record<GeneratedPart, string> = {
  partition: 'ecliptix_partition.generated',
  proxy: 'ecliptix_route.generated',
};

/** The statement that reads the recorded digest, reads it locked for this transaction, or records a new one ($1). */
export function generatedSql(part: GeneratedPart, statement: 'read' | 'lock' | 'record'): string {
  return sqlFile(`cluster/generated/${part}-${statement}.sql`);
}
