/** Copies fixture migrations into a test's scratch folder, where the test may edit them. */
import { cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const fixturesDir = fileURLToPath(new URL('../fixtures', import.meta.url));

export function copyFixtures(workDir: string, ...sets: string[]): string {
  const dir = join(workDir, 'migrations');
  mkdirSync(dir, { recursive: true });
  for (const set of sets) cpSync(join(fixturesDir, set), dir, { recursive: true });
  return dir;
}
