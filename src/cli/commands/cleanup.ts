/** The `cleanup` command line: the retention flags, a progress line, the report table; Ctrl-C stops after the current batch (exit 1). */
import type { Command } from 'commander';
import { cleanup, clusterCleanup, type ClusterCleanupReport, type CleanupReport } from '../../commands/cleanup.js';
import { DEFAULT_BATCH_SIZE, actionDone, type CleanupProgress } from '../../operations/cleanup.js';
import { formatDuration, table } from '../../util/format.js';
import type { ClusterCleanupCommandOptions } from '../../commands/cleanup.js';
import type { Config } from '../../config/schema.js';
import { PersistorError } from '../../errors.js';
import type { CliContext } from '../context.js';
import { interruptOnSignals } from '../interrupt.js';
import { ReportedFailure, type Output } from '../output.js';
import { noProgress, parseWhole, progressPrinter } from '../progress.js';

function printReport(output: Output, report: CleanupReport): void {
  const s = output.style;
  const verb = (action: CleanupReport['rules'][number]['action']) => (report.dryRun ? `would ${action}` : actionDone(action));
  output.line(
    table(
      ['TABLE', 'RULE', 'ACTION', 'ROWS', 'OLDER THAN', 'BATCHES', 'LEFT (LOCKED)', 'TIME'],
      report.rules.map((r) => [
        r.table,
        r.rule,
        verb(r.action),
        String(report.dryRun ? r.matched : r.affected),
        r.retentionDays === null ? 'expires_at' : `${r.retentionDays} day${r.retentionDays === 1 ? '' : 's'}`,
        report.dryRun ? '-' : String(r.batches),
        report.dryRun ? '-' : r.remaining > 0 ? s.warn(String(r.remaining)) : '0',
        formatDuration(r.durationMs),
      ]),
    ),
  );
  output.line();
  const rows = report.dryRun ? report.rules.reduce((sum, r) => sum + r.matched, 0) : report.totalAffected;
  const rate = rows > 0 && report.durationMs > 0 && !report.dryRun ? `, ${Math.round((rows / report.durationMs) * 1000)} rows/s` : '';
  if (report.dryRun) output.line(`dry run: ${rows} row(s) would be cleaned up; nothing was changed`);
  else if (report.interrupted)
    output.line(
      s.warn(
        `interrupted: ${rows} row(s) cleaned up in ${formatDuration(report.durationMs)} before stopping; every finished batch is kept — run again to finish`,
      ),
    );
  else
    output.line(
      `${s.ok('done')}: ${rows} row(s) cleaned up in ${formatDuration(report.durationMs)}${rate} (batches of ${report.batchSize})`,
    );
  const left = report.rules.reduce((sum, r) => sum + (report.dryRun ? 0 : r.remaining), 0);
  if (left > 0 && !report.interrupted)
    output.line(s.warn(`${left} row(s) were held locked by live traffic and skipped; the next run takes them`));
}

/** A cluster: each partition's report under its name (or its error), then the totals per rule and the failing partitions. */
function printClusterReport(output: Output, report: ClusterCleanupReport): void {
  const s = output.style;
  for (const p of report.partitions) {
    output.line(p.error ? `${s.bad('FAIL')} ${p.name}` : p.skipped ? `${s.warn('SKIPPED')} ${p.name}` : p.name);
    if (p.report) printReport(output, p.report);
    else if (p.error) output.line(`  ${p.error}`);
    else output.line('  not started: the run was interrupted first');
    output.line();
  }
  output.line(`total over ${report.partitions.length} partitions`);
  output.line(
    table(
      ['TABLE', 'RULE', 'ACTION', 'ROWS', 'LEFT (LOCKED)'],
      report.totals.map((t) => [
        t.table,
        t.rule,
        report.dryRun ? `would ${t.action}` : actionDone(t.action),
        String(report.dryRun ? t.matched : t.affected),
        report.dryRun ? '-' : t.remaining > 0 ? s.warn(String(t.remaining)) : '0',
      ]),
    ),
  );
  output.line();
  const ran = report.partitions.filter((p) => p.report).length;
  if (report.dryRun) output.line(`dry run: ${report.totalMatched} row(s) would be cleaned up on ${ran} partition(s); nothing was changed`);
  else
    output.line(
      `${report.failed.length === 0 && !report.interrupted ? s.ok('done') : 'finished'}: ${report.totalAffected} row(s) cleaned up on ${ran} partition(s) in ${formatDuration(report.durationMs)}`,
    );
  if (report.failed.length > 0) output.line(s.bad(`failed: ${report.failed.join(', ')}`));
}

async function runOnCluster(cli: CliContext, output: Output, config: Config, options: ClusterCleanupCommandOptions): Promise<void> {
  const interruption = interruptOnSignals(config);
  const progress = output.json
    ? noProgress
    : progressPrinter<CleanupProgress & { partition: number }>(
        (p) => `partition ${p.partition}: ${p.table} (${p.rule}): ${actionDone(p.action)}`,
      );
  let report: ClusterCleanupReport;
  try {
    report = await clusterCleanup({
      ...config,
      ...options,
      logger: cli.logger,
      signal: interruption.signal,
      onPartitionProgress: progress.update,
    });
  } finally {
    progress.done();
    interruption.dispose();
  }
  if (output.json) output.document(report);
  else printClusterReport(output, report);
  if (report.failed.length > 0)
    throw new ReportedFailure(
      'OPERATION_FAILED',
      `clean-up failed on ${report.failed.join(', ')}; the other partitions were cleaned up — run it again for the failed ones`,
    );
  if (report.interrupted)
    throw new ReportedFailure('OPERATION_FAILED', 'clean-up interrupted; every finished batch is kept — run it again to finish');
}

