import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { logLevel, Partitioners, type Admin, type Consumer, type Kafka, type Producer } from 'kafkajs';
import { MongoServerError, type Db, type MongoClient } from 'mongodb';
import { kafkaFromEnv, mongoFromEnv, withTimeout } from '../../tools/services/clients';

/**
 * Proves the real servers work with the clients the engine uses. Needs KAFKA_BROKERS and MONGODB_URL
 * (`npm run test:services` sets both).
 */
const suffix = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;

const keys = 100;
const sequencesPerKey = 100;
const total = keys * sequencesPerKey;
const batchSize = 1_000;

interface Received {
  count: number;
  /** next expected sequence number per key */
  readonly next: Map<string, number>;
  readonly problems: string[];
}

const ignoreFailure = async (what: Promise<unknown>): Promise<void> => {
  await withTimeout(what, 10_000, 'cleanup').catch(() => undefined);
};

describe('the real servers, used through the engine’s clients', () => {
  describe('a Kafka broker, through kafkajs', () => {
    const topic = `smoke-${suffix}`;
    let kafka: Kafka;
    let admin: Admin | undefined;
    let producer: Producer | undefined;
    let consumer: Consumer | undefined;
    let topicCreated = false;
    let produced = false;

    before(() => {
      kafka = kafkaFromEnv({ clientId: `smoke-${suffix}`, logLevel: logLevel.ERROR });
    });

    after(async () => {
      if (consumer !== undefined) await ignoreFailure(consumer.disconnect());
      if (producer !== undefined) await ignoreFailure(producer.disconnect());
      if (admin !== undefined) {
        if (topicCreated) await ignoreFailure(admin.deleteTopics({ topics: [topic], timeout: 5_000 }));
        await ignoreFailure(admin.disconnect());
      }
    });

    it('creates a topic with 3 partitions through the admin client', async () => {
      const connected = kafka.admin();
      admin = connected;
      await withTimeout(connected.connect(), 15_000, 'kafka admin connect');
      const created = await withTimeout(
        connected.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true }),
        20_000,
        `creating topic ${topic}`,
      );
      expect(created, 'createTopics reports a new topic').to.equal(true);
      topicCreated = true;
      const metadata = await connected.fetchTopicMetadata({ topics: [topic] });
      expect(metadata.topics[0]?.partitions).to.have.length(3);
    }).timeout(40_000);

    it('stores 10,000 keyed messages from an idempotent producer exactly once', async () => {
      expect(topicCreated, 'needs the topic from the previous test').to.equal(true);
      const connected = kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        createPartitioner: Partitioners.DefaultPartitioner,
        // bounded on purpose (kafkajs defaults to unlimited retries for idempotent producers): a dead broker must fail the test
        retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 3_000 },
      });
      producer = connected;
      await withTimeout(connected.connect(), 15_000, 'kafka producer connect');
      const messages = [];
      for (let seq = 0; seq < sequencesPerKey; seq++) {
        for (let k = 0; k < keys; k++) {
          const key = `key-${k}`;
          messages.push({ key, value: JSON.stringify({ key, seq }) });
        }
      }
      for (let start = 0; start < messages.length; start += batchSize) {
        await withTimeout(
          connected.send({ topic, acks: -1, messages: messages.slice(start, start + batchSize) }),
          20_000,
          `sending messages ${start}..${start + batchSize - 1}`,
        );
      }
      const offsets = await withTimeout(
        (admin ?? kafka.admin()).fetchTopicOffsets(topic),
        10_000,
        'fetching topic offsets',
      );
      expect(offsets).to.have.length(3);
      const stored = offsets.reduce((sum, partition) => sum + Number(partition.high) - Number(partition.low), 0);
      expect(stored, 'messages stored across the 3 partitions').to.equal(total);
      produced = true;
    }).timeout(90_000);

    it('delivers every key’s messages to a consumer group in sequence order, 10,000 in total', async () => {
      expect(produced, 'needs the messages from the previous test').to.equal(true);
      const connected = kafka.consumer({
        groupId: `smoke-group-${suffix}`,
        sessionTimeout: 10_000,
        heartbeatInterval: 1_000,
        maxWaitTimeInMs: 500,
        retry: {
          retries: 5,
          initialRetryTime: 200,
          maxRetryTime: 3_000,
          restartOnFailure: () => Promise.resolve(false),
        },
      });
      consumer = connected;
      const received: Received = { count: 0, next: new Map(), problems: [] };
      await withTimeout(connected.connect(), 15_000, 'kafka consumer connect');
      await withTimeout(connected.subscribe({ topics: [topic], fromBeginning: true }), 15_000, 'subscribe');
      const allArrived = new Promise<void>((resolveAll, reject) => {
        connected.on(connected.events.CRASH, (event) => {
          reject(new Error(`the consumer crashed: ${event.payload.error.message}`));
        });
        void connected
          .run({
            eachBatch: async ({ batch }) => {
              for (const message of batch.messages) {
                const key = message.key?.toString() ?? '(no key)';
                const body: unknown = JSON.parse(message.value?.toString() ?? 'null');
                const seq =
                  typeof body === 'object' && body !== null && 'seq' in body && typeof body.seq === 'number'
                    ? body.seq
                    : -1;
                const expected = received.next.get(key) ?? 0;
                if (seq !== expected && received.problems.length < 20) {
                  received.problems.push(
                    `${key}: got seq ${seq}, expected ${expected} (partition ${batch.partition}, offset ${message.offset})`,
                  );
                }
                received.next.set(key, Math.max(expected, seq + 1));
                received.count += 1;
              }
              if (received.count >= total) resolveAll();
              return Promise.resolve();
            },
          })
          .catch(reject);
      });
      await withTimeout(allArrived, 60_000, `consumer group read ${received.count}/${total} messages`);
      // anything beyond 10,000 (a duplicate) would arrive right behind the last batch
      await new Promise((resolveWait) => setTimeout(resolveWait, 1_000));
      expect(received.problems, 'out-of-order or duplicate messages').to.deep.equal([]);
      expect(received.count, 'messages consumed').to.equal(total);
      expect(received.next.size, 'distinct keys').to.equal(keys);
      for (const [key, next] of received.next) expect(next, `last sequence of ${key}`).to.equal(sequencesPerKey);
    }).timeout(90_000);
  });

  describe('a MongoDB-compatible server (FerretDB), through the mongodb driver', () => {
    let client: MongoClient;
    let db: Db;

    before(() => {
      client = mongoFromEnv();
      db = client.db(`smoke_${suffix.replace(/-/g, '_')}`);
    });

    after(async () => {
      await ignoreFailure(db.dropDatabase());
      await ignoreFailure(client.close());
    });

    it('upserts with $set, $inc and $setOnInsert', async () => {
      const stock = db.collection<{ _id: string; name?: string; onHand?: number; createdAt?: string }>('stock');
      const first = await stock.updateOne(
        { _id: 'sku-1' },
        { $set: { name: 'Widget' }, $inc: { onHand: 5 }, $setOnInsert: { createdAt: 't0' } },
        { upsert: true },
      );
      expect(first.upsertedCount).to.equal(1);
      const second = await stock.updateOne(
        { _id: 'sku-1' },
        { $set: { name: 'Widget v2' }, $inc: { onHand: 3 }, $setOnInsert: { createdAt: 't1' } },
        { upsert: true },
      );
      expect(second.upsertedCount).to.equal(0);
      expect(second.modifiedCount).to.equal(1);
      expect(await stock.findOne({ _id: 'sku-1' })).to.deep.equal({
        _id: 'sku-1',
        name: 'Widget v2',
        onHand: 8,
        createdAt: 't0',
      });
    }).timeout(20_000);

    it('rejects a duplicate on a unique index with error code 11000', async () => {
      const customers = db.collection<{ email: string }>('customers');
      await customers.createIndex({ email: 1 }, { unique: true, name: 'email_unique' });
      await customers.insertOne({ email: 'ada@example.com' });
      const error: unknown = await customers.insertOne({ email: 'ada@example.com' }).then(
        () => undefined,
        (rejection: unknown) => rejection,
      );
      expect(error, 'the duplicate insert is rejected').to.be.instanceOf(MongoServerError);
      expect(error instanceof MongoServerError ? error.code : undefined).to.equal(11000);
      expect(await customers.countDocuments({ email: 'ada@example.com' })).to.equal(1);
    }).timeout(20_000);

    it('pages a sorted query with skip/limit and with a range cursor', async () => {
      const orders = db.collection<{ _id: string; n: number; customer: string }>('orders');
      await orders.insertMany(
        Array.from({ length: 25 }, (_, i) => ({ _id: `o-${String(i).padStart(2, '0')}`, n: 24 - i, customer: 'c1' })),
      );
      const page = (skip: number): Promise<number[]> =>
        orders
          .find({ customer: 'c1' })
          .sort({ n: 1 })
          .skip(skip)
          .limit(10)
          .toArray()
          .then((docs) => docs.map((doc) => doc.n));
      expect(await page(0)).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(await page(10)).to.deep.equal([10, 11, 12, 13, 14, 15, 16, 17, 18, 19]);
      expect(await page(20)).to.deep.equal([20, 21, 22, 23, 24]);

      const after = (last: number): Promise<number[]> =>
        orders
          .find({ customer: 'c1', n: { $gt: last } })
          .sort({ n: 1 })
          .limit(10)
          .toArray()
          .then((docs) => docs.map((doc) => doc.n));
      const pages: number[][] = [];
      let last = -1;
      for (;;) {
        const next = await after(last);
        if (next.length === 0) break;
        pages.push(next);
        last = next[next.length - 1] ?? last;
      }
      expect(pages.map((p) => p.length)).to.deep.equal([10, 10, 5]);
      expect(pages.flat()).to.deep.equal(Array.from({ length: 25 }, (_, i) => i));
    }).timeout(20_000);
  });
});
