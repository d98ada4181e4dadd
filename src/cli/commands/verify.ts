/** The `verify` command line: each success criterion PASS or FAIL, exit 5 unless all pass. */
import type { Command } from 'commander';
import { verify, type VerifyReport } from '../../commands/verify.js';
import { OBJECT_COUNT } from '../../schema/manifest.js';
import type { CliContext } from '../context.js';
import { ReportedFailure, type Output } from '../output.js';

function printReport(output: Output, report: VerifyReport & { target: string }): void {
  const s = output.style;
  output.line(`verify ${report.target}`);
  output.line();
  for (const c of report.criteria) {
    output.line(`${c.passed ? s.ok('PASS') : s.bad('FAIL')}  ${c.number}. ${c.title}`);
    for (const detail of c.details) output.line(`        ${c.passed ? s.dim(detail) : detail}`);
    if (c.number === 2) {
      for (const d of report.drift) {
        for (const line of d.live) output.line(`          ${s.dim(`${d.name} live:    `)}${line.trim()}`);
        for (const line of d.shipped) output.line(`          ${s.dim(`${d.name} shipped: `)}${line.trim()}`);
      }
    }
    if (c.number === 3 && !c.passed) {
      for (const check of report.coreChecks.checks) {
        output.line(`          ${check.passed ? s.ok('ok  ') : s.bad('FAIL')} ${check.name} ${s.dim(`(${check.routine})`)}`);
      }
    }
  }
  for (const object of report.unexpected) output.line(`${s.warn('note')}  unexpected ${object.kind} ${object.name} in schema ecliptix`);
  output.line();
  const failed = report.criteria.filter((c) => !c.passed).length;
  output.line(failed === 0 ? s.ok('all 5 success criteria passed') : s.bad(`${failed} of 5 success criteria failed`));
}

/** Adds the command, its options and its printing to the program. */
export function registerVerifyCommand(program: Command, cli: CliContext): void {
  program
    .command('verify')
    .description(
      `the post-deployment checklist: the ${OBJECT_COUNT} objects (present, right kind, enabled, no drift), core functionality (rolled back), journal, application access — the seed's 5 success criteria (exit 5 unless all pass)`,
    )
    .option(
      '--app-role <role>',
      'the role the application connects as: check its privileges and run the basic operations as it (default: the application role set up by `roles`, else the connected user)',
    )
    .option('--json', 'print one JSON document')
    .action(async (options: { appRole?: string }, command: Command) => {
      const { config, output } = cli.prepare(command);
      const report = await verify({
        ...config,
        logger: cli.logger,
        ...(options.appRole === undefined ? {} : { appRole: options.appRole }),
      });
      if (output.json) output.document(report);
      else printReport(output, report);
      if (!report.passed) {
        const failed = report.criteria.filter((c) => !c.passed).map((c) => c.number);
        throw new ReportedFailure('VALIDATION_FAILED', `verification failed: criteria ${failed.join(', ')} of 5 did not pass`);
      }
    });
}
