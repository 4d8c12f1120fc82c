import { expect } from 'chai';
import { logLevel, Partitioners, type Admin, type Kafka } from 'kafkajs';
import { encodeEvent, MalformedMessageError } from '../../infra/kafka/codec';
import { HandlerFailedError, KafkaBus, type KafkaConsumer } from '../../infra/kafka/kafka-bus';
import { startRelay, type Relay } from '../../infra/kafka/relay';
import { Topics } from '../../infra/kafka/topics';
import type { RecordedEvent } from '../../ports/event-store';
import type { Delivery, DeliveryHandler } from '../../ports/message-bus';
import { kafkaFromEnv, withTimeout } from '../../tools/services/clients';
import { freePort } from '../../tools/services/proc';
import {
  allEvents,
  appendInterleaved,
  countBy,
  deleteTopics,
  eventually,
  streamIds,
  tempStore,
  testKafka,
  uniqueGroup,
  uniquePrefix,
  type TempStore,
} from './kafka-test-kit';

/** Needs KAFKA_BROKERS (`npm run test:services` sets it). Each test uses topics and groups of its own. */

const within = <T>(promise: Promise<T>, what: string, ms = 30_000): Promise<T> => withTimeout(promise, ms, what);

const rejectionOf = async (promise: Promise<unknown>, what: string, ms = 30_000): Promise<unknown> =>
  within(
    promise.then(
      () => new Error(`${what} resolved, expected a rejection`),
      (error: unknown) => error,
    ),
    what,
    ms,
  );

/** Checks what one consumer saw: sequences increase per source, each stream's revisions are consecutive. */
const expectOrdered = (deliveries: readonly Delivery[]): void => {
  const lastSequence = new Map<string, number>();
  const nextRevision = new Map<string, number>();
  for (const { source, sequence, event } of deliveries) {
    expect(sequence, `sequence at ${source}`).to.be.above(lastSequence.get(source) ?? -1);
    lastSequence.set(source, sequence);
    expect(event.revision, `revision of ${event.streamId}`).to.equal(nextRevision.get(event.streamId) ?? 0);
    nextRevision.set(event.streamId, event.revision + 1);
  }
};

const expectAllOnce = (deliveries: readonly Delivery[], events: readonly RecordedEvent[]): void => {
  const copies = countBy(deliveries, (delivery) => delivery.event.eventId);
  expect(
    [...copies].filter(([, count]) => count > 1).map(([id]) => id),
    'events delivered twice',
  ).to.deep.equal([]);
  expect(
    events.filter((event) => !copies.has(event.eventId)).map((event) => event.position),
    'positions never delivered',
  ).to.deep.equal([]);
};

