import type { Config } from '../config';
import type { Logger } from '../../ports/logger';
import { createMetrics } from '../../infra/observability/metrics';
import { systemClock } from '../../ports/clock';
import { openEventStore } from './event-store';
import { startHttpServer } from './http-server';
import { commandApi, commandHandlerFor, seedConfiguredChannels } from './api-parts';
import { untilSignal } from './lifecycle';
import { startFlowControl } from './flow';
import type { Backlog } from '../../http/flow/pressure';
import { kafkaFor, projectorGroups } from './processes';
import { SlowestGroupBacklog, Topics } from '../../infra/kafka';

/**
 * The backlog a command API of its own sheds by (BUS=kafka): the lag of the slowest consumer group, the saga runner's
 * or a projector's, over every centre topic, in messages and in time (how long ago the oldest message a group has
 * not committed was produced, to a step of `LAG_STEPS_MS`), so `maxLagMs` holds as in the embedded engine. Without
 * Kafka there is no consumer to read, and the event-loop delay is the only signal. One reading asks the broker for
 * every topic's watermarks and every group's offsets, and twice for offsets by time while messages wait (about
 * fifty requests), so it is read once a second, not with every sample of the event loop's delay.
 */
const KAFKA_BACKLOG_EVERY_MS = 1_000;

const consumerLag = (config: Config): { backlog: () => Promise<Backlog | undefined>; close: () => Promise<void> } => {
  const admin = kafkaFor(config).admin();
  const connected = admin.connect();
  // a broker that cannot be reached fails each sample (the sampler keeps the last backlog), not the process
  connected.catch(() => undefined);
  const prefix = config.kafkaTopicPrefix;
  const backlog = new SlowestGroupBacklog(
    admin,
    [`${prefix}saga-runner`, ...projectorGroups(config)],
    new Topics(prefix).all,
  );
  return {
    backlog: async () => {
      await connected;
      // messages, not events: close enough to shed by (maxBacklog)
      return backlog.read();
    },
    close: () => admin.disconnect(),
  };
};

/** Runs the command API until SIGTERM/SIGINT, then drains in-flight requests and closes the store. */
export const runCommandApi = async (config: Config, logger: Logger, mode: string): Promise<void> => {
  const store = await openEventStore(config, logger);
  const metrics = createMetrics();
  const handler = commandHandlerFor(store, systemClock, metrics, config);
  await seedConfiguredChannels(handler, config, systemClock, logger);
  const lag = config.bus === 'kafka' && config.flowRules !== undefined ? consumerLag(config) : undefined;
  const flow = startFlowControl(
    config,
    metrics,
    lag?.backlog ?? (() => Promise.resolve(undefined)),
    systemClock,
    undefined,
    KAFKA_BACKLOG_EVERY_MS,
  );
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
    await lag?.close();
    await store.close();
  });
};
