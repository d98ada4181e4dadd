/** Diagnostics go to stderr as JSON lines (pino); human output goes to stdout through the CLI's Output. */
import { createRequire } from 'node:module';
import type * as Pino from 'pino';

/** How much the diagnostics on stderr say. */
export type LogLevel = 'silent' | 'error' | 'warn' | 'info' | 'debug';

type LogMethod = {
  (message: string): void;
  (fields: object, message?: string): void;
};

/** What the tool logs through; a pino logger (e.g. an application's own) fits it. */
export interface Logger {
  error: LogMethod;
  warn: LogMethod;
  info: LogMethod;
  debug: LogMethod;
}

const severity: Record<Exclude<LogLevel, 'silent'>, number> = { error: 50, warn: 40, info: 30, debug: 20 };

/**
 * A logger at `level` that loads pino on its first message that passes the
 * level: most CLI runs log nothing at the default level (warn), and loading
 * pino is ~20 ms of a run meant to take well under half a second. pino is a
 * CommonJS package, so it can be required synchronously from a log call.
 */
export function createLogger(level: LogLevel): Logger {
  const threshold = level === 'silent' ? Infinity : severity[level];
  let instance: Pino.Logger | undefined;
  const pinoLogger = (): Pino.Logger => {
    if (!instance) {
      const { pino } = createRequire(import.meta.url)('pino') as typeof Pino;
      instance = pino(
        {
          level,
          base: undefined,
          // Defence in depth: the code never logs these, and if it ever did they would be masked.
          redact: { paths: ['databaseUrl', 'password', '*.password', '*.databaseUrl'], censor: '****' },
        },
        pino.destination({ dest: 2, sync: true }),
      );
    }
    return instance;
  };
  const method =
    (name: keyof typeof severity): LogMethod =>
    (first: string | object, message?: string) => {
      if (severity[name] < threshold) return;
      if (typeof first === 'string') pinoLogger()[name](first);
      else pinoLogger()[name](first, message);
    };
  return { error: method('error'), warn: method('warn'), info: method('info'), debug: method('debug') };
}

/** A logger that writes nothing. */
export const silentLogger: Logger = createLogger('silent');
