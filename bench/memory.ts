/**
 * Memory: peak RSS of the CLI process for `migrate` (from empty) and
 * `status` (up to date), on a server and on PGlite — GNU time's %M, or the
 * process's own resourceUsage().maxRSS when GNU time is missing.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from '../src/index.js';
import { cliPath, createDatabase, haveGnuTime, median, repoRoot, round, runProcess, tempDir, type BenchOptions } from './support.js';

export interface RssMeasurement {
  /** Median over the runs of each run's peak RSS, MB. */
  medianMb: number;
  maxMb: number;
  runsMb: number[];
}

export interface MemoryResult {
  method: string;
  repetitions: number;
  /** migrate: from an empty database (PGlite: a new directory, unpacked from the build's empty template); noopMigrate and status: up to date. */
  server: { migrate: RssMeasurement; noopMigrate: RssMeasurement; status: RssMeasurement };
  pglite: { migrate: RssMeasurement; noopMigrate: RssMeasurement; status: RssMeasurement };
  /** For attribution: bare node processes without the persistor. */
  floors: {
    /** node -e '' */
    node: RssMeasurement;
    /** node + pg: connect and SELECT 1. */
    nodePg: RssMeasurement;
    /** node + PGlite: create a new data directory and run the deployment script (bench/helpers/pglite-exec.mjs). */
    pgliteCreateAndDeploy: RssMeasurement;
    /** node + PGlite: open an existing data directory and SELECT 1. */
    pgliteOpen: RssMeasurement;
  };
}

const rss = (runs: number[]): RssMeasurement => ({ medianMb: round(median(runs), 1), maxMb: Math.max(...runs), runsMb: runs });

/** Peak RSS of a node process running `args`. */
async function nodePeak(args: string[]): Promise<number> {
  const run = await runProcess(process.execPath, args, { measureRss: true });
  if (run.code !== 0) throw new Error(`node ${args.join(' ')} exited ${run.code}: ${run.stderr.trim()}`);
  if (run.maxRssMb === undefined) throw new Error(`no peak RSS reported for node ${args.join(' ')}`);
  return run.maxRssMb;
}

/** Peak RSS of the CLI running `args`. */
const peak = (args: string[]): Promise<number> => nodePeak([cliPath, ...args]);

export async function benchMemory(options: BenchOptions): Promise<MemoryResult> {
  const reps = options.quick ? 2 : 3;
  const server = { migrate: [] as number[], noopMigrate: [] as number[], status: [] as number[] };
  const pglite = { migrate: [] as number[], noopMigrate: [] as number[], status: [] as number[] };
  const floors = { node: [] as number[], nodePg: [] as number[], pgliteCreateAndDeploy: [] as number[], pgliteOpen: [] as number[] };
  const dir = tempDir('memory');
  try {
    const scriptFile = join(dir, 'deploy.sql');
    writeFileSync(scriptFile, await sql());
    for (let i = 0; i < reps; i++) {
      const db = await createDatabase(options.adminUrl, 'memory');
      try {
        server.migrate.push(await peak(['migrate', '-s', db.url]));
        server.noopMigrate.push(await peak(['migrate', '-s', db.url]));
        server.status.push(await peak(['status', '-s', db.url]));
        floors.nodePg.push(
          await nodePeak([
            '--input-type=module',
            '-e',
            `import pg from 'pg'; const c = new pg.Client(${JSON.stringify(db.url)}); await c.connect(); await c.query('SELECT 1'); await c.end();`,
          ]),
        );
      } finally {
        await db.drop();
      }
      floors.node.push(await nodePeak(['-e', '']));
    }
    options.log(
      `  server: migrate ${median(server.migrate)} MB, no-op migrate ${median(server.noopMigrate)} MB, status ${median(server.status)} MB (node + pg alone: ${median(floors.nodePg)} MB)`,
    );
    for (let i = 0; i < reps; i++) {
      const dataDir = join(dir, `db-${i}`);
      pglite.migrate.push(await peak(['migrate', '--data-dir', dataDir]));
      pglite.noopMigrate.push(await peak(['migrate', '--data-dir', dataDir]));
      pglite.status.push(await peak(['status', '--data-dir', dataDir]));
      floors.pgliteOpen.push(
        await nodePeak([
          '--input-type=module',
          '-e',
          `import { PGlite } from '@electric-sql/pglite'; const db = await PGlite.create(${JSON.stringify(dataDir)}); await db.query('SELECT 1'); await db.close();`,
        ]),
      );
      rmSync(dataDir, { recursive: true, force: true });
      const floorDir = join(dir, `floor-${i}`);
      floors.pgliteCreateAndDeploy.push(await nodePeak([join(repoRoot, 'bench', 'helpers', 'pglite-exec.mjs'), floorDir, scriptFile]));
      rmSync(floorDir, { recursive: true, force: true });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  options.log(
    `  PGlite: migrate ${median(pglite.migrate)} MB, no-op migrate ${median(pglite.noopMigrate)} MB, status ${median(pglite.status)} MB ` +
      `(bare PGlite: create + deploy ${median(floors.pgliteCreateAndDeploy)} MB, open ${median(floors.pgliteOpen)} MB)`,
  );
  return {
    method: haveGnuTime
      ? '/usr/bin/time -f %M (peak RSS of the node process)'
      : 'process.resourceUsage().maxRSS at exit (node --import bench/helpers/report-rss.mjs)',
    repetitions: reps,
    server: { migrate: rss(server.migrate), noopMigrate: rss(server.noopMigrate), status: rss(server.status) },
    pglite: { migrate: rss(pglite.migrate), noopMigrate: rss(pglite.noopMigrate), status: rss(pglite.status) },
    floors: {
      node: rss(floors.node),
      nodePg: rss(floors.nodePg),
      pgliteCreateAndDeploy: rss(floors.pgliteCreateAndDeploy),
      pgliteOpen: rss(floors.pgliteOpen),
    },
  };
}
