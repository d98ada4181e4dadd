/** The `audit` command line: the weekly security review as tables, or one JSON document. */
import type { Command } from 'commander';
import { audit, type AuditResult } from '../../commands/audit.js';
import { table } from '../../util/format.js';
import type { CliContext } from '../context.js';
import type { Output } from '../output.js';
import { parseWhole } from '../progress.js';

const orDash = (value: number | null): string => (value === null ? '–' : String(value));

function conversionTable(key: string, rows: AuditResult['byCallingCode']): string {
  return table(
    [key, 'FLOWS', 'VERIFIED', 'CONVERSION %', 'CODES PER VERIFICATION'],
    rows.map((c) => [c.key, String(c.flowsStarted), String(c.flowsVerified), String(c.conversionPct), orDash(c.codesPerVerification)]),
  );
}

function printReport(output: Output, r: AuditResult): void {
  const s = output.style;
  output.line(`security review: the last ${r.days} days (${r.since.toISOString()} to ${r.until.toISOString()}, database clock)`);
  output.line();
  output.line(
    `sign-ins: ${r.counts.sign_in_attempts} attempts, ${r.counts.failed_sign_ins} failed, ${r.counts.lockouts} lockouts started; ` +
      `${r.counts.flows} flows started, ${r.counts.codes} codes issued, ${r.counts.checks} code checks`,
  );
  if (r.previous) {
    const p = r.previous.summary;
    const change = (now: number, before: number) => (now - before >= 0 ? `+${now - before}` : String(now - before));
    output.line(
      `since the last review (${r.previous.takenAt.toISOString()}, ${p.days} days): lockouts ${change(r.counts.lockouts, p.counts.lockouts)}, ` +
        `failed sign-ins ${change(r.counts.failed_sign_ins, p.counts.failed_sign_ins)}, flows ${change(r.counts.flows, p.counts.flows)}, ` +
        `refused calls ${change(
          r.limits.reduce((n, l) => n + l.hits, 0),
          Object.values(p.hits).reduce((n, h) => n + h, 0),
        )}`,
    );
  }
  if (!r.snapshot.kept && r.snapshot.reason !== 'not asked for') output.line(s.dim(`no snapshot kept: ${r.snapshot.reason}`));
  output.line();
  output.line('limits (refused calls against what each let through):');
  output.line(
    table(
      ['LIMIT', 'REFUSED', 'LET THROUGH', 'OF WHAT', 'REFUSED %'],
      r.limits.map((l) => [l.limit, String(l.hits), String(l.allowed), l.allowedWhat, orDash(l.refusedPct)]),
    ),
  );
  output.line();
  if (r.repeatLocked.length === 0) output.line(`numbers locked more than once: ${s.ok('none')}`);
  else {
    output.line('numbers locked more than once (masked):');
    output.line(
      table(
        ['NUMBER', 'LOCKOUTS', 'LAST'],
        r.repeatLocked.map((n) => [n.number, String(n.lockouts), n.lastLockout.toISOString()]),
      ),
    );
  }
  output.line();
  output.line('conversion by country calling code:');
  output.line(conversionTable('CODE', r.byCallingCode));
  output.line();
  output.line(
    `conversion by number prefix (calling code and ${r.thresholds.prefixDigits} digits; the ${r.byPrefix.length} with the most flows):`,
  );
  output.line(conversionTable('PREFIX', r.byPrefix));
  output.line();
  if (r.suspiciousPrefixes.length === 0)
    output.line(`prefixes with low conversion or a burst (${r.thresholds.minimumFlows}+ flows): ${s.ok('none')}`);
  else {
    output.line(`${s.warn('prefixes worth a look')} (possible SMS pumping; ${r.thresholds.minimumFlows}+ flows):`);
    for (const p of r.suspiciousPrefixes)
      output.line(`  ${p.key}  ${p.flowsStarted} flows, ${p.conversionPct} % verified: ${p.reasons.join('; ')}`);
  }
  output.line();
  output.line('busiest devices (flows started):');
  output.line(
    table(
      ['DEVICE', 'FLOWS', 'VERIFIED', 'NUMBERS'],
      r.busiestDevices.map((d) => [`${d.device}…`, String(d.flowsStarted), String(d.flowsVerified), String(d.numbers)]),
    ),
  );
}

/** Adds the command, its options and its printing to the program. */
export function registerAuditCommand(program: Command, cli: CliContext): void {
  program
    .command('audit')
    .description(
      'the weekly security review: every limit’s refused calls against its attempts, sign-in failures and lockouts (numbers locked again, masked), conversion by calling code, prefixes with low conversion or a burst (SMS pumping), the busiest devices',
    )
    .option('--days <n>', 'the period: the last n days (default 7)')
    .option('--prefix-digits <n>', 'digits after the calling code that make a prefix (default 2)')
    .option('--min-prefix-flows <n>', 'flows a prefix needs to be judged (default 20)')
    .option('--no-snapshot', 'do not keep this review’s snapshot (persistor.audit_snapshots)')
    .option('--json', 'print one JSON document')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  ecliptix-persistor audit -s "$DATABASE_URL"              # weekly, from cron or by hand',
        '  ecliptix-persistor audit --days 30 --json > review.json',
        '',
        'Phone numbers are masked in the database before they reach the tool: the calling code and the last two digits.',
        'Run it as the owner (as health): it reads the limits’ own record.',
      ].join('\n'),
    )
    .action(async (options: { days?: string; prefixDigits?: string; minPrefixFlows?: string; snapshot?: boolean }, command: Command) => {
      const { config, output } = cli.prepare(command);
      const days = parseWhole('--days', options.days);
      const prefixDigits = parseWhole('--prefix-digits', options.prefixDigits);
      const minimumFlows = parseWhole('--min-prefix-flows', options.minPrefixFlows);
      const report = await audit({
        ...config,
        logger: cli.logger,
        ...(days === undefined ? {} : { days }),
        snapshot: options.snapshot !== false,
        thresholds: { ...(prefixDigits === undefined ? {} : { prefixDigits }), ...(minimumFlows === undefined ? {} : { minimumFlows }) },
      });
      if (output.json) output.document(report);
      else printReport(output, report);
    });
}
