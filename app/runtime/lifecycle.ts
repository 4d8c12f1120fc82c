import type { Logger } from '../../ports/logger';

/**
 * Runs until SIGTERM/SIGINT, then calls `shutdown` once (in-flight work drains there) and resolves.
 * A second signal during shutdown is ignored: the grace period is bounded by the caller.
 */
export const untilSignal = (logger: Logger, shutdown: (signal: string) => Promise<void>): Promise<void> =>
  new Promise<void>((resolve, reject) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'shutting down');
      shutdown(signal).then(() => {
        logger.info('stopped');
        resolve();
      }, reject);
    };
    process.once('SIGTERM', () => {
      stop('SIGTERM');
    });
    process.once('SIGINT', () => {
      stop('SIGINT');
    });
  });
