/** Turns the parsed global flags into configuration, output and a logger for one command. */
import type { Command } from 'commander';
import { loadConfig } from '../config/load.js';
import type { Config, ConfigKey } from '../config/schema.js';
import { createLogger, silentLogger, type Logger } from '../util/logger.js';
import { createOutput, type Output } from './output.js';

/** The global options as commander hands them over. */
export interface GlobalFlags {
  databaseUrl?: string;
  dataDir?: string;
  config?: string;
  migrations?: string;
  connectTimeout?: string;
  lockTimeout?: string;
  logLevel?: string;
  verbose?: boolean;
  json?: boolean;
}

/** What every command line shares: configuration loading, the logger and the output. */
export interface CliContext {
  prepare(command: Command): { config: Config; output: Output };
  readonly logger: Logger;
  /** The output of the command being run (for error reporting). */
  readonly output: Output;
}

/** The context of one CLI run; `prepare` loads the configuration and switches output to JSON for `--json`. */
export function createCliContext(): CliContext {
  let logger: Logger = silentLogger;
  let output = createOutput({ json: process.argv.includes('--json') });
  return {
    get logger() {
      return logger;
    },
    get output() {
      return output;
    },
    prepare(command) {
      const flags = command.optsWithGlobals<GlobalFlags>();
      output = createOutput({ json: flags.json === true });
      const configFlags: Partial<Record<ConfigKey, unknown>> = {
        databaseUrl: flags.databaseUrl,
        dataDir: flags.dataDir,
        migrationsDir: flags.migrations,
        connectTimeoutMs: flags.connectTimeout,
        lockTimeoutMs: flags.lockTimeout,
        logLevel: flags.verbose ? 'debug' : flags.logLevel,
      };
      const { config } = loadConfig({ flags: configFlags, ...(flags.config ? { configFile: flags.config } : {}) });
      logger = createLogger(config.logLevel);
      return { config, output };
    },
  };
}
