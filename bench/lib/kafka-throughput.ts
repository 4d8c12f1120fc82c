import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { logLevel, type Kafka } from 'kafkajs';
import { loadConfig } from '../../app/config';
import { kafkaConsumerSettings } from '../../app/runtime/processes';
import type * as CodecModule from '../../infra/kafka/codec';
import type * as KafkaBusModule from '../../infra/kafka/kafka-bus';
import type * as RelayModule from '../../infra/kafka/relay';
import type * as SqliteEventStoreModule from '../../infra/sqlite/sqlite-event-store';
import { Topics } from '../../infra/kafka/topics';
import type { NewEvent, RecordedEvent } from '../../ports/event-store';
import { kafkaFromEnv, withTimeout } from '../../tools/services/clients';
import { compiledModule } from './engine';
import { progress } from './report';

/**
 * Relay + KafkaBus consumer throughput on the local broker, next to raw kafkajs doing the same work in the same run:
 * a producer sending the same messages (the relay's key, value and header) in the same batch size (acks from all
 * replicas), and a plain consumer group reading them back and parsing each value. The relay, the consumer and the
 * store run compiled, and the consumer with the settings the projector and saga runner get by default, as the
 * engine's processes run them.
 */
export interface KafkaThroughput {
  readonly events: number;
  readonly batchSize: number;
  readonly relayPerSecond: number;
  readonly consumePerSecond: number;
  /** relay and consumer back to back: what a projector sees of a burst */
  readonly relayPlusConsumePerSecond: number;
  readonly rawProducePerSecond: number;
  readonly rawConsumePerSecond: number;
}

const anEvent = (streamId: string, index: number): NewEvent => {
  const commandId = randomUUID();
  return {
    eventId: randomUUID(),
    type: 'OrderPlaced.v1',
    data: {
      orderId: streamId,
      index,
      total: { minor: 1250 + index, currency: 'EUR' },
      lines: [{ sku: 'SKU-1', quantity: 2 }],
    },
    metadata: {
      commandId,
      causationId: commandId,
      correlationId: streamId,
      timestamp: new Date().toISOString(),
      schemaVersion: 1,
    },
  };
};

const rateOf = (events: number, ms: number): number => (events * 1000) / Math.max(ms, 1);

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};

/** Per-figure medians of several runs (a shared 2-core machine scatters single runs by ±30 %). */
export const medianThroughput = (runs: readonly KafkaThroughput[]): KafkaThroughput => {
  const first = runs[0];
  if (first === undefined) throw new RangeError('no runs');
  const of = (pick: (run: KafkaThroughput) => number): number => median(runs.map(pick));
  return {
    events: first.events,
    batchSize: first.batchSize,
    relayPerSecond: of((r) => r.relayPerSecond),
    consumePerSecond: of((r) => r.consumePerSecond),
    relayPlusConsumePerSecond: of((r) => r.relayPlusConsumePerSecond),
    rawProducePerSecond: of((r) => r.rawProducePerSecond),
    rawConsumePerSecond: of((r) => r.rawConsumePerSecond),
  };
};

