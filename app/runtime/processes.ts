import { systemClock } from '../../ports/clock';
import type { Kafka } from 'kafkajs';
import { allProjections, allReadModels } from '../../projections';
import { sharedProjectionGroup } from '../../projections/runner';
import { registerRebuildMetrics } from '../../projections/registry';
import { DistributedProgress, type EndOffsets } from '../../read-api/distributed-progress';
import { dashboardRouter } from '../../dashboard/router';
import { liveRoutes, pollingPositions } from '../../read-api/live';
import type { Config } from '../config';
import { KafkaBus, startRelay, Topics, fetchTopicOffsets, kafkaClient, type Relay } from '../../infra/kafka';
import { RestartingBus } from '../../infra/bus/restarting-bus';
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
/** How the engine creates the centre topics that are missing. */
export const kafkaTopicSettings = (config: Config): { partitions: number; replicationFactor: number } => ({
  partitions: config.kafkaPartitions,
  replicationFactor: config.kafkaReplicationFactor,
});

/** How the projector's and saga runner's consumers keep their group membership, and how many partitions they handle at once. */
export const kafkaConsumerSettings = (
  config: Config,
): { sessionTimeoutMs: number; heartbeatIntervalMs: number; partitionsConcurrently: number } => ({
  sessionTimeoutMs: config.kafkaSessionTimeoutMs,
  heartbeatIntervalMs: Math.max(500, Math.floor(config.kafkaSessionTimeoutMs / 10)),
  partitionsConcurrently: config.kafkaPartitionsConcurrently,
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
  const { checkpoints, close } = await checkpointsFor(store, config, logger);
  const shutdown = new AbortController();
  const running = relayUntilAborted(store, checkpoints, config, logger, shutdown.signal);
  await untilSignal(logger, async () => {
    shutdown.abort();
    await running;
    await ops.close(1_000);
    await close();
    await store.close();
  });
};

const relayRestartDelayMs = (failures: number): number => Math.min(10_000, 500 * 2 ** Math.min(failures, 5));

/** Resolves after `ms`, or at once when `signal` aborts. */
const pause = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

/**
 * The relay's life in its process, until `signal` aborts: hold the lease (PostgreSQL), publish, and when Kafka or
 * the store stays unreachable past the relay's bounded retries, or the lease is lost (the connection that held it
 * ended: a standby may take over), stop publishing and start over: wait for the lease again, then resume from the
 * checkpoint, skipping what is already in Kafka (`Relay.start` reads the partitions' tails). What a supervisor
 * restarting the process would do, without the process exiting.
 */
const relayUntilAborted = async (
  store: EventStore,
  checkpoints: CheckpointStore,
  config: Config,
  logger: Logger,
  signal: AbortSignal,
): Promise<void> => {
  const aborted = new Promise<'aborted'>((resolve) => {
    if (signal.aborted) resolve('aborted');
    signal.addEventListener('abort', () => {
      resolve('aborted');
    });
  });
  // a function, not the property: TypeScript would keep its narrowing across the awaits
  const stopping = (): boolean => signal.aborted;
  for (let failures = 0; !stopping();) {
    let lease: Lease | undefined;
    let relay: Relay | undefined;
    try {
      lease = await relayLease(store, config, logger, signal);
      if (stopping()) break;
      relay = await startRelay({
        store,
        checkpoints,
        kafka: kafkaFor(config),
        topicPrefix: config.kafkaTopicPrefix,
        topics: kafkaTopicSettings(config),
        batchSize: config.projectionBatch,
        logger,
      });
      logger.info({ after: relay.stats.startedAfter }, 'relay publishing the event store to Kafka');
      const started = Date.now();
      const outcome = await Promise.race([
        relay.done.then(() => 'stopped' as const),
        ...(lease === undefined ? [] : [lease.lost.then(() => 'lost' as const)]),
        aborted,
      ]);
      // a relay that lost its lease may no longer be the only one: stop before a standby starts publishing too
      if (outcome === 'lost') logger.error({}, 'relay lost its lease; stopping, then waiting for it again');
      await relay.stop();
      await relay.done;
      if (Date.now() - started > 60_000) failures = 0;
    } catch (error) {
      if (stopping()) break;
      logger.error({ err: error, delayMs: relayRestartDelayMs(failures) }, 'relay failed; starting it again');
      await relay?.stop().catch(() => undefined);
    } finally {
      await lease?.release();
    }
    if (stopping()) break;
    await pause(relayRestartDelayMs(failures), signal);
    failures += 1;
  }
};

/**
 * One active relay per topic prefix on PostgreSQL: a standby waits for the lease and takes over when the holder
 * dies, resuming from the checkpoint and skipping what the holder published after it (the relay reads the
 * partitions' tails at start). Other stores run one relay (SQLite is one machine; EventStoreDB: see the README).
 */
const relayLease = async (
  store: EventStore,
  config: Config,
  logger: Logger,
  signal: AbortSignal,
): Promise<Lease | undefined> => {
  if (!(store instanceof PgEventStore) || config.postgresUrl === undefined) return undefined;
  const name = relayCheckpointName(config);
  const lease = await pgLeases({ url: config.postgresUrl }).acquire(name, {
    signal,
    onWaiting: () => {
      logger.info({ lease: name }, 'relay standby: another relay holds the lease; waiting to take over');
    },
  });
  logger.info({ lease: name }, 'relay holds the lease');
  return lease;
};

const projectorGroupPrefix = (config: Config): string => `${config.kafkaTopicPrefix}projection`;

/** The consumer groups projectors read through, as PROJECTOR_GROUPS says (the command API sheds by their lag). */
export const projectorGroups = (config: Config): readonly string[] =>
  config.projectorGroups === 'shared'
    ? [sharedProjectionGroup(projectorGroupPrefix(config))]
    : allReadModels.map((model) => `${projectorGroupPrefix(config)}:${model.name}`);

export const runProjector = async (config: Config, logger: Logger): Promise<void> => {
  const readStore = await openReadStore(config, logger);
  // a consumer that fails (Kafka or the read store unreachable for longer than their retries) starts again
  const bus = new RestartingBus(
    new KafkaBus({
      kafka: kafkaFor(config),
      topicPrefix: config.kafkaTopicPrefix,
      clientId: 'commerce-projector',
      logger,
      topics: kafkaTopicSettings(config),
      ...kafkaConsumerSettings(config),
    }),
    { logger },
  );
  const metrics = createMetrics();
  const runner = await startReadModels({
    bus,
    readStore,
    logger,
    metrics,
    config,
    groupPrefix: projectorGroupPrefix(config),
    sharedGroup: config.projectorGroups === 'shared',
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
