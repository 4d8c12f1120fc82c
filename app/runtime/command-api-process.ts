import type { Config } from '../config';
import type { Logger } from '../../ports/logger';
import { createMetrics } from '../../infra/observability/metrics';
import { systemClock } from '../../ports/clock';
import { openEventStore } from './event-store';
import { startHttpServer } from './http-server';
import { commandApi, commandHandlerFor } from './api-parts';
import { untilSignal } from './lifecycle';
import { startFlowControl } from './flow';

/** Runs the command API until SIGTERM/SIGINT, then drains in-flight requests and closes the store. */
export const runCommandApi = async (config: Config, logger: Logger, mode: string): Promise<void> => {
  const store = await openEventStore(config, logger);
  const metrics = createMetrics();
  const handler = commandHandlerFor(store, systemClock, metrics, config);
  // no consumer runs here: the event-loop delay is this process's only shedding signal
  const flow = startFlowControl(config, metrics, store, () => undefined);
  const server = await startHttpServer({
    config,
    logger,
    metrics,
    title: 'Commerce engine command API',
    parts: [commandApi(handler, systemClock, () => flow?.flow.control.rules.soldOutFastPath === true)],
    ...(flow ? { flow: flow.flow } : {}),
    ready: async () => {
      await store.headPosition();
      return true;
    },
  });
  logger.info({ mode, url: server.url, eventStore: config.eventStore }, 'command API listening');
  await untilSignal(logger, async () => {
    flow?.stop();
    await server.close(config.shutdownGraceMs);
    await store.close();
  });
};
