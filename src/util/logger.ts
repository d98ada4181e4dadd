/** Diagnostics go to stderr as JSON lines (pino); human output goes to stdout through the CLI's Output. */
import { pino, type Logger } from 'pino';

export type LogLevel = 'silent' | 'error' | 'warn' | 'info' | 'debug';

export function createLogger(level: LogLevel): Logger {
  return pino(
    {
      level,
      base: undefined,
      // Defence in depth: the code never logs these, and if it ever did they would be masked.
      redact: { paths: ['databaseUrl', 'password', '*.password', '*.databaseUrl'], censor: '****' },
    },
    pino.destination({ dest: 2, sync: true }),
  );
}

export const silentLogger: Logger = pino({ level: 'silent' });
export type { Logger };
