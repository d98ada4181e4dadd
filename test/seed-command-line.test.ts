/** The seed's own command line (`-c status`, `-c migrate -d`, `-c migrate`) runs the same commands as the verbs. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { seedCommandLine } from '../src/cli/program.js';
import { runCli } from './support/cli.js';
import { createTestDatabase, engines, type TestDatabase } from './support/databases.js';

describe('-c <command> as a verb', () => {
  it('becomes the command at its place; global options before it are kept', () => {
    expect(seedCommandLine(['-c', 'status'])).toEqual(['status']);
    expect(seedCommandLine(['-c', 'migrate', '-d'])).toEqual(['migrate', '-d']);
    expect(seedCommandLine(['-s', 'postgres://h/db', '-c', 'migrate', '--json'])).toEqual(['-s', 'postgres://h/db', 'migrate', '--json']);
    expect(seedCommandLine(['--config', 'x.json', '--command=verify'])).toEqual(['--config', 'x.json', 'verify']);
    expect(seedCommandLine(['-cstatus'])).toEqual(['status']);
    expect(seedCommandLine(['status', '--json'])).toEqual(['status', '--json']);
    expect(seedCommandLine(['sql', '--', '-c', 'x'])).toEqual(['sql', '--', '-c', 'x']);
  });

  it('refuses a missing, unknown or second command, and says where the config file went', () => {
    expect(() => seedCommandLine(['-c'])).toThrow(/-c needs a command name/);
    expect(() => seedCommandLine(['-c', '--json'])).toThrow(/-c needs a command name/);
    expect(() => seedCommandLine(['-c', 'statsu'])).toThrow(/unknown command "statsu"/);
    expect(() => seedCommandLine(['-c', 'conf/ecliptix.config.json', 'status'])).toThrow(
      /the config file is --config conf\/ecliptix.config.json/,
    );
    // Once `migrate -c prod.json` chose the config file: now refused, never ignored (it would run against another database).
    expect(() => seedCommandLine(['migrate', '-c', 'prod.json'])).toThrow(/-c names the command and goes before it.*--config <file>/);
    expect(() => seedCommandLine(['-s', 'postgres://h/db', 'status', '--command=migrate'])).toThrow(/--command names the command/);
    expect(() => seedCommandLine(['-c', 'status', '-c', 'migrate'])).toThrow(/-c names the command and goes before it/);
    expect(() => seedCommandLine(['status', '-cprod.json'])).toThrow(/-c names the command/);
  });
});

describe.each(engines)("the seed's deployment steps on %s", (engine) => {
  let target: TestDatabase;
  beforeEach(async () => {
    target = await createTestDatabase(engine);
  });
  afterEach(async () => {
    await target.drop();
  });

  it('-c migrate -d changes nothing, -c migrate applies, -c status then reports up to date', async () => {
    const dry = await runCli([...target.cliArgs, '-c', 'migrate', '-d', '--json']);
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout).dryRun).toBe(true);
    const pending = JSON.parse((await runCli([...target.cliArgs, '-c', 'status', '--json'])).stdout);
    expect(pending.upToDate).toBe(false);
    expect((await runCli([...target.cliArgs, '-c', 'migrate'])).code).toBe(0);
    const status = await runCli([...target.cliArgs, '-c', 'status', '--json']);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout).upToDate).toBe(true);
    const wrong = await runCli([...target.cliArgs, '-c', 'ecliptix.config.json', 'status']);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('-c names the command now, the config file is --config');
    const late = await runCli([...target.cliArgs, 'migrate', '-c', 'prod.json']);
    expect(late.code).toBe(2);
    expect(late.stderr).toContain('for a config file use --config <file>');
  });
});
