/** `test`: can we reach the database, as whom, may we create objects, how fast is a round trip. */
import { performance } from 'node:perf_hooks';
import type { Command } from 'commander';
import type { CliContext } from '../cli/context.js';
import { sqlFile } from '../sql-files.js';
import { formatDuration } from '../util/format.js';
import { withRuntime, type PersistorOptions } from './runtime.js';

export interface ConnectionReport {
  engine: 'pglite' | 'postgres';
  target: string;
  serverVersion: string;
  database: string;
  user: string;
  /** May this user create schemas (and so deploy)? */
  canCreate: boolean;
  /** Median of several `SELECT 1` round trips. */
  latencyMs: number;
}

const ROUND_TRIPS = 5;

export function testConnection(options: PersistorOptions = {}): Promise<ConnectionReport> {
  return withRuntime(
    options,
    async ({ db }) => {
      const { rows } = await db.query<{ server_version: string; database: string; user: string; can_create: boolean }>(
        sqlFile('persistor/connection-info.sql'),
      );
      const info = rows[0]!;
      const samples: number[] = [];
      for (let i = 0; i < ROUND_TRIPS; i++) {
        const started = performance.now();
        await db.query('SELECT 1');
        samples.push(performance.now() - started);
      }
      samples.sort((a, b) => a - b);
      return {
        engine: db.engine,
        target: db.target,
        serverVersion: info.server_version,
        database: info.database,
        user: info.user,
        canCreate: info.can_create,
        latencyMs: Number(samples[Math.floor(samples.length / 2)]!.toFixed(3)),
      };
    },
    { mustExist: true },
  );
}

export function registerTestCommand(program: Command, cli: CliContext): void {
  program
    .command('test')
    .description(
      'connect and report server version, database, user, create permission and round-trip latency (exit 3 when it cannot connect)',
    )
    .option('--json', 'print one JSON document')
    .action(async (_options, command: Command) => {
      const { config, output } = cli.prepare(command);
      const report = await testConnection({ ...config, logger: cli.logger });
      if (output.json) return output.document(report);
      const s = output.style;
      output.line(`${s.ok('connected')} to ${report.target}`);
      output.line(`  server      ${report.serverVersion}`);
      output.line(`  database    ${report.database}`);
      output.line(`  user        ${report.user}`);
      output.line(`  can create  ${report.canCreate ? 'yes' : s.warn('no (this user cannot create schemas: migrate will fail)')}`);
      output.line(`  latency     ${formatDuration(report.latencyMs)} (median of ${ROUND_TRIPS} round trips)`);
    });
}
