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
import { pgLeases } from '../../infra/postgres/pg-lease';
import type { Lease } from '../../ports/lease';
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

/** A consumer's session timeout, and heartbeats at a tenth of it (kafkajs wants them well inside it). */
export const kafkaGroupTimeouts = (config: Config): { sessionTimeoutMs: number; heartbeatIntervalMs: number } => ({
  sessionTimeoutMs: config.kafkaSessionTimeoutMs,
  heartbeatIntervalMs: Math.max(500, Math.floor(config.kafkaSessionTimeoutMs / 10)),
});

export const kafkaFor = (config: Config): Kafka => {
  if (config.kafkaBrokers.length === 0) throw new Error('KAFKA_BROKERS is required for this process');
  return kafkaClient({ brokers: config.kafkaBrokers }, 'commerce-engine');
};

export const runRelay = async (config: Config, logger: Logger): Promise<void> => {
  const store = await openEventStore(config, logger);
  const metrics = createMetrics();
  // health and metrics answer while a standby waits for the lease
  const ops = await startHttpServer({ config, logger, metrics, title: 'Commerce engine relay' });
  const lease = await relayLease(store, config, logger);
  const { checkpoints, close } = await checkpointsFor(store, config, logger);
  const relay = await startRelay({
    store,
    checkpoints,
    kafka: kafkaFor(config),
    topicPrefix: config.kafkaTopicPrefix,
    batchSize: config.projectionBatch,
    logger,
  });
  logger.info({ after: relay.stats.startedAfter, url: ops.url }, 'relay publishing the event store to Kafka');
  const stopWith = (message: string, error?: unknown): void => {
    logger.error({ err: error }, message);
    process.exitCode = 1;
    process.kill(process.pid, 'SIGTERM');
  };
  const failed = relay.done.then(
    () => undefined,
    (error: unknown) => {
      stopWith('relay failed', error);
    },
  );
  let stopping = false;
  // a relay that lost its lease may no longer be the only one: stop before a standby starts publishing too
  void lease?.lost.then(() => {
    if (!stopping) stopWith('relay lost its lease; stopping');
  });
  await untilSignal(logger, async () => {
    stopping = true;
    await relay.stop();
    await failed;
    await lease?.release();
    await ops.close(1_000);
    await close();
    await store.close();
  });
};

/**
 * One active relay per topic prefix on PostgreSQL: a standby waits for the lease and takes over when the holder
 * dies, resuming from the checkpoint and skipping what the holder published after it (the relay reads the
 * partitions' tails at start). Other stores run one relay (SQLite is one machine; EventStoreDB: see the README).
 */
const relayLease = async (store: EventStore, config: Config, logger: Logger): Promise<Lease | undefined> => {
  if (!(store instanceof PgEventStore) || config.postgresUrl === undefined) return undefined;
  const name = relayCheckpointName(config);
  const lease = await pgLeases({ url: config.postgresUrl }).acquire(name, {
    onWaiting: () => {
      logger.info({ lease: name }, 'relay standby: another relay holds the lease; waiting to take over');
    },
  });
  logger.info({ lease: name }, 'relay holds the lease');
  return lease;
};

export const runProjector = async (config: Config, logger: Logger): Promise<void> => {
  const readStore = await openReadStore(config, logger);
  const bus = new KafkaBus({
    kafka: kafkaFor(config),
    topicPrefix: config.kafkaTopicPrefix,
    clientId: 'commerce-projector',
    logger,
    ...kafkaGroupTimeouts(config),
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
