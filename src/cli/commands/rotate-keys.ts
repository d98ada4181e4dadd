/** The `rotate-keys` command line: a progress line, the per-key table; exit 1 when interrupted, 5 when rows cannot be rotated. */
import type { Command } from 'commander';
import { DATA_KEYS_ENV } from '../../client/keyring.js';
import { rotateKeys, type RotateKeysReport } from '../../commands/rotate-keys.js';
import { DEFAULT_ROTATE_BATCH_SIZE, validateRotateKeysOptions, type RotateKeysProgress } from '../../operations/rotate-keys.js';
import { formatDuration, table } from '../../util/format.js';
import type { CliContext } from '../context.js';
import { interruptOnSignals } from '../interrupt.js';
import { ReportedFailure, type Output } from '../output.js';
import { noProgress, parseWhole, progressPrinter } from '../progress.js';

function printReport(output: Output, report: RotateKeysReport): void {
  const s = output.style;
  const rows: string[][] = report.keys.map((k) => [
    k.keyId,
    String(k.rows),
    k.current
      ? 'current'
      : k.configured
        ? k.rows === 0
          ? s.ok('older: no rows, safe to remove')
          : s.warn('older: still in use')
        : s.bad('NOT IN THE KEYRING: cannot be rotated'),
  ]);
  if (report.malformedRows > 0)
    rows.push(['(malformed)', String(report.malformedRows), s.bad('not an encrypted secure key: cannot be rotated')]);
  output.line(table(['KEY ID', 'ROWS', 'STATUS'], rows));
  output.line(s.dim(`memberships without a secure key: ${report.rowsWithoutKey}`));
  output.line();

  const rate = report.rotated > 0 && report.durationMs > 0 ? `, ${Math.round((report.rotated / report.durationMs) * 1000)} rows/s` : '';
  if (report.dryRun) output.line(`dry run: ${report.matched} row(s) would be re-encrypted to ${report.currentKeyId}; nothing was changed`);
  else if (report.interrupted)
    output.line(
      s.warn(
        `interrupted: ${report.rotated} row(s) re-encrypted to ${report.currentKeyId} in ${formatDuration(report.durationMs)} before stopping; every finished batch is kept — run again to finish`,
      ),
    );
  else
    output.line(
      `${s.ok('done')}: ${report.rotated} row(s) re-encrypted to ${report.currentKeyId} in ${formatDuration(report.durationMs)}${rate} (batches of ${report.batchSize})`,
    );

  const held = report.remainingOld - report.undecryptable.rows;
  if (!report.dryRun && !report.interrupted && held > 0)
    output.line(s.warn(`${held} row(s) were held locked by live traffic and are still under an older key; run again`));
  if (report.undecryptable.rows > 0) {
    output.line(
      s.bad(
        `${report.undecryptable.rows} row(s) under a configured key failed authentication (tampered, or encrypted under another key with the same id) and were left as they are; memberships: ${report.undecryptable.membershipIds.join(', ')}${report.undecryptable.rows > report.undecryptable.membershipIds.length ? ', …' : ''}`,
      ),
    );
  }
  if (report.removableKeyIds.length > 0 && !report.dryRun) {
    output.line(
      `no secure key uses ${report.removableKeyIds.join(', ')}: ${report.removableKeyIds.length === 1 ? 'it' : 'they'} may be removed from ${DATA_KEYS_ENV}`,
    );
  }
}

/** Adds the command, its options and its printing to the program. */
export function registerRotateKeysCommand(program: Command, cli: CliContext): void {
  program
    .command('rotate-keys')
    .description(
      `re-encrypt every membership's secure key that is not under the current data key (the first of ${DATA_KEYS_ENV}) to it, in short batches that skip rows live traffic holds, then report how many rows use each key id`,
    )
    .option('-d, --dry-run', 'only count the rows under each key id; change nothing')
    .option('--batch-size <rows>', `rows per batch, each batch its own short transaction (default ${DEFAULT_ROTATE_BATCH_SIZE})`)
    .option('--json', 'print one JSON document')
    .addHelpText(
      'after',
      `
Keys come from ${DATA_KEYS_ENV} ("new-id:base64,old-id:base64", current first), as for the
application; the embedded database falls back to its development keys. Run it as the owner.
Safe to interrupt (Ctrl-C finishes the current batch and stops) and to run again.
Remove an old key only once the report shows 0 rows for it.
Exit 1 when interrupted; 5 when rows use a key id that is not in the keyring, are not
encrypted secure keys, or fail to decrypt (they cannot be rotated).`,
    )
    .action(async (options: { dryRun?: boolean; batchSize?: string }, command: Command) => {
      const batchSize = parseWhole('--batch-size', options.batchSize);
      validateRotateKeysOptions(batchSize === undefined ? {} : { batchSize });
      const { config, output } = cli.prepare(command);
      const interruption = interruptOnSignals(config);
      const progress = output.json ? noProgress : progressPrinter<RotateKeysProgress>(() => 're-encrypted');
      let report: RotateKeysReport;
      try {
        report = await rotateKeys({
          ...config,
          ...(batchSize === undefined ? {} : { batchSize }),
          dryRun: options.dryRun === true,
          logger: cli.logger,
          signal: interruption.signal,
          onProgress: progress.update,
          onDevelopmentKeys: (file) =>
            output.warn(`using the embedded database's development data keys from ${file}; configure ${DATA_KEYS_ENV} for production`),
        });
      } finally {
        progress.done();
        interruption.dispose();
      }
      if (output.json) output.document(report);
      else printReport(output, report);
      const unrotatable = report.unknownKeyRows + report.malformedRows + report.undecryptable.rows;
      if (report.interrupted) {
        throw new ReportedFailure('OPERATION_FAILED', 'rotate-keys interrupted; every finished batch is kept — run it again to finish');
      } else if (unrotatable > 0) {
        const unknownIds = report.keys.filter((k) => !k.configured).map((k) => k.keyId);
        const parts = [
          report.unknownKeyRows > 0
            ? `${report.unknownKeyRows} under key id(s) not in ${DATA_KEYS_ENV} (${unknownIds.join(', ')}): add those keys and run again`
            : '',
          report.malformedRows > 0 ? `${report.malformedRows} not encrypted secure keys` : '',
          report.undecryptable.rows > 0 ? `${report.undecryptable.rows} that fail to decrypt` : '',
        ].filter(Boolean);
        throw new ReportedFailure(
          'VALIDATION_FAILED',
          `${unrotatable} secure key(s) cannot be rotated — ${parts.join('; ')}; do not remove a key that rows still use`,
        );
      }
    });
}