describe('the Kafka message bus', () => {
  let kafka: Kafka;
  let admin: Admin;
  let temp: TempStore;
  let topics: Topics;
  let bus: KafkaBus;
  let relay: Relay | undefined;
  let events: RecordedEvent[];

  /** A bus on this test's topics with quick heartbeats and retries, so rebalances and retries take little time. */
  const newBus = (overrides: Partial<ConstructorParameters<typeof KafkaBus>[0]> = {}): KafkaBus =>
    new KafkaBus({
      kafka,
      topicPrefix: topics.prefix,
      sessionTimeoutMs: 10_000,
      heartbeatIntervalMs: 500,
      retryDelayMs: 20,
      stopTimeoutMs: 15_000,
      ...overrides,
    });

  /** Appends events to the store and has the relay publish them all. */
  const publish = async (streams: readonly string[], perStream: number, firstRevision = 0): Promise<void> => {
    await appendInterleaved(temp.store, streams, perStream, 2, firstRevision);
    relay ??= await within(
      startRelay({
        kafka,
        store: temp.store,
        checkpoints: temp.store.checkpointStore(),
        topicPrefix: topics.prefix,
        batchSize: 50,
      }),
      'starting the relay',
    );
    const head = await temp.store.headPosition();
    const running = relay;
    await eventually('the relay published everything', () => running.position === head);
    events = await allEvents(temp.store);
  };

  before(async () => {
    kafka = testKafka('bus');
    admin = kafka.admin();
    await within(admin.connect(), 'admin connect');
  });

  after(async () => {
    await withTimeout(admin.disconnect(), 10_000, 'admin disconnect').catch(() => undefined);
  });

  beforeEach(() => {
    temp = tempStore();
    topics = new Topics(uniquePrefix('bus'));
    bus = newBus();
    relay = undefined;
    events = [];
  });

  afterEach(async () => {
    await within(bus.close(), 'closing the bus');
    if (relay !== undefined) await within(relay.stop(), 'stopping the relay');
    await temp.dispose();
    await deleteTopics(admin, topics.all);
  });

  const committedOffset = async (group: string, source: string): Promise<number> => {
    const [topic, partition] = source.split('/');
    const offsets = await admin.fetchOffsets({ groupId: group, topics: [topic ?? ''] });
    const entry = offsets[0]?.partitions.find((p) => String(p.partition) === partition);
    return Number(entry?.offset ?? -1);
  };

  describe('given events published by the relay', () => {
    it('delivers every event once, exactly as appended, in per-stream order, and then reports caught up', async () => {
      await publish(streamIds(30), 6);
      const received: Delivery[] = [];
      const consumer = await within(
        bus.consume({ group: uniqueGroup('all'), maxBatch: 16 }, (batch) => {
          received.push(...batch);
          return Promise.resolve();
        }),
        'consume',
      );
      await within(consumer.caughtUp, 'consumer catch-up');
      expect(received).to.have.length(events.length);
      expectAllOnce(received, events);
      expectOrdered(received);
      const byId = new Map(events.map((event) => [event.eventId, event]));
      for (const delivery of received) {
        expect(delivery.event).to.deep.equal(byId.get(delivery.event.eventId));
        expect(delivery.source).to.match(new RegExp(`^${topics.prefix.replace(/\./g, '\\.')}[a-z]+/[0-5]$`));
      }
      expect(Math.max(...countBy(received, (d) => `${d.source}#${d.sequence}`).values())).to.equal(1);
    }).timeout(90_000);

    it('delivers events appended after it started as well', async () => {
      const streams = streamIds(10);
      await publish(streams, 2);
      const received: Delivery[] = [];
      const consumer = await within(
        bus.consume({ group: uniqueGroup('live') }, (batch) => {
          received.push(...batch);
          return Promise.resolve();
        }),
        'consume',
      );
      await within(consumer.caughtUp, 'consumer catch-up');
      await publish(streams, 3, 2);
      await eventually('the live events arrived', () => received.length >= events.length);
      expect(received).to.have.length(50);
      expectAllOnce(received, events);
      expectOrdered(received);
    }).timeout(90_000);
  });

  describe('when it handles several partitions at once', () => {
    it('runs the handler for different partitions at the same time, never twice at once for one partition', async () => {
      await publish(streamIds(30), 4);
      bus = newBus({ partitionsConcurrently: 6 });
      const received: Delivery[] = [];
      const running = new Set<string>();
      let most = 0;
      let sameSourceAtOnce = 0;
      const consumer = await within(
        bus.consume({ group: uniqueGroup('concurrent'), maxBatch: 4 }, async (batch) => {
          const source = batch[0]?.source ?? '';
          if (running.has(source)) sameSourceAtOnce += 1;
          running.add(source);
          most = Math.max(most, running.size);
          // a handler waiting on a store: the other partitions' batches run meanwhile
          await new Promise((resolve) => setTimeout(resolve, 30));
          running.delete(source);
          received.push(...batch);
        }),
        'consume',
      );
      await within(consumer.caughtUp, 'consumer catch-up');
      expect(most, 'partitions handled at once').to.be.greaterThan(1);
      expect(sameSourceAtOnce, 'batches of one partition handled at once').to.equal(0);
      expectAllOnce(received, events);
      expectOrdered(received);
    }).timeout(90_000);

    it('refuses a count below one', async () => {
      bus = newBus({ partitionsConcurrently: 0 });
      const error = await rejectionOf(
        bus.consume({ group: uniqueGroup('none') }, () => Promise.resolve()),
        'consume',
      );
      expect(error)
        .to.be.instanceOf(RangeError)
        .with.property('message')
        .that.matches(/partitionsConcurrently 0/);
    });
  });

  describe('when the handler fails once', () => {
    it('commits nothing while the handler runs, redelivers the same batch, then commits after it resolved', async () => {
      await publish(streamIds(10), 3);
      const group = uniqueGroup('fail-once');
      const calls: Delivery[][] = [];
      let releaseFirst: (() => void) | undefined;
      const firstHeld = new Promise<void>((resolve) => {
        releaseFirst = resolve;
      });
      let firstCallStarted = false;
      const handler: DeliveryHandler = async (batch) => {
        calls.push([...batch]);
        if (calls.length === 1) {
          firstCallStarted = true;
          await firstHeld;
          throw new Error('transient failure');
        }
      };
      const consumer = await within(bus.consume({ group, maxBatch: 1_000 }, handler), 'consume');
      await eventually('the first batch reached the handler', () => firstCallStarted);
      const first = calls[0] ?? [];
      const source = first[0]?.source ?? '';
      expect(await committedOffset(group, source), 'offset committed while the handler runs').to.equal(-1);

      releaseFirst?.();
      await within(consumer.caughtUp, 'consumer catch-up');
      const second = calls[1] ?? [];
      expect(
        second.map((d) => d.sequence),
        'the retried batch',
      ).to.deep.equal(first.map((d) => d.sequence));
      expect(second.map((d) => d.source)).to.deep.equal(first.map((d) => d.source));
      const lastOfBatch = first[first.length - 1]?.sequence ?? -1;
      expect(await committedOffset(group, source), 'offset committed after success').to.be.above(lastOfBatch);
      const delivered = calls.slice(1).flat();
      expectAllOnce(delivered, events);
    }).timeout(90_000);
  });

  describe('when the handler keeps failing', () => {
    it('retries a bounded number of times, then rejects done and leaves the batch uncommitted', async () => {
      await publish(streamIds(5), 2);
      const failing = newBus({ handlerRetries: 2 });
      const group = uniqueGroup('fail-always');
      const sources: string[] = [];
      try {
        const consumer = await within(
          failing.consume({ group }, (batch) => {
            sources.push(batch[0]?.source ?? '');
            return Promise.reject(new Error('permanent failure'));
          }),
          'consume',
        );
        const error = await rejectionOf(consumer.done, 'done');
        expect(error).to.be.instanceOf(HandlerFailedError);
        expect(String(error)).to.match(/failed 3 times .* permanent failure/);
        expect(sources, 'one first call and two retries, all on one batch').to.have.length(3);
        expect(new Set(sources).size).to.equal(1);
        expect(await committedOffset(group, sources[0] ?? ''), 'committed offset').to.equal(-1);
        expect(await rejectionOf(consumer.caughtUp, 'caughtUp')).to.be.instanceOf(HandlerFailedError);
      } finally {
        await within(failing.close(), 'closing the failing bus');
      }
    }).timeout(90_000);
  });

  describe('when a consumer is stopped part-way and another starts in the same group', () => {
    it('continues from the committed offsets: together they see every event, none twice', async () => {
      await publish(streamIds(40), 5);
      const group = uniqueGroup('resume');
      const firstSeen: Delivery[] = [];
      let stopping: Promise<void> | undefined;
      // the handler may run before consume() resolved: it finds the consumer here once it is known
      const handle: { consumer?: KafkaConsumer } = {};
      const first = await within(
        bus.consume({ group, maxBatch: 5 }, (batch) => {
          firstSeen.push(...batch);
          // stop() waits for this handler, so it is started here and awaited outside
          if (firstSeen.length >= 60 && handle.consumer !== undefined) stopping ??= handle.consumer.stop();
          return Promise.resolve();
        }),
        'consume (first)',
      );
      handle.consumer = first;
      await eventually('the first consumer was asked to stop', () => stopping !== undefined);
      await within(stopping ?? Promise.resolve(), 'stopping the first consumer');
      await within(first.done, 'the first consumer ended');
      expect(firstSeen.length, 'events seen before the stop').to.be.within(60, events.length - 1);

      const secondSeen: Delivery[] = [];
      const second = await within(
        bus.consume({ group, maxBatch: 5 }, (batch) => {
          secondSeen.push(...batch);
          return Promise.resolve();
        }),
        'consume (second)',
      );
      await within(second.caughtUp, 'second consumer catch-up');
      expectAllOnce([...firstSeen, ...secondSeen], events);
      expectOrdered([...firstSeen, ...secondSeen]);
    }).timeout(90_000);
  });

  describe('when two consumers share a group', () => {
    it('splits the partitions between them, and together they see every event', async () => {
      const group = uniqueGroup('shared');
      const seen: [Delivery[], Delivery[]] = [[], []];
      const consumers: KafkaConsumer[] = [];
      for (const index of [0, 1] as const) {
        consumers.push(
          await within(
            bus.consume({ group, maxBatch: 20 }, (batch) => {
              seen[index].push(...batch);
              return Promise.resolve();
            }),
            `consume (${index})`,
          ),
        );
      }
      const [a, b] = consumers;
      if (a === undefined || b === undefined) throw new Error('two consumers expected');
      // every topic of the bus (one per centre, sagas, other) was created with the default 6 partitions
      const partitions = topics.all.length * 6;
      await eventually(
        'the group settled with every partition assigned to exactly one member',
        () => {
          const all = [...a.assignment, ...b.assignment];
          return (
            a.assignment.length > 0 &&
            b.assignment.length > 0 &&
            all.length === partitions &&
            new Set(all).size === partitions
          );
        },
        30_000,
      );

      await publish(streamIds(40), 4);
      await eventually('both consumers together received every event', () => {
        const ids = new Set([...seen[0], ...seen[1]].map((d) => d.event.eventId));
        return ids.size === events.length;
      });
      expect(seen[0].length, 'events seen by the first member').to.be.above(0);
      expect(seen[1].length, 'events seen by the second member').to.be.above(0);
      for (const delivery of seen[0]) expect(a.assignment).to.include(delivery.source);
      for (const delivery of seen[1]) expect(b.assignment).to.include(delivery.source);
      expectAllOnce([...seen[0], ...seen[1]], events);
      expectOrdered(seen[0]);
      expectOrdered(seen[1]);
    }).timeout(90_000);
  });

  describe('given a message that is not an event', () => {
    it('reports it with the offending field, skips it and delivers the rest', async () => {
      await publish(['order-before'], 2);
      const good = events[events.length - 1];
      if (good === undefined) throw new Error('an event was published');
      const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
      await within(producer.connect(), 'producer connect');
      try {
        const message = encodeEvent(good);
        await within(
          producer.send({
            topic: topics.forCentre('orders'),
            acks: -1,
            messages: [{ ...message, value: JSON.stringify({ ...good, revision: 'seven' }) }],
          }),
          'sending a malformed message',
        );
      } finally {
        await within(producer.disconnect(), 'producer disconnect');
      }
      await publish(['order-after'], 2);

      const reported: MalformedMessageError[] = [];
      const received: Delivery[] = [];
      const tolerant = newBus({ onMalformed: (error) => reported.push(error) });
      try {
        const consumer = await within(
          tolerant.consume({ group: uniqueGroup('malformed') }, (batch) => {
            received.push(...batch);
            return Promise.resolve();
          }),
          'consume',
        );
        await within(consumer.caughtUp, 'consumer catch-up');
        expect(reported).to.have.length(1);
        expect(reported[0]).to.be.instanceOf(MalformedMessageError);
        expect(reported[0]?.message).to.match(/value: revision: expected integer ≥ 0, got "seven"/);
        expectAllOnce(received, events);
      } finally {
        await within(tolerant.close(), 'closing the bus');
      }
    }).timeout(90_000);
  });

  describe('when no broker answers', () => {
    it('rejects consume within seconds instead of hanging', async () => {
      const port = await freePort();
      const nowhere = new KafkaBus({
        kafka: kafkaFromEnv({ brokers: [`127.0.0.1:${port}`], logLevel: logLevel.NOTHING }),
        topicPrefix: topics.prefix,
      });
      const started = Date.now();
      try {
        const error = await rejectionOf(
          nowhere.consume({ group: uniqueGroup('dead') }, () => Promise.resolve()),
          'consume',
          45_000,
        );
        expect(error).to.be.instanceOf(Error);
        expect(String(error)).to.match(/connect|ECONNREFUSED|broker/i);
        expect(Date.now() - started, 'time to fail').to.be.below(30_000);
      } finally {
        await within(nowhere.close(), 'closing the bus');
      }
    }).timeout(60_000);
  });
});
