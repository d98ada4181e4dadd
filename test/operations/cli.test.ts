/** The operations commands on the command line: each has --help, and a missing argument is exit 2. */
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';

describe('operations commands: help and arguments', () => {
  it('verify, cleanup, backup and restore have --help and are listed; migrate has --backup, status has --drift', async () => {
    const help = await runCli(['--help']);
    for (const command of ['verify', 'cleanup', 'backup', 'restore']) expect(help.stdout).toContain(command);
    const expected: Record<string, string[]> = {
      verify: ['--app-role <role>', '--json', '5 success criteria'],
      cleanup: ['--dry-run', '--retention-days <days>', '--event-log-retention-days <days>', '--batch-size <rows>', '--json', 'Ctrl-C'],
      backup: ['--output <file>', '--pg-bin <dir>', '--json'],
      restore: ['<file>', '--force', '--pg-bin <dir>', '--json'],
      migrate: ['--backup [file]'],
      status: ['--drift'],
      doctor: ['--json', '--output <file>', '--force', 'Examples:', 'ecliptix-persistor doctor -s'],
      health: [
        '--threshold <check.key=value>',
        '--no-snapshot',
        '--keep-snapshots <n>',
        '--json',
        'Exit codes: 0',
        'Examples:',
        'dead-tuples',
      ],
    };
    for (const [command, texts] of Object.entries(expected)) {
      const sub = await runCli([command, '--help']);
      expect(sub.code, command).toBe(0);
      expect(sub.stdout).toContain(`Usage: ecliptix-persistor ${command}`);
      for (const text of texts) expect(sub.stdout, `${command} --help`).toContain(text);
    }
  });

  it('restore without a file, or with an unknown option: exit 2', async () => {
    const missing = await runCli(['restore']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("missing required argument 'file'");
    const unknown = await runCli(['cleanup', '--older-than', '3']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown option '--older-than'");
  });
});
