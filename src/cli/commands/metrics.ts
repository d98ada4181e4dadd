/** The `metrics` command line: Prometheus text on stdout, or written atomically for node_exporter's textfile collector. */
import type { Command } from 'commander';
import { metrics, type MetricsReport } from '../../commands/metrics.js';
import { PersistorError, messageOf } from '../../errors.js';
import { replaceFile } from '../../util/replace-file.js';
import type { CliContext } from '../context.js';
import { ReportedFailure } from '../output.js';

/** Writes the exposition whole, never half of it: node_exporter may read the file at any moment (0644: it runs as another user). */
async function writeAtomically(path: string, text: string): Promise<void> {
  try {
    await replaceFile(path, text, 0o644);
  } catch (error) {
    throw new PersistorError('OPERATION_FAILED', `cannot write ${path}: ${messageOf(error)}`, { cause: error });
  }
}

function summary(report: MetricsReport): string {
  return report.unreachable.map((u) => `${u.target}: ${u.error}`).join('; ');
}

/** Adds the command, its options and its output to the program. */
export function registerMetricsCommand(program: Command, cli: CliContext): void {
  program
    .command('metrics')
    .description(
      'daily monitoring: Prometheus text of the activity (last hour and day), locked phones, migration state and server figures (pg_up 0 and exit 3 when the database cannot be reached)',
    )
    .option('--textfile <path>', "write to this file atomically (for node_exporter's textfile collector: a *.prom file in its directory)")
    .option('--json', 'print one JSON document: the samples, whether every database was reached, and why not')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  ecliptix-persistor metrics -s "$DATABASE_URL"',
        '  */5 * * * * ecliptix-persistor metrics -s "$DATABASE_URL" --textfile /var/lib/node_exporter/textfile/ecliptix.prom',
        '',
        'Every metric is a gauge; activity is counted over a sliding window (label window="1h" or "24h").',
        'Names shared with postgres_exporter: pg_up, pg_database_size_bytes, pg_settings_max_connections, pg_stat_activity_count.',
        'On a cluster (the config file\'s "cluster" key): every partition and the proxy, each sample labelled member="partition-N" or "proxy".',
        'A database that cannot be reached is reported as pg_up 0 (the file is still written), and the exit code is 3; a part',
        'that fails on a database that was reached is ecliptix_scrape_error{section} 1, the rest still written, exit 1.',
      ].join('\n'),
    )
    .action(async (options: { textfile?: string }, command: Command) => {
      const { config, output } = cli.prepare(command);
      if (options.textfile !== undefined && !options.textfile.endsWith('.prom'))
        output.warn(`${options.textfile}: node_exporter's textfile collector reads only files ending in .prom`);
      const report = await metrics({ ...config, logger: cli.logger });
      if (options.textfile !== undefined) await writeAtomically(options.textfile, report.exposition);
      if (output.json) {
        const { exposition: _exposition, ...rest } = report;
        output.document(rest);
      } else if (options.textfile === undefined) process.stdout.write(report.exposition);
      // 3 when a database could not be reached (as --help says), else 1 when a section failed on one that was.
      if (!report.up) throw new ReportedFailure('CONNECTION_FAILED', `could not collect from ${summary(report)}`);
      if (report.errors.length > 0)
        throw new ReportedFailure(
          'OPERATION_FAILED',
          `some figures are missing: ${report.errors.map((e) => `${e.target} (${e.section}): ${e.error}`).join('; ')}`,
        );
    });
}
