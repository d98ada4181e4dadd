/** The `verify` command line: each success criterion PASS or FAIL, exit 5 unless all pass. */
import type { Command } from 'commander';
import { clusterVerify, verify, type ClusterVerifyReport, type VerifyReport } from '../../commands/verify.js';
import { OBJECT_COUNT } from '../../schema/manifest.js';
import type { CliContext } from '../context.js';
import { ReportedFailure, type Output } from '../output.js';

/** The five criteria and what they found, each line indented by `indent`. */
function printCriteria(output: Output, report: VerifyReport, indent = ''): void {
  const s = output.style;
  for (const c of report.criteria) {
    output.line(`${indent}${c.passed ? s.ok('PASS') : s.bad('FAIL')}  ${c.number}. ${c.title}`);
    for (const detail of c.details) output.line(`${indent}        ${c.passed ? s.dim(detail) : detail}`);
    if (c.number === 2) {
      for (const d of report.drift) {
        for (const line of d.live) output.line(`${indent}          ${s.dim(`${d.name} live:    `)}${line.trim()}`);
        for (const line of d.shipped) output.line(`${indent}          ${s.dim(`${d.name} shipped: `)}${line.trim()}`);
      }
    }
    if (c.number === 3 && !c.passed) {
      for (const check of report.coreChecks.checks) {
        output.line(`${indent}          ${check.passed ? s.ok('ok  ') : s.bad('FAIL')} ${check.name} ${s.dim(`(${check.routine})`)}`);
      }
    }
  }
  for (const object of report.unexpected)
    output.line(`${indent}${s.warn('note')}  unexpected ${object.kind} ${object.name} in schema ecliptix`);
}

function printReport(output: Output, report: VerifyReport & { target: string }): void {
  const s = output.style;
  output.line(`verify ${report.target}`);
  output.line();
  printCriteria(output, report);
  output.line();
  const failed = report.criteria.filter((c) => !c.passed).length;
  output.line(failed === 0 ? s.ok('all 5 success criteria passed') : s.bad(`${failed} of 5 success criteria failed`));
}

/** A cluster: each partition's criteria and cluster checks, then the proxy's checks, then which databases failed. */
function printClusterReport(output: Output, report: ClusterVerifyReport): void {
  const s = output.style;
  const verdict = (passed: boolean) => (passed ? s.ok('PASS') : s.bad('FAIL'));
  const printCheck = (c: { name: string; passed: boolean; skipped?: boolean; details: string[] }) => {
    output.line(`  ${c.skipped ? s.dim('SKIP') : verdict(c.passed)}  ${c.name}`);
    for (const detail of c.details) output.line(`        ${c.passed ? s.dim(detail) : detail}`);
  };
  for (const p of report.partitions) {
    output.line(`${verdict(p.passed)} ${p.name}`);
    for (const c of p.checks) printCheck(c);
    if (p.report) printCriteria(output, p.report, '  ');
    if (p.error) output.line(`  ${s.bad('FAIL')}  ${p.error}`);
    output.line();
  }
  output.line(`${verdict(report.proxy.passed)} ${report.proxy.name}`);
  for (const c of report.proxy.checks) printCheck(c);
  output.line();
  for (const note of report.notes) output.line(s.dim(`note: ${note}`));
  output.line(
    report.passed ? s.ok(`all ${report.partitions.length} partitions and the proxy passed`) : s.bad(`failed: ${report.failed.join(', ')}`),
  );
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
    .addHelpText(
      'after',
      '\nOn a cluster (the config file\'s "cluster" key): every partition (its drift check accepting exactly its identifier defaults; core checks on the partition, rolled back), its identity and the proxy\'s route to it, and the proxy (PL/Proxy, server definition, routines); the failing databases are named.',
    )
    .action(async (options: { appRole?: string }, command: Command) => {
      const { config, output } = cli.prepare(command);
      if (config.cluster) {
        const report = await clusterVerify({
          ...config,
          logger: cli.logger,
          ...(options.appRole === undefined ? {} : { appRole: options.appRole }),
        });
        if (output.json) output.document(report);
        else printClusterReport(output, report);
        if (!report.passed) throw new ReportedFailure('VALIDATION_FAILED', `verification failed on ${report.failed.join(', ')}`);
        return;
      }
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
