/**
 * Deploy: a full `migrate` from an empty database against the floor — the
 * same SQL (`ecliptix-persistor sql`) applied by `psql --single-transaction
 * -f` — on the server; on PGlite against a bare node process running that
 * script through PGlite. Then what a deploy pipeline pays on every run: a
 * no-op `migrate` and a `status` on an up-to-date database. All as whole
 * process wall time (median of several runs); the server deploy also
 * in-process, without the process start.
 */
import { writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { migrate, sql } from '../src/index.js';
import {
  createDatabase,
  median,
  pgBin,
  repoRoot,
  round,
  runCli,
  runProcess,
  tempDir,
  type BenchDatabase,
  type BenchOptions,
} from './support.js';

export interface Timing {
  medianMs: number;
  runsMs: number[];
}

export interface DeployResult {
  repetitions: number;
  pgliteRepetitions: number;
  server: {
    /** `node dist/cli/main.js migrate -s <url>` on an empty database. */
    migrateCli: Timing;
    /** `psql -X -q -1 -v ON_ERROR_STOP=1 -f deploy.sql <url>` on an empty database. */
    psqlFloor: Timing;
    ratio: number;
    /** In-process: `migrate({ databaseUrl })` vs the script as one multi-statement query in one transaction, over an open connection. */
    migrateInProcess: Timing;
    scriptInProcess: Timing;
    inProcessRatio: number;
    noopMigrateCli: Timing;
    statusCli: Timing;
  };
  /** What any run of the CLI pays before it does anything: `node -e ''` and `node dist/cli/main.js --version` (loads the program and the config schema; each command loads its own modules). */
  startup: { bareNode: Timing; cliVersion: Timing };
  pglite: {
    /** `node dist/cli/main.js migrate --data-dir <new dir>` (creates the database: unpacked from the build's empty template, or by PGlite's initdb without one). */
    migrateCli: Timing;
    /** `node bench/helpers/pglite-exec.mjs <new dir> deploy.sql`: PGlite alone, the script in one transaction. */
    execFloor: Timing;
    ratio: number;
    noopMigrateCli: Timing;
    statusCli: Timing;
  };
}

const timing = (runs: number[]): Timing => ({ medianMs: round(median(runs), 1), runsMs: runs.map((r) => round(r, 1)) });

/** What a deploy pipeline pays on every run, `reps` times each: a no-op `migrate` and a `status` on the up-to-date database `target` names (CLI flags). */
async function upToDateRuns(target: readonly string[], reps: number): Promise<{ noopMigrateCli: Timing; statusCli: Timing }> {
  const noop: number[] = [];
  const status: number[] = [];
  for (let i = 0; i < reps; i++) {
    noop.push((await runCli(['migrate', ...target])).wallMs);
    status.push((await runCli(['status', ...target])).wallMs);
  }
  return { noopMigrateCli: timing(noop), statusCli: timing(status) };
}

export async function benchDeploy(options: BenchOptions): Promise<DeployResult> {
  const reps = options.quick ? 3 : 7;
  const pgliteReps = options.quick ? 2 : 5;
  const dir = tempDir('deploy');
  const scriptFile = join(dir, 'deploy.sql');
  const script = await sql();
  writeFileSync(scriptFile, script);
  const psql = join(pgBin, 'psql');
  try {
    const migrateRuns: number[] = [];
    const psqlRuns: number[] = [];
    const inProcess: number[] = [];
    const scriptRuns: number[] = [];
    let upToDate: BenchDatabase | undefined;
    for (let i = 0; i < reps; i++) {
      // Alternate which goes first, so neither always runs on a warmer server.
      const order = i % 2 === 0 ? ['cli', 'psql'] : ['psql', 'cli'];
      for (const which of order) {
        const db = await createDatabase(options.adminUrl, 'deploy');
        if (which === 'cli') {
          migrateRuns.push((await runCli(['migrate', '-s', db.url])).wallMs);
        } else {
          const run = await runProcess(psql, ['-X', '-q', '-1', '-v', 'ON_ERROR_STOP=1', '-f', scriptFile, db.url]);
          if (run.code !== 0) throw new Error(`psql -f deploy.sql failed: ${run.stderr.trim()}`);
          psqlRuns.push(run.wallMs);
        }
        if (which === 'cli' && !upToDate) upToDate = db;
        else await db.drop();
      }
      {
        const db = await createDatabase(options.adminUrl, 'deploy');
        const t0 = performance.now();
        await migrate({ databaseUrl: db.url });
        inProcess.push(performance.now() - t0);
        await db.drop();
      }
      {
        const db = await createDatabase(options.adminUrl, 'deploy');
        const client = new pg.Client({ connectionString: db.url });
        await client.connect();
        const t0 = performance.now();
        await client.query(`BEGIN;\n${script}\nCOMMIT;`);
        scriptRuns.push(performance.now() - t0);
        await client.end();
        await db.drop();
      }
    }
    const serverUpToDate = await upToDateRuns(['-s', upToDate!.url], reps).finally(() => upToDate!.drop());
    const server = {
      migrateCli: timing(migrateRuns),
      psqlFloor: timing(psqlRuns),
      ratio: round(median(migrateRuns) / median(psqlRuns), 2),
      migrateInProcess: timing(inProcess),
      scriptInProcess: timing(scriptRuns),
      inProcessRatio: round(median(inProcess) / median(scriptRuns), 2),
      ...serverUpToDate,
    };
    options.log(
      `  server: migrate ${server.migrateCli.medianMs} ms vs psql ${server.psqlFloor.medianMs} ms (x${server.ratio}); no-op ${server.noopMigrateCli.medianMs} ms; status ${server.statusCli.medianMs} ms`,
    );

    const bareNode: number[] = [];
    const cliVersion: number[] = [];
    for (let i = 0; i < reps; i++) {
      bareNode.push((await runProcess(process.execPath, ['-e', ''])).wallMs);
      cliVersion.push((await runCli(['--version'])).wallMs);
    }
    const startup = { bareNode: timing(bareNode), cliVersion: timing(cliVersion) };
    options.log(`  start-up: node ${startup.bareNode.medianMs} ms, CLI --version ${startup.cliVersion.medianMs} ms`);

    const pgliteMigrate: number[] = [];
    const pgliteFloor: number[] = [];
    let pgliteDir: string | undefined;
    for (let i = 0; i < pgliteReps; i++) {
      const order = i % 2 === 0 ? ['cli', 'floor'] : ['floor', 'cli'];
      for (const which of order) {
        const dataDir = join(dir, `pglite-${which}-${i}`);
        if (which === 'cli') {
          pgliteMigrate.push((await runCli(['migrate', '--data-dir', dataDir])).wallMs);
          if (!pgliteDir) pgliteDir = dataDir;
          else rmSync(dataDir, { recursive: true, force: true });
        } else {
          const run = await runProcess(process.execPath, [join(repoRoot, 'bench', 'helpers', 'pglite-exec.mjs'), dataDir, scriptFile]);
          if (run.code !== 0) throw new Error(`PGlite floor failed: ${run.stderr.trim()}`);
          pgliteFloor.push(run.wallMs);
          rmSync(dataDir, { recursive: true, force: true });
        }
      }
    }
    const pglite = {
      migrateCli: timing(pgliteMigrate),
      execFloor: timing(pgliteFloor),
      ratio: round(median(pgliteMigrate) / median(pgliteFloor), 2),
      ...(await upToDateRuns(['--data-dir', pgliteDir!], pgliteReps)),
    };
    options.log(
      `  PGlite: migrate ${pglite.migrateCli.medianMs} ms vs bare PGlite exec ${pglite.execFloor.medianMs} ms (x${pglite.ratio}); no-op ${pglite.noopMigrateCli.medianMs} ms; status ${pglite.statusCli.medianMs} ms`,
    );
    return { repetitions: reps, pgliteRepetitions: pgliteReps, server, startup, pglite };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
