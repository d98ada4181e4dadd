import { describe, expect, it } from 'vitest';
import { createCliContext } from '../../src/cli/context.js';
import { buildProgram, commandNames, invokedCommand } from '../../src/cli/program.js';

describe('which command a command line names (only that one is loaded)', () => {
  it('skips global options and their values', () => {
    expect(invokedCommand(['migrate'])).toBe('migrate');
    expect(invokedCommand(['-s', 'postgres://h/db', 'status', '--json'])).toBe('status');
    expect(invokedCommand(['--database-url', 'postgres://h/db', '--lock-timeout', '5', 'verify'])).toBe('verify');
    expect(invokedCommand(['--data-dir=/x', '-v', '--log-level', 'debug', 'cleanup'])).toBe('cleanup');
    expect(invokedCommand(['--config', 'c.json', '--migrations', 'm', '--connect-timeout', '9', 'sql'])).toBe('sql');
    expect(invokedCommand(['--help'])).toBeUndefined();
    expect(invokedCommand([])).toBeUndefined();
    expect(invokedCommand(['--', 'migrate'])).toBeUndefined();
  });

  it('registers just the named command, or all of them for help and unknown names', async () => {
    const names = async (args: string[]) => (await buildProgram(createCliContext(), args)).commands.map((c) => c.name());
    expect(await names(['-s', 'postgres://h/db', 'migrate'])).toEqual(['migrate']);
    expect(await names(['--help'])).toEqual(commandNames);
    expect(await names(['help', 'migrate'])).toEqual(commandNames);
    expect(await names(['migarte'])).toEqual(commandNames);
    expect(await names(['rotate-keys', '--dry-run'])).toEqual(['rotate-keys']);
    // In --help order: the deployment, then the maintenance schedule (issue 12), then the data's own upkeep.
    expect(commandNames).toEqual([
      'test',
      'status',
      'migrate',
      'validate',
      'baseline',
      'repair',
      'sql',
      'verify',
      'cleanup',
      'health',
      'metrics',
      'report',
      'maintain',
      'audit',
      'backup',
      'restore',
      'roles',
      'rotate-keys',
      'import',
      'doctor',
    ]);
  });
});
