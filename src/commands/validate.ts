/** `validate`: checksums of applied migrations against the files (exit 5 on any mismatch). */
import type { Command } from 'commander';
import type { CliContext } from '../cli/context.js';
import { Migrator } from '../migrator/migrator.js';
import { withRuntime, type PersistorOptions } from './runtime.js';

export interface ValidateReport {
  valid: true;
  checked: number;
  warnings: string[];
}

export function validate(options: PersistorOptions = {}): Promise<ValidateReport> {
  return withRuntime(
    options,
    async ({ db, config, migrationsDir }) => {
      const plan = await new Migrator({ db, migrationsDir, lockTimeoutMs: config.lockTimeoutMs }).validate();
      const checked = plan.statuses.filter((s) => s.appliedChecksum !== null && s.checksum !== null).length;
      return { valid: true, checked, warnings: plan.warnings };
    },
    { mustExist: true },
  );
}

export function registerValidateCommand(program: Command, cli: CliContext): void {
  program
    .command('validate')
    .description('check that applied migrations were not edited since (exit 5 naming each file and both checksums)')
    .option('--json', 'print one JSON document')
    .action(async (_options, command: Command) => {
      const { config, output } = cli.prepare(command);
      const report = await validate({ ...config, logger: cli.logger });
      if (output.json) return output.document(report);
      output.line(`${output.style.ok('valid')}: ${report.checked} applied migration(s) match their files`);
      for (const warning of report.warnings) output.warn(warning);
    });
}