/** Adds the command, its options and its printing to the program. */
export function registerCleanupCommand(program: Command, cli: CliContext): void {
  program
    .command('cleanup')
    .description(
      'retention: expire pending flows and OTPs past their expiry (and the active OTPs of finished flows); soft-delete finished flows, OTPs, failed OTP attempts and successful membership attempts, delete successful login attempts (older than retention_days, 30); delete failed login and membership attempts (older than failed_attempt_retention_days, 90), events (older than event_log_retention_days, 90) and limit guards unused for limit_guard_retention_days (1); in short batches that skip rows live traffic holds',
    )
    .option('-d, --dry-run', 'count what would be cleaned up; change nothing')
    .option(
      '--retention-days <days>',
      'age after which finished rows go (env ECLIPTIX_RETENTION_DAYS; default: the retention_days setting of the database)',
    )
    .option(
      '--event-log-retention-days <days>',
      'age after which events go (env ECLIPTIX_EVENT_LOG_RETENTION_DAYS; default: the event_log_retention_days setting)',
    )
    .option(
      '--failed-attempt-retention-days <days>',
      'age after which failed login and membership attempts go (env ECLIPTIX_FAILED_ATTEMPT_RETENTION_DAYS; default: the failed_attempt_retention_days setting)',
    )
    .option(
      '--limit-guard-retention-days <days>',
      'days unused after which a limit guard goes (env ECLIPTIX_LIMIT_GUARD_RETENTION_DAYS; default: the limit_guard_retention_days setting)',
    )
    .option('--batch-size <rows>', `rows per batch, each batch its own short transaction (default ${DEFAULT_BATCH_SIZE})`)
    .option('--parallel <partitions>', 'on a cluster: partitions cleaned up at the same time (default 1: one after another)')
    .option('--json', 'print one JSON document')
    .addHelpText(
      'after',
      '\nSafe to interrupt (Ctrl-C finishes the current batch and stops) and to run again. Exit 1 when interrupted.' +
        '\nOn a cluster (the config file\'s "cluster" key): every partition in turn, reported per partition and in total; a partition that fails is named, the others still run, and the exit code is 1.',
    )
    .action(
      async (
        options: {
          dryRun?: boolean;
          retentionDays?: string;
          eventLogRetentionDays?: string;
          failedAttemptRetentionDays?: string;
          limitGuardRetentionDays?: string;
          batchSize?: string;
          parallel?: string;
        },
        command: Command,
      ) => {
        const retentionDays = parseWhole('--retention-days', options.retentionDays);
        const eventLogRetentionDays = parseWhole('--event-log-retention-days', options.eventLogRetentionDays);
        const failedAttemptRetentionDays = parseWhole('--failed-attempt-retention-days', options.failedAttemptRetentionDays);
        const limitGuardRetentionDays = parseWhole('--limit-guard-retention-days', options.limitGuardRetentionDays);
        const batchSize = parseWhole('--batch-size', options.batchSize);
        const parallel = parseWhole('--parallel', options.parallel);
        const { config, output } = cli.prepare(command);
        if (config.cluster) {
          await runOnCluster(cli, output, config, {
            ...(retentionDays === undefined ? {} : { retentionDays }),
            ...(eventLogRetentionDays === undefined ? {} : { eventLogRetentionDays }),
            ...(failedAttemptRetentionDays === undefined ? {} : { failedAttemptRetentionDays }),
            ...(limitGuardRetentionDays === undefined ? {} : { limitGuardRetentionDays }),
            ...(batchSize === undefined ? {} : { batchSize }),
            ...(parallel === undefined ? {} : { parallel }),
            dryRun: options.dryRun === true,
          });
          return;
        }
        if (parallel !== undefined)
          throw new PersistorError('INVALID_ARGUMENT', '--parallel is for a cluster (the config file\'s "cluster" key)');
        const interruption = interruptOnSignals(config);
        const progress = output.json
          ? noProgress
          : progressPrinter<CleanupProgress>((p) => `${p.table} (${p.rule}): ${actionDone(p.action)}`);
        let report: CleanupReport;
        try {
          report = await cleanup({
            ...config,
            ...(retentionDays === undefined ? {} : { retentionDays }),
            ...(eventLogRetentionDays === undefined ? {} : { eventLogRetentionDays }),
            ...(failedAttemptRetentionDays === undefined ? {} : { failedAttemptRetentionDays }),
            ...(limitGuardRetentionDays === undefined ? {} : { limitGuardRetentionDays }),
            ...(batchSize === undefined ? {} : { batchSize }),
            dryRun: options.dryRun === true,
            logger: cli.logger,
            signal: interruption.signal,
            onProgress: progress.update,
          });
        } finally {
          progress.done();
          interruption.dispose();
        }
        if (output.json) output.document(report);
        else printReport(output, report);
        if (report.interrupted)
          throw new ReportedFailure('OPERATION_FAILED', 'clean-up interrupted; every finished batch is kept — run it again to finish');
      },
    );
}
