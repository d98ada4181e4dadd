/**
 * A new embedded database from a prepared empty one. PGlite's own initdb,
 * run when it opens a directory that holds no database, takes ~5.5 s and
 * peaks at ~870 MB of memory on a small machine. Instead, the data directory
 * of a freshly initialised database (PGlite's dumpDataDir tarball, 4.3 MB) is
 * unpacked into a staging directory beside the target and renamed into
 * place: a fraction of a second, no PGlite involved, and a run killed half
 * way leaves no half-made database behind.
 *
 * The build makes the tarball once per installed PGlite version
 * (`npm run build` runs `node dist/db/pglite-template.js`); without one that
 * matches, PGlite initialises the directory itself, as before.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { mkdir, readdir, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The installed PGlite's version, from its package.json (which the package does not export, so found beside its entry point). */
export function installedPgliteVersion(): string {
  let dir = dirname(createRequire(import.meta.url).resolve('@electric-sql/pglite'));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('cannot find the package.json of @electric-sql/pglite');
    dir = parent;
  }
  return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
}

/** Where the template for the installed PGlite version lives (inside the package's build output). */
export function templateFile(version = installedPgliteVersion()): string {
  return fileURLToPath(new URL(`../../dist/pglite-template/empty-${version}.tar.gz`, import.meta.url));
}

/**
 * Makes the empty directory `dataDir` a new database from the template, if
 * one was built for the installed PGlite version; false when there is none.
 * The caller holds the data directory's lock.
 */
export async function createFromTemplate(dataDir: string): Promise<boolean> {
  const file = templateFile();
  if (!existsSync(file)) return false;
  const staging = `${dataDir}.creating`;
  // Left by a run killed while unpacking; nobody else uses it while we hold the lock.
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging);
  const tar = await import('tar');
  await tar.extract({ file, cwd: staging });
  await rmdir(dataDir);
  await rename(staging, dataDir);
  return true;
}

/** Initialises an empty database in memory and writes its data directory as the template (no-op when it exists). */
export async function buildTemplate(): Promise<{ file: string; built: boolean; bytes: number }> {
  const file = templateFile();
  if (existsSync(file)) return { file, built: false, bytes: statSync(file).size };
  const { PGlite } = await import('@electric-sql/pglite');
  const pglite = await PGlite.create();
  try {
    const archive = Buffer.from(await (await pglite.dumpDataDir('gzip')).arrayBuffer());
    await mkdir(dirname(file), { recursive: true });
    const partial = `${file}.partial`;
    await writeFile(partial, archive);
    await rename(partial, file);
    return { file, built: true, bytes: archive.length };
  } finally {
    await pglite.close();
  }
}

/** Removes templates of other PGlite versions (left by an upgrade). */
export async function removeStaleTemplates(keep: string): Promise<void> {
  const dir = dirname(keep);
  for (const name of await readdir(dir)) {
    if (join(dir, name) !== keep) await rm(join(dir, name), { force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { file, built, bytes } = await buildTemplate();
  await removeStaleTemplates(file);
  process.stdout.write(`${built ? 'built' : 'kept'} the empty PGlite database template ${file} (${(bytes / 1024 / 1024).toFixed(1)} MB)\n`);
}
