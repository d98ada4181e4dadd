/**
 * For the CLI's long, batched commands: Ctrl-C (SIGINT, or SIGTERM) asks the
 * run to stop after the current batch; a second one on a server stops at once
 * (the server rolls the open batch back).
 */
import { ExitCode } from '../errors.js';

/** Ctrl-C handling for a long run. */
export interface Interruption {
  /** Aborted on the first signal. */
  signal: AbortSignal;
  /** Stops listening for the signals. */
  dispose(): void;
}

/** The first SIGINT/SIGTERM asks the run to stop between batches; a second ends the process at once on a server (the embedded database finishes its batch first). */
export function interruptOnSignals(config: { databaseUrl?: string | undefined }): Interruption {
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (): void => {
    signals++;
    if (signals === 1) {
      process.stderr.write('\nstopping after the current batch (it is committed or rolled back whole)…\n');
      controller.abort();
    } else if (config.databaseUrl) {
      process.stderr.write('stopping now: the current batch is rolled back by the server\n');
      process.exit(ExitCode.general);
    } else {
      // The embedded database lives in this process: it must close cleanly, so the batch is finished first.
      process.stderr.write('still finishing the current batch (the embedded database must close cleanly)…\n');
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
