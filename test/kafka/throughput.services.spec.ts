import { expect } from 'chai';
import type { Admin, Kafka } from 'kafkajs';
import { KafkaBus } from '../../infra/kafka/kafka-bus';
import { startRelay } from '../../infra/kafka/relay';
import { Topics } from '../../infra/kafka/topics';
import { withTimeout } from '../../tools/services/clients';
import {
  appendInterleaved,
  deleteTopics,
  streamIds,
  tempStore,
  testKafka,
  uniqueGroup,
  uniquePrefix,
  type TempStore,
} from './kafka-test-kit';

/**
 * Throughput of the relay and of one KafkaBus consumer on the local single-node broker. Printed, never asserted:
 * the numbers depend on the machine (speed targets belong in `npm run bench`). Only the counts are checked.
 */
const total = 50_000;
const streams = 1_000;

const rate = (events: number, ms: number): string =>
  `${Math.round((events * 1000) / Math.max(ms, 1)).toLocaleString('en-US')} events/s (${events} in ${ms} ms)`;

describe('Kafka throughput with 50,000 events (printed, not asserted)', () => {
  let kafka: Kafka;
  let admin: Admin;
  let temp: TempStore;
  const created: Topics[] = [];

  before(async () => {
    kafka = testKafka('throughput');
    admin = kafka.admin();
    await withTimeout(admin.connect(), 15_000, 'admin connect');
    temp = tempStore();
    await appendInterleaved(temp.store, streamIds(streams, 'tp'), total / streams, 10);
    expect(await temp.store.headPosition()).to.equal(total);
  });

  after(async () => {
    await temp.dispose();
    for (const topics of created) await deleteTopics(admin, topics.all);
    await withTimeout(admin.disconnect(), 10_000, 'admin disconnect').catch(() => undefined);
  });

  for (const batchSize of [500, 2_000]) {
    it(`relays and consumes them in batches of ${batchSize}`, async () => {
      const topics = new Topics(uniquePrefix(`tp${batchSize}`));
      created.push(topics);
      const relay = await withTimeout(
        startRelay({
          kafka,
          store: temp.store,
          checkpoints: temp.store.checkpointStore(),
          topicPrefix: topics.prefix,
          batchSize,
        }),
        30_000,
        'starting the relay',
      );
      const relayStarted = Date.now();
      try {
        await withTimeout(relay.caughtUp, 120_000, 'relay catch-up');
      } finally {
        await withTimeout(relay.stop(), 30_000, 'stopping the relay');
      }
      const relayMs = Date.now() - relayStarted;
      expect(relay.stats.eventsPublished).to.equal(total);

      const bus = new KafkaBus({ kafka, topicPrefix: topics.prefix });
      let received = 0;
      try {
        const consumeStarted = Date.now();
        const consumer = await withTimeout(
          bus.consume({ group: uniqueGroup('tp'), maxBatch: batchSize }, (batch) => {
            received += batch.length;
            return Promise.resolve();
          }),
          30_000,
          'consume',
        );
        await withTimeout(consumer.caughtUp, 120_000, 'consumer catch-up');
        const consumeMs = Date.now() - consumeStarted;
        expect(received).to.equal(total);
        console.log(`      relay   (batch ${batchSize}): ${rate(total, relayMs)}, ${relay.stats.batches} batches`);
        console.log(`      consume (maxBatch ${batchSize}): ${rate(received, consumeMs)}, incl. group join`);
      } finally {
        await withTimeout(bus.close(), 30_000, 'closing the bus');
      }
    }).timeout(300_000);
  }
});
