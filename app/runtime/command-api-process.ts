import { createCommandApi } from './command-api';
import type { Config } from '../config';
import { listen } from '../../http/app';
import type { Logger } from '../../ports/logger';
import { createMetrics } from '../../infra/observability/metrics';
import { systemClock } from '../../ports/clock';
import { openEventStore } from './event-store';

/** Runs the command API until SIGTERM/SIGINT, then drains in-flight requests and closes the store. */
export const runCommandApi = async (config: Config, logger: Logger, mode: string): Promise<void> => {
  const store = await openEventStore(config, logger);
  const metrics = createMetrics();
  let accepting = true;
  const { app } = createCommandApi({ store, clock: systemClock, logger, metrics, config, accepting: () => accepting });
  const running = await listen(app, config.host, config.port);
  if (config.apiKeys.length === 0) {
    logger.warn(
      { host: config.host },
      'NO API KEYS CONFIGURED: the API is open to anyone who can reach this address (allowed only on loopback). Set API_KEYS to secure it.',
    );
  }
  logger.info(
    { mode, url: `http://${config.host}:${running.port}`, eventStore: config.eventStore },
    'command API listening',
  );
  await new Promise<void>((resolve) => {
    const stop = (signal: string): void => {
      if (!accepting) return;
      accepting = false;
      logger.info({ signal }, 'shutting down: finishing in-flight requests');
      void running
        .close(config.shutdownGraceMs)
        .then(() => store.close())
        .then(() => {
          logger.info('stopped');
          resolve();
        });
    };
    process.once('SIGTERM', () => {
      stop('SIGTERM');
    });
    process.once('SIGINT', () => {
      stop('SIGINT');
    });
  });
};
