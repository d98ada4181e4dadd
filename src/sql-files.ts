/**
 * The SQL the TypeScript runs lives in .sql files under the package's `sql/`
 * folder, readable (and runnable with psql) on their own.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The EcliptixMemberships schema shipped with the package. */
export const shippedMigrationsDir = fileURLToPath(new URL('../migrations', import.meta.url));

const cache = new Map<string, string>();

/** The text of a file under the package's `sql/` folder (read once, then cached). */
export function sqlFile(name: string): string {
  let text = cache.get(name);
  if (text === undefined) {
    text = readFileSync(new URL(`../sql/${name}`, import.meta.url), 'utf8');
    cache.set(name, text);
  }
  return text;
}
