/**
 * The million-row import (#15) on a real server, kept out of `npm test` and
 * of `npm run bench`'s sections: a history of about a million rows made by
 * the tests' generator, imported twice into freshly migrated databases —
 * from bcp files by the CLI (the whole process, as an operator runs it) and
 * from a staging schema shaped as pgloader makes it — and timed.
 *
 *   npm run build && node --import tsx bench/import.ts                   # ~1,000,000 rows
 *   node --import tsx bench/import.ts --members 5000                     # a smaller run
 *   node --import tsx bench/import.ts --database-url postgres://postgres@127.0.0.1:5432/postgres
 *
 * Prints the rows per second of each; BENCHMARKS.md records a run.
 */
import { rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { generateKeyring, keyringToText } from '../src/client/keyring.js';
import { importDatabase } from '../src/commands/import.js';
import { openPostgres } from '../src/db/postgres.js';
import { makeDataset, writeFiles, writeStagingSchema } from '../test/import/dataset.js';
import { createDatabase, dropAllCreated, load1, round, runCli, tempDir } from './support.js';

const { values } = parseArgs({
  options: {
    members: { type: 'string', default: '50000' },
    'database-url': { type: 'string' },
  },
  strict: true,
});
const adminUrl = values['database-url'] ?? process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const members = Number(values.members);
const log = (line: string) => process.stdout.write(`${line}\n`);
const dataKeys = generateKeyring('bench');
/** The steps, longest first, in seconds (the loading of files summed). */
const steps = (list: { step: string; ms: number }[]): string => {
  const sums = new Map<string, number>();
  for (const { step, ms } of list) {
    const name = step.startsWith('loading ') ? 'loading the files' : step;
    sums.set(name, (sums.get(name) ?? 0) + ms);
  }
  return [...sums]
    .sort((a, b) => b[1] - a[1])
    .map(([name, ms]) => `${name} ${round(ms / 1000, 1)} s`)
    .join(', ');
};

async function migrated(label: string): Promise<string> {
  const db = await createDatabase(adminUrl, label);
  const migrate = await runCli(['migrate', '--database-url', db.url]);
  if (migrate.code !== 0) throw new Error(`migrate failed: ${migrate.stderr}`);
  return db.url;
}

async function main(): Promise<void> {
  let started = performance.now();
  const data = makeDataset({ members, seed: 2026, extraLoginsPerMember: 4, extraEventsPerMember: 3 });
  const rows = Object.values(data.rows).reduce((sum, r) => sum + r.length, 0);
  log(
    `dataset: ${members} members, ${rows} rows (${Object.entries(data.rows)
      .map(([t, r]) => `${t} ${r.length}`)
      .join(', ')}) in ${round((performance.now() - started) / 1000, 1)} s; load ${load1()}`,
  );

  // 1. bcp files, imported by the CLI.
  const dir = tempDir('import-bcp');
  started = performance.now();
  await writeFiles(data, dir, { format: 'bcp' });
  log(`bcp files written in ${round((performance.now() - started) / 1000, 1)} s`);
  const filesUrl = await migrated('import_files');
  const cli = await runCli(['import', '--files', dir, '--json', '--database-url', filesUrl], {
    measureRss: true,
    env: { ECLIPTIX_DATA_KEYS: keyringToText(dataKeys) },
    timeoutMs: 3_600_000,
  });
  if (cli.code !== 0) throw new Error(`import --files failed (${cli.code}): ${cli.stderr}`);
  const filesReport = JSON.parse(cli.stdout) as {
    rowsRead: number;
    rowsWritten: number;
    durationMs: number;
    secureKeys: { encrypted: number };
    steps: { step: string; ms: number }[];
  };
  log(
    `bcp files -> server (CLI): ${filesReport.rowsRead} rows read, ${filesReport.rowsWritten} written, ${filesReport.secureKeys.encrypted} keys encrypted; ` +
      `import ${round(filesReport.durationMs / 1000, 1)} s = ${Math.round((filesReport.rowsRead / filesReport.durationMs) * 1000)} rows/s; ` +
      `whole process ${round(cli.wallMs / 1000, 1)} s = ${Math.round((filesReport.rowsRead / cli.wallMs) * 1000)} rows/s${cli.maxRssMb ? `, peak RSS ${cli.maxRssMb} MB` : ''}; load ${load1()}`,
  );
  log(`  steps: ${steps(filesReport.steps)}`);
  rmSync(dir, { recursive: true, force: true });

  // 2. A staging schema shaped as pgloader makes it, imported through the API.
  const schemaUrl = await migrated('import_schema');
  const db = await openPostgres({ databaseUrl: schemaUrl, connectTimeoutMs: 10_000 });
  try {
    started = performance.now();
    await writeStagingSchema(db, data);
    log(`staging schema filled in ${round((performance.now() - started) / 1000, 1)} s`);
    const report = await importDatabase({ db, dataKeys });
    log(
      `staging schema -> ecliptix (API): ${report.rowsRead} rows read, ${report.rowsWritten} written; ` +
        `${round(report.durationMs / 1000, 1)} s = ${Math.round((report.rowsRead / report.durationMs) * 1000)} rows/s; load ${load1()}`,
    );
    log(`  steps: ${steps(report.steps)}`);
  } finally {
    await db.close();
  }
}

try {
  await main();
} finally {
  await dropAllCreated(adminUrl);
}
