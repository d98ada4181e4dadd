/** The embedded database's directory on disk, without loading PGlite. */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** Whether `dataDir` holds a PGlite database (PostgreSQL's data directory marker; the template's rename makes it appear whole). */
export function isPgliteDataDir(dataDir: string): boolean {
  return existsSync(join(dataDir, 'PG_VERSION'));
}