export const benchKafka = async (events: number, batchSize = 500, streams = 1_000): Promise<KafkaThroughput> => {
  const { KafkaBus } = compiledModule('infra/kafka/kafka-bus') as typeof KafkaBusModule;
  const { encodeEvent } = compiledModule('infra/kafka/codec') as typeof CodecModule;
  const { startRelay } = compiledModule('infra/kafka/relay') as typeof RelayModule;
  const { openSqliteEventStore } = compiledModule('infra/sqlite/sqlite-event-store') as typeof SqliteEventStoreModule;
  const kafka: Kafka = kafkaFromEnv({ clientId: 'bench-kafka', logLevel: logLevel.ERROR });
  const admin = kafka.admin();
  await withTimeout(admin.connect(), 15_000, 'admin connect');
  const prefix = `bench-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}.`;
  const topics = new Topics(prefix);
  const rawTopic = `${prefix}raw`;
  const dir = mkdtempSync(join(tmpdir(), 'commerce-bench-kafka-'));
  const store = openSqliteEventStore({ path: join(dir, 'events.db') });
  try {
    progress(`kafka: appending ${events} events over ${streams} streams`);
    const per = Math.ceil(events / streams);
    for (let r = 0; r < per; r++) {
      await Promise.all(
        Array.from({ length: streams }, (_, s) =>
          r * streams + s < events
            ? store.append(`order-k${s}`, [anEvent(`order-k${s}`, r)], r === 0 ? 'no_stream' : r - 1)
            : Promise.resolve(undefined),
        ),
      );
    }
    const recorded: RecordedEvent[] = [];
    for (;;) {
      const page = await store.readAll({ after: recorded.at(-1)?.position ?? 0, maxCount: 5_000 });
      if (page.length === 0) break;
      recorded.push(...page);
    }

    progress('kafka: raw kafkajs producer (baseline)');
    await admin.createTopics({
      topics: [{ topic: rawTopic, numPartitions: 6, replicationFactor: 1 }],
      waitForLeaders: true,
    });
    const producer = kafka.producer();
    await producer.connect();
    const produceStarted = performance.now();
    for (let i = 0; i < recorded.length; i += batchSize) {
      await producer.send({
        topic: rawTopic,
        acks: -1,
        // the relay's messages (key, JSON value, type header), partitioned by kafkajs's own default partitioner
        messages: recorded.slice(i, i + batchSize).map(encodeEvent),
      });
    }
    const rawProducePerSecond = rateOf(recorded.length, performance.now() - produceStarted);
    await producer.disconnect();

    progress('kafka: raw kafkajs consumer (baseline)');
    const rawConsumer = kafka.consumer({
      groupId: `bench-raw-${randomBytes(4).toString('hex')}`,
      maxWaitTimeInMs: 100,
    });
    await rawConsumer.connect();
    await rawConsumer.subscribe({ topic: rawTopic, fromBeginning: true });
    const consumeStarted = performance.now();
    let rawSeen = 0;
    await new Promise<void>((done, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`raw consumer saw ${rawSeen}/${recorded.length} in 120 s`));
      }, 120_000);
      void rawConsumer
        .run({
          eachBatch: ({ batch }) => {
            // parse like a real consumer does
            for (const m of batch.messages) if (m.value !== null) JSON.parse(m.value.toString('utf8'));
            rawSeen += batch.messages.length;
            if (rawSeen >= recorded.length) {
              clearTimeout(timer);
              done();
            }
            return Promise.resolve();
          },
        })
        .catch(reject);
    });
    const rawConsumePerSecond = rateOf(rawSeen, performance.now() - consumeStarted);
    await withTimeout(rawConsumer.disconnect(), 30_000, 'raw consumer disconnect').catch(() => undefined);

    progress(`kafka: relay, batch ${batchSize}`);
    const relay = await withTimeout(
      startRelay({ kafka, store, checkpoints: store.checkpointStore(), topicPrefix: topics.prefix, batchSize }),
      30_000,
      'starting the relay',
    );
    const relayStarted = performance.now();
    try {
      await withTimeout(relay.caughtUp, 180_000, 'relay catch-up');
    } finally {
      await withTimeout(relay.stop(), 30_000, 'stopping the relay');
    }
    const relayMs = performance.now() - relayStarted;

    progress(`kafka: KafkaBus consumer, maxBatch ${batchSize}`);
    const { partitionsConcurrently } = kafkaConsumerSettings(loadConfig({}));
    const bus = new KafkaBus({ kafka, topicPrefix: topics.prefix, partitionsConcurrently });
    let received = 0;
    let consumeMs = 0;
    try {
      const started = performance.now();
      const consumer = await withTimeout(
        bus.consume({ group: `bench-bus-${randomBytes(4).toString('hex')}`, maxBatch: batchSize }, (batch) => {
          received += batch.length;
          return Promise.resolve();
        }),
        30_000,
        'consume',
      );
      await withTimeout(consumer.caughtUp, 180_000, 'consumer catch-up');
      consumeMs = performance.now() - started;
    } finally {
      await withTimeout(bus.close(), 30_000, 'closing the bus').catch(() => undefined);
    }
    if (received < recorded.length) throw new Error(`consumer saw ${received}/${recorded.length} events`);
    return {
      events: recorded.length,
      batchSize,
      relayPerSecond: rateOf(relay.stats.eventsPublished, relayMs),
      consumePerSecond: rateOf(received, consumeMs),
      relayPlusConsumePerSecond: rateOf(recorded.length, relayMs + consumeMs),
      rawProducePerSecond,
      rawConsumePerSecond,
    };
  } finally {
    await store.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    const present = new Set(await admin.listTopics().catch(() => []));
    const ours = [...topics.all, rawTopic].filter((t) => present.has(t));
    if (ours.length > 0)
      await withTimeout(admin.deleteTopics({ topics: ours, timeout: 10_000 }), 15_000, 'deleting topics').catch(
        () => undefined,
      );
    await withTimeout(admin.disconnect(), 10_000, 'admin disconnect').catch(() => undefined);
  }
};
