import { systemClock } from '../../ports/clock';
import type { Kafka } from 'kafkajs';
import { allProjections, allReadModels } from '../../projections';
import { registerRebuildMetrics } from '../../projections/registry';
import { DistributedProgress, type EndOffsets } from '../../read-api/distributed-progress';
import { dashboardRouter } from '../../dashboard/router';
import { liveRoutes, pollingPositions } from '../../read-api/live';
import type { Config } from '../config';
import { KafkaBus, startRelay, Topics, fetchTopicOffsets, kafkaClient } from '../../infra/kafka';
import type { Logger } from '../../ports/logger';
import { createMetrics } from '../../infra/observability/metrics';
import type { CheckpointStore, EventStore } from '../../ports/event-store';
import type { ReadStore } from '../../ports/read-store';
import { SqliteEventStore } from '../../infra/sqlite/sqlite-event-store';
import { PgEventStore } from '../../infra/postgres/pg-event-store';
import { ReadStoreCheckpointStore } from './checkpoints';
import { openEventStore } from './event-store';
import { readApi, startReadModels } from './api-parts';
import { startHttpServer } from './http-server';
import { untilSignal } from './lifecycle';
import { openReadStore } from './read-store';

/** Distributed mode: each process of the engine as a CLI subcommand (see docker-compose.yml). */

const relayCheckpointName = (config: Config): string => `relay:${config.kafkaTopicPrefix}`;

/** SQLite and PostgreSQL keep checkpoints next to the events; EventStoreDB deployments keep them in the read store. */
const checkpointsFor = async (
  store: EventStore,
  config: Config,
  logger: Logger,
): Promise<{ checkpoints: CheckpointStore; close: () => Promise<void> }> => {
  if (store instanceof SqliteEventStore || store instanceof PgEventStore)
    return { checkpoints: store.checkpointStore(), close: () => Promise.resolve() };
  const readStore = await openReadStore(config, logger);
  return { checkpoints: new ReadStoreCheckpointStore(readStore), close: () => readStore.close() };
};

export const kafkaFor = (config: Config): Kafka => {
  if (config.kafkaBrokers.length === 0) throw new Error('KAFKA_BROKERS is required for this process');
  return kafkaClient({ brokers: config.kafkaBrokers }, 'commerce-engine');
};

export const runRelay = async (config: Config, logger: Logger): Promise<void> => {
  const store = await openEventStore(config, logger);
  const { checkpoints, close } = await checkpointsFor(store, config, logger);
  const metrics = createMetrics();
  const relay = await startRelay({
    store,
    checkpoints,
    kafka: kafkaFor(config),
    topicPrefix: config.kafkaTopicPrefix,
    batchSize: config.projectionBatch,
    logger,
  });
  const ops = await startHttpServer({ config, logger, metrics, title: 'Commerce engine relay' });
  logger.info({ after: relay.stats.startedAfter, url: ops.url }, 'relay publishing the event store to Kafka');
  const failed = relay.done.then(
    () => undefined,
    (error: unknown) => {
      logger.error({ err: error }, 'relay failed');
      process.exitCode = 1;
      process.kill(process.pid, 'SIGTERM');
    },
  );
  await untilSignal(logger, async () => {
    await relay.stop();
    await failed;
    await ops.close(1_000);
    await close();
    await store.close();
  });
};

export const runProjector = async (config: Config, logger: Logger): Promise<void> => {
  const readStore = await openReadStore(config, logger);
  const bus = new KafkaBus({
    kafka: kafkaFor(config),
    topicPrefix: config.kafkaTopicPrefix,
    clientId: 'commerce-projector',
    logger,
  });
  const metrics = createMetrics();
  const runner = await startReadModels({
    bus,
    readStore,
    logger,
    metrics,
    config,
    groupPrefix: `${config.kafkaTopicPrefix}projection`,
  });
  const ops = await startHttpServer({ config, logger, metrics, title: 'Commerce engine projector' });
  logger.info({ projections: allReadModels.map((p) => p.name), url: ops.url }, 'projector consuming');
  await untilSignal(logger, async () => {
    await runner.stop();
    await bus.close();
    await ops.close(1_000);
    await readStore.close();
  });
};

const kafkaEndOffsets = (kafka: Kafka, prefix: string): { endOffsets: EndOffsets; close: () => Promise<void> } => {
  const admin = kafka.admin();
  const connected = admin.connect();
  const topics = new Topics(prefix);
  return {
    endOffsets: async () => {
      await connected;
      const out = new Map<string, number>();
      for (const topic of topics.all) {
        for (const p of await fetchTopicOffsets(admin, topic)) out.set(`${topic}/${p.partition}`, Number(p.high));
      }
      return out;
    },
    close: () => admin.disconnect(),
  };
};

export const runReadApi = async (config: Config, logger: Logger): Promise<void> => {
  const readStore: ReadStore = await openReadStore(config, logger);
  const store = await openEventStore(config, logger);
  const { checkpoints, close } = await checkpointsFor(store, config, logger);
  const offsets = kafkaEndOffsets(kafkaFor(config), config.kafkaTopicPrefix);
  const metrics = createMetrics();
  registerRebuildMetrics(metrics.registry, readStore, allReadModels);
  const progress = new DistributedProgress({
    readStore,
    checkpoints,
    relayCheckpoint: relayCheckpointName(config),
    endOffsets: offsets.endOffsets,
    projections: allProjections,
  });
  const liveShutdown = new AbortController();
  const server = await startHttpServer({
    config,
    logger,
    metrics,
    title: 'Commerce engine read API',
    parts: [
      readApi(readStore, store, progress, config, systemClock),
      {
        router: liveRoutes({
          ...pollingPositions(
            progress,
            allProjections.map((p) => p.name),
          ),
          signal: liveShutdown.signal,
        }),
        operations: [],
      },
    ],
    root: [dashboardRouter()],
    ready: async () => {
      await readStore.count('checkpoints');
      return true;
    },
  });
  logger.info({ url: server.url }, 'read API listening');
  await untilSignal(logger, async () => {
    // live streams end first, or they hold the close for the whole grace period
    liveShutdown.abort();
    await server.close(config.shutdownGraceMs);
    await offsets.close();
    await close();
    await store.close();
    await readStore.close();
  });
};
