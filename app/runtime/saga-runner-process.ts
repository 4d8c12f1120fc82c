import { loadSagaSettings } from '../../commands/sagas/config';
import { startSagaService } from '../../commands/sagas/service';
import { paymentProviderFor } from './payment-provider';
import { openDeadLetterStore, openSagaStateStore, sharedSagaStores } from './saga-stores';
import { EmbeddedBus } from '../../infra/bus/embedded-bus';
import { liveSagaRetryers } from '../dead-letters/retryers';
import { deadLetterApi } from '../dead-letters/routes';
import { KafkaBus } from '../../infra/kafka';
import { RestartingBus } from '../../infra/bus/restarting-bus';
import type { Config } from '../config';
import type { Logger } from '../../ports/logger';
import { createMetrics } from '../../infra/observability/metrics';
import type { PaymentProvider } from '../../ports/payment-provider';
import { systemClock } from '../../ports/clock';
import type { EventStore } from '../../ports/event-store';
import type { MessageBus } from '../../ports/message-bus';
import { SqliteEventStore } from '../../infra/sqlite/sqlite-event-store';
import { PgEventStore } from '../../infra/postgres/pg-event-store';
import { openEventStore } from './event-store';
import { untilSignal } from './lifecycle';
import { startHttpServer } from './http-server';
import { commandHandlerFor } from './api-parts';
import { kafkaConsumerSettings, kafkaTopicSettings } from './processes';

/** Builds the message bus the saga runner consumes (consumer group `saga-runner`). */
export type BusFactory = (config: Config, store: EventStore, logger: Logger) => Promise<MessageBus>;

/** The bus by configuration: Kafka consumer group `<prefix>saga-runner`, or the SQLite store's global log. */
export const defaultBusFactory: BusFactory = (config, store, logger) => {
  if (config.bus === 'kafka') {
    // a consumer that fails (Kafka or the event store unreachable for longer than their retries) starts again
    return Promise.resolve(
      new RestartingBus(
        new KafkaBus({
          brokers: config.kafkaBrokers,
          topicPrefix: config.kafkaTopicPrefix,
          clientId: 'commerce-saga-runner',
          logger,
          topics: kafkaTopicSettings(config),
          ...kafkaConsumerSettings(config),
        }),
        { logger },
      ),
    );
  }
  if (!(store instanceof SqliteEventStore) && !(store instanceof PgEventStore)) {
    return Promise.reject(
      new Error('BUS=embedded needs EVENT_STORE=sqlite or postgres (its checkpoints live in the store)'),
    );
  }
  return Promise.resolve(new EmbeddedBus(store, store.checkpointStore()));
};

export interface SagaRunnerProcessOptions {
  /** the bus factory: the marked place to plug Kafka in */
  readonly bus?: BusFactory;
  readonly provider?: PaymentProvider;
}

/**
 * `commerce saga-runner`: the saga runner and its scheduler as their own process (distributed mode). Saga state
 * lives in the event store; timers, the dispatch log and dead letters beside it (app/runtime/saga-stores.ts): on
 * PostgreSQL in tables every runner of the consumer group shares, so runners scale out and take over from each
 * other; otherwise in SQLite files under DATA_DIR, which allow one runner with its own persistent disk.
 */
export const runSagaRunner = async (
  config: Config,
  logger: Logger,
  options: SagaRunnerProcessOptions = {},
): Promise<void> => {
  const settings = loadSagaSettings(process.env, {
    dataDir: config.dataDir,
    inMemory: config.sqlitePath === ':memory:',
  });
  const store = await openEventStore(config, logger);
  let bus: MessageBus;
  try {
    bus = await (options.bus ?? defaultBusFactory)(config, store, logger);
  } catch (error) {
    await store.close();
    throw error;
  }
  const metrics = createMetrics();
  const state = await openSagaStateStore(config, settings);
  const deadLetters = await openDeadLetterStore(config, settings, systemClock);
  const sagas = await startSagaService({
    bus,
    store,
    handler: commandHandlerFor(store, systemClock, metrics, config),
    clock: systemClock,
    logger,
    settings,
    state,
    deadLetters,
    provider: options.provider ?? paymentProviderFor(settings, settings.paymentProvider.url),
    ...(config.bus === 'kafka' ? { group: `${config.kafkaTopicPrefix}saga-runner` } : {}),
    registry: metrics.registry,
  });
  logger.info(
    {
      bus: config.bus,
      eventStore: config.eventStore,
      sagaState: sharedSagaStores(config) ? 'postgres (shared)' : 'sqlite (this runner)',
      paymentProvider: settings.paymentProvider.url ?? 'in-process simulator',
      paymentTimeoutMs: settings.paymentTimeoutMs,
    },
    'saga runner started',
  );
  // health and metrics; the listening server also keeps the process alive (the scheduler's timer is unref'd)
  // it serves /v1/dead-letters: the letters of its store (the group's, on PostgreSQL), retried by its runner
  const ops = await startHttpServer({
    config,
    logger,
    metrics,
    title: 'Commerce engine saga runner API',
    parts: [deadLetterApi({ deadLetters, retryers: liveSagaRetryers(() => sagas.runner) })],
  });
  logger.info({ url: ops.url }, 'health, metrics and dead letters listening');
  await untilSignal(logger, async () => {
    await ops.close(1_000);
    await sagas.stop(config.shutdownGraceMs);
    await bus.close();
    await store.close();
    await state.close();
    await deadLetters.close();
  });
};
