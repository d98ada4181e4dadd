#!/usr/bin/env node
/** Entry point of the `ecliptix-persistor` binary: runs one command and maps its outcome to an exit code. */
import { CommanderError } from 'commander';
import { ExitCode, isPersistorError } from '../errors.js';
import { createCliContext } from './context.js';
import { buildProgram, seedCommandLine, version } from './program.js';

// `ecliptix-persistor sql | head` closes the pipe early: that is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});

async function main(argv: readonly string[]): Promise<number> {
  // Not commander's .version(): `baseline --version <v>` needs the flag for itself.
  if (argv[2] === '-V' || argv[2] === '--version') {
    process.stdout.write(`${version}\n`);
    return ExitCode.success;
  }
  const cli = createCliContext();
  try {
    const args = seedCommandLine(argv.slice(2));
    const program = await buildProgram(cli, args);
    program.exitOverride();
    for (const command of program.commands) command.exitOverride();
    if (args.length === 0) {
      program.outputHelp();
      return ExitCode.invalidArguments;
    }
    await program.parseAsync(args, { from: 'user' });
    return ExitCode.success;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and --version are not errors; commander has already printed its message.
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help')
        return ExitCode.success;
      return ExitCode.invalidArguments;
    }
    cli.output.error(error);
    if (isPersistorError(error)) return error.exitCode;
    if (process.env.ECLIPTIX_DEBUG) process.stderr.write(`${(error as Error).stack ?? ''}\n`);
    return ExitCode.general;
  }
}

const exitCode = await main(process.argv);
// Let stdout drain before exiting (large --json documents on a pipe).
process.exitCode = exitCode;
