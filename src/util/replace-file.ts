/** Replacing a file whole: a reader sees the old file or the new one, never half of it. */
import { randomBytes } from 'node:crypto';
import { chmod, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Writes `text` to a new file beside `file` with `mode` (whatever the umask)
 * and renames it over `file`; on failure the file beside is removed and the
 * error thrown.
 */
export async function replaceFile(file: string, text: string, mode: number): Promise<void> {
  const aside = join(dirname(file), `.${basename(file)}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(aside, text, { flag: 'wx', mode });
    await chmod(aside, mode);
    await rename(aside, file);
  } catch (error) {
    await rm(aside, { force: true });
    throw error;
  }
}
