/** The `report` command line: the HTML (or Markdown, or JSON) report on stdout or in a file. */
import { Option, type Command } from 'commander';
import { REPORT_FORMATS, report, type ReportFormat } from '../../commands/report.js';
import { PersistorError, messageOf } from '../../errors.js';
import { replaceFile } from '../../util/replace-file.js';
import type { CliContext } from '../context.js';
import { parseWhole } from '../progress.js';

/** Adds the command, its options and its output to the program. */
export function registerReportCommand(program: Command, cli: CliContext): void {
  program
    .command('report')
    .description(
      'a visual report of the last days: activity per day, conversion by region, migration state — one self-contained HTML file (or --format md|json)',
    )
    .option('--days <n>', 'days of activity, today (UTC) included, 1 to 366 (default 30)')
    .option('--min-region-flows <n>', 'regions with fewer flows are counted under "other" (default 10)')
    .addOption(new Option('--format <format>', 'html, md or json (default html)').choices(REPORT_FORMATS))
    .option('--output <file>', 'write the report to this file (replaced whole, never half-written) instead of stdout')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  ecliptix-persistor report -s "$DATABASE_URL" --output report.html',
        '  ecliptix-persistor report --days 7 --format md > weekly.md',
        '',
        'The HTML file has its charts as inline SVG (rendered by Vega-Lite when the report is made), no script,',
        'and fetches nothing: it opens offline and can be attached or mailed as it is. No phone number or',
        'identifier is in any format: regions are the only thing said of numbers.',
        'On a cluster (the config file\'s "cluster" key): every partition, added up.',
      ].join('\n'),
    )
    .action(async (options: { days?: string; minRegionFlows?: string; format?: ReportFormat; output?: string }, command: Command) => {
      const { config } = cli.prepare(command);
      const days = parseWhole('--days', options.days);
      const minimumRegionFlows = parseWhole('--min-region-flows', options.minRegionFlows);
      const result = await report({
        ...config,
        logger: cli.logger,
        ...(days === undefined ? {} : { days }),
        ...(minimumRegionFlows === undefined ? {} : { minimumRegionFlows }),
        ...(options.format === undefined ? {} : { format: options.format }),
      });
      if (options.output === undefined) {
        process.stdout.write(result.document);
        return;
      }
      try {
        await replaceFile(options.output, result.document, 0o644);
      } catch (error) {
        throw new PersistorError('OPERATION_FAILED', `cannot write ${options.output}: ${messageOf(error)}`, { cause: error });
      }
    });
}
