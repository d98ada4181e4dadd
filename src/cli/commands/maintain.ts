/** The `maintain` command line: the plan, or the plan carried out with a line per step. */
import type { Command } from 'commander';
import { clusterMaintain, maintain, type MaintenanceReport } from '../../commands/maintain.js';
import { PersistorError } from '../../errors.js';
import { parseThresholdOverrides } from '../../operations/health-thresholds.js';
import { formatDuration } from '../../util/format.js';
import type { CliContext } from '../context.js';
import { interruptOnSignals } from '../interrupt.js';
import { ReportedFailure, type Output } from '../output.js';
import { parseWhole } from '../progress.js';

function printReport(output: Output, report: MaintenanceReport, indent = ''): void {
  const s = output.style;
  if (report.steps.length === 0) {
    output.line(`${indent}${s.ok('nothing to do')}: no invalid, leftover or bloated index, no table with stale statistics`);
    return;
  }
  if (!report.applied) {
    output.line(`${indent}plan (${report.steps.length} step(s); run with --apply to carry it out):`);
    for (const [i, step] of report.steps.entries()) {
      output.line(`${indent}  ${i + 1}. ${step.statement}`);
      output.line(`${indent}     ${s.dim(step.reason)}`);
    }
    return;
  }
  for (const r of report.results) {
    const verdict = r.outcome === 'done' ? s.ok('done  ') : r.outcome === 'failed' ? s.bad('FAILED') : s.dim('not run');
    output.line(`${indent}${verdict} ${r.step.statement} ${s.dim(`(${formatDuration(r.ms)})`)}`);
    if (r.error) output.line(`${indent}       ${r.error}`);
    if (r.droppedLeftovers) output.line(`${indent}       dropped its half-built index: ${r.droppedLeftovers.join(', ')}`);
    if (r.leftoverError) output.line(`${indent}       ${s.bad(r.leftoverError)}`);
  }
  const failed = report.results.filter((r) => r.outcome === 'failed').length;
  const done = report.results.filter((r) => r.outcome === 'done').length;
  output.line(
    `${indent}${done} of ${report.steps.length} step(s) done in ${formatDuration(report.durationMs)}${failed > 0 ? `, ${failed} failed` : ''}${report.interrupted ? ', interrupted' : ''}`,
  );
}

/** Adds the command, its options and its printing to the program. */
export function registerMaintainCommand(program: Command, cli: CliContext): void {
  program
    .command('maintain')
    .description(
      'index maintenance and statistics, online: --plan (the default) lists what it would do and why; --apply drops leftovers of an interrupted REINDEX CONCURRENTLY, runs REINDEX INDEX CONCURRENTLY for invalid or bloated indexes one at a time, then ANALYZE for stale tables',
    )
    .option('--plan', 'list the steps and why, change nothing (the default)')
    .option('--apply', 'carry the plan out, one statement at a time')
    .option(
      '--lock-wait <ms>',
      'how long each statement may wait for a lock before it gives up (default 5000): traffic queued behind it waits at most this long',
    )
    .option(
      '--threshold <check.level=value>',
      'override a threshold as health does (index-bloat.warn=30, index-bloat.min=1, stale-statistics.warn=10); repeatable',
      (value: string, all: string[] = []) => [...all, value],
    )
    .option('--json', 'print one JSON document')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  ecliptix-persistor maintain -s "$DATABASE_URL"                 # the plan',
        '  ecliptix-persistor maintain -s "$DATABASE_URL" --apply         # quarterly, from cron or by hand',
        '',
        'No step blocks reads or writes for longer than --lock-wait: REINDEX CONCURRENTLY and ANALYZE take no lock that',
        'conflicts with them, except for the moment a rebuilt index is swapped in. A step that gives up is reported and',
        'the next one runs; a reindex that gives up, or that Ctrl-C cancels, has its half-built index dropped.',
        'Exit 1 when a step failed or the run was interrupted; running it again does what is left.',
        'On a cluster (the config file\'s "cluster" key): every partition in turn.',
      ].join('\n'),
    )
    .action(
      async (options: { plan?: boolean; apply?: boolean; lockWait?: string; threshold?: string[]; json?: boolean }, command: Command) => {
        const { config, output } = cli.prepare(command);
        if (options.plan && options.apply) throw new PersistorError('INVALID_ARGUMENT', '--plan and --apply: choose one');
        const lockWaitMs = parseWhole('--lock-wait', options.lockWait);
        const thresholds = options.threshold ? parseThresholdOverrides(options.threshold) : undefined;
        const interruption = interruptOnSignals(config);
        const s = output.style;
        // The step being run, on a terminal only (as the clean-up's progress): each step's outcome is in the report.
        const onProgress =
          output.json || !process.stderr.isTTY
            ? undefined
            : (event: { index: number; total: number; step: { statement: string }; result?: unknown }) => {
                if (!event.result) process.stderr.write(s.dim(`[${event.index + 1}/${event.total}] ${event.step.statement}…\n`));
              };
        const common = {
          ...config,
          logger: cli.logger,
          apply: options.apply === true,
          signal: interruption.signal,
          ...(lockWaitMs === undefined ? {} : { lockWaitMs }),
          ...(thresholds ? { thresholds } : {}),
          ...(onProgress ? { onProgress } : {}),
        };
        try {
          if (config.cluster) {
            const report = await clusterMaintain(common);
            if (output.json) output.document(report);
            else
              for (const p of report.partitions) {
                output.line(p.name);
                if (p.report) printReport(output, p.report, '  ');
                else output.line(`  ${s.bad('FAILED')} ${p.error}`);
              }
            if (report.failed.length > 0)
              throw new ReportedFailure('OPERATION_FAILED', `maintenance failed on ${report.failed.join(', ')}`);
            if (report.interrupted)
              throw new ReportedFailure('OPERATION_FAILED', 'maintenance interrupted; run it again to do what is left');
            return;
          }
          const report = await maintain(common);
          if (output.json) output.document(report);
          else printReport(output, report);
          const failed = report.results.filter((r) => r.outcome === 'failed').length;
          if (report.interrupted) throw new ReportedFailure('OPERATION_FAILED', 'maintenance interrupted; run it again to do what is left');
          if (failed > 0)
            throw new ReportedFailure(
              'OPERATION_FAILED',
              `${failed} maintenance step(s) failed; see above, and run it again when the database is quieter`,
            );
        } finally {
          interruption.dispose();
        }
      },
    );
}
