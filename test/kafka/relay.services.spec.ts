import { expect } from 'chai';
import { Partitioners, type Admin, type Kafka, type Message, type ProducerBatch } from 'kafkajs';
import { encodeEvent, eventTypeHeader, partitionForKey } from '../../infra/kafka/codec';
import { startRelay, type Relay } from '../../infra/kafka/relay';
import { centreOfStream, ensureTopics, Topics } from '../../infra/kafka/topics';
import type { CheckpointStore, EventStore, RecordedEvent } from '../../ports/event-store';
import { withTimeout } from '../../tools/services/clients';
import {
  allEvents,
  appendInterleaved,
  countBy,
  deleteTopics,
  eventually,
  messageCount,
  readTopics,
  streamIds,
  tempStore,
  testKafka,
  uniquePrefix,
  type StoredMessage,
  type TempStore,
} from './kafka-test-kit';
import { legacyMessage } from './legacy-format';

/** Needs KAFKA_BROKERS (`npm run test:services` sets it). Each test uses topics of its own. */

const within = <T>(promise: Promise<T>, what: string, ms = 30_000): Promise<T> => withTimeout(promise, ms, what);

const expectEachEventOnce = (messages: readonly StoredMessage[], events: readonly RecordedEvent[]): void => {
  const copies = countBy(messages, (message) => message.event?.eventId ?? `malformed@${message.offset}`);
  const duplicated = [...copies].filter(([, count]) => count > 1).map(([id]) => id);
  expect(duplicated, 'events published more than once').to.deep.equal([]);
  const missing = events.filter((event) => !copies.has(event.eventId)).map((event) => event.position);
  expect(missing, 'positions never published').to.deep.equal([]);
  expect(messages).to.have.length(events.length);
};

/** A checkpoint store whose saves fail from the `failAt`-th on: the relay dies after the broker acknowledged. */
const crashingCheckpoints = (inner: CheckpointStore, failAt: number): CheckpointStore => {
  let saves = 0;
  return {
    load: (name) => inner.load(name),
    save: (name, position) => {
      saves += 1;
      if (saves >= failAt) return Promise.reject(new Error('simulated crash before the checkpoint save'));
      return inner.save(name, position);
    },
  };
};

describe('the Kafka relay', () => {
  let kafka: Kafka;
  let admin: Admin;
  let temp: TempStore;
  let topics: Topics;
  const relays: Relay[] = [];

  const relayOptions = (batchSize = 7) => ({
    kafka,
    store: temp.store,
    checkpoints: temp.store.checkpointStore(),
    topicPrefix: topics.prefix,
    batchSize,
  });

  const started = async (relay: Promise<Relay>): Promise<Relay> => {
    const running = await within(relay, 'starting the relay');
    relays.push(running);
    return running;
  };

  before(async () => {
    kafka = testKafka('relay');
    admin = kafka.admin();
    await within(admin.connect(), 'admin connect');
  });

  after(async () => {
    await withTimeout(admin.disconnect(), 10_000, 'admin disconnect').catch(() => undefined);
  });

  beforeEach(() => {
    temp = tempStore();
    topics = new Topics(uniquePrefix('relay'));
  });

  afterEach(async () => {
    for (const relay of relays.splice(0)) await within(relay.stop(), 'stopping a relay');
    await temp.dispose();
    await deleteTopics(admin, topics.all);
  });

  describe('given a store with events of every centre', () => {
    it('publishes each event to its centre’s topic, keyed by stream id, with its type header, in per-stream order', async () => {
      const streams = streamIds(25);
      await appendInterleaved(temp.store, streams, 8, 3);
      const events = await allEvents(temp.store);
      const relay = await started(startRelay(relayOptions()));
      await within(relay.caughtUp, 'relay catch-up');

      expect(relay.position, 'position after catch-up').to.equal(await temp.store.headPosition());
      expect(relay.stats.eventsPublished).to.equal(events.length);
      expect(relay.stats.batches).to.equal(Math.ceil(events.length / 7));
      expect(await temp.store.checkpointStore().load(`relay:${topics.prefix}`)).to.equal(relay.position);

      const messages = await readTopics(kafka, admin, topics.all);
      expectEachEventOnce(messages, events);
      const byId = new Map(events.map((event) => [event.eventId, event]));
      const partitionOf = new Map<string, number>();
      for (const message of messages) {
        const stored = byId.get(message.event?.eventId ?? '');
        expect(
          stored,
          `message ${message.topic}/${message.partition}@${message.offset} is a stored event`,
        ).to.not.equal(undefined);
        if (stored === undefined) continue;
        expect(message.event, 'decoded message').to.deep.equal(stored);
        expect(message.topic).to.equal(topics.forStream(stored.streamId));
        expect(message.key).to.equal(stored.streamId);
        expect(message.partition).to.equal(partitionForKey(stored.streamId, 6));
        expect(message.headers).to.deep.equal({ [eventTypeHeader]: stored.type });
        expect(
          partitionOf.get(stored.streamId) ?? message.partition,
          `${stored.streamId} stays in one partition`,
        ).to.equal(message.partition);
        partitionOf.set(stored.streamId, message.partition);
      }
      expect(new Set(messages.map((m) => m.topic)).size, 'topics used').to.equal(5);

      const inOffsetOrder = [...messages].sort((a, b) => a.offset - b.offset);
      for (const streamId of streams) {
        const revisions = inOffsetOrder.filter((m) => m.key === streamId).map((m) => m.event?.revision);
        expect(revisions, `revisions of ${streamId} in offset order`).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7]);
      }
    }).timeout(90_000);
  });

  describe('given a store that delivers parsed events only (no subscribeToAllStored, as EventStoreDB)', () => {
    it('serializes them and publishes the same events', async () => {
      await appendInterleaved(temp.store, streamIds(10), 3, 3);
      const events = await allEvents(temp.store);
      const store = temp.store;
      const parsedOnly: EventStore = {
        append: (...args) => store.append(...args),
        readStream: (...args) => store.readStream(...args),
        readAll: (options) => store.readAll(options),
        subscribeToAll: (options, handler) => store.subscribeToAll(options, handler),
        headPosition: () => store.headPosition(),
        findCommand: (commandId) => store.findCommand(commandId),
        close: () => store.close(),
      };
      const relay = await started(startRelay({ ...relayOptions(), store: parsedOnly }));
      await within(relay.caughtUp, 'relay catch-up');

      const messages = await readTopics(kafka, admin, topics.all);
      expectEachEventOnce(messages, events);
      const byId = new Map(events.map((event) => [event.eventId, event]));
      for (const message of messages) expect(message.event).to.deep.equal(byId.get(message.event?.eventId ?? ''));
    }).timeout(90_000);
  });

  describe('when it restarts after a clean stop', () => {
    it('publishes nothing twice and goes on with new appends', async () => {
      const streams = streamIds(10);
      await appendInterleaved(temp.store, streams, 4, 2);
      const first = await started(startRelay(relayOptions()));
      await within(first.caughtUp, 'first relay catch-up');
      await within(first.stop(), 'stopping the first relay');
      const publishedBefore = await messageCount(admin, topics.all);

      const second = await started(startRelay(relayOptions()));
      await within(second.caughtUp, 'second relay catch-up');
      expect(second.stats.startedAfter, 'resumes after the saved checkpoint').to.equal(first.position);
      expect(second.stats.eventsPublished, 'events republished on restart').to.equal(0);
      expect(await messageCount(admin, topics.all)).to.equal(publishedBefore);

      await appendInterleaved(temp.store, streams.slice(0, 5), 3, 3, 4);
      const head = await temp.store.headPosition();
      await eventually('the relay published the new appends', () => second.position === head);
      expectEachEventOnce(await readTopics(kafka, admin, topics.all), await allEvents(temp.store));
    }).timeout(90_000);
  });

  describe('when it crashes after the broker acknowledged a batch but before the checkpoint was saved', () => {
    it('finds the batch at the partitions’ tails on restart and does not publish it again', async () => {
      await appendInterleaved(temp.store, streamIds(20), 5, 5);
      const checkpoints = temp.store.checkpointStore();
      const crashing = await started(
        startRelay({ ...relayOptions(), checkpoints: crashingCheckpoints(checkpoints, 3) }),
      );
      const failure: unknown = await within(
        crashing.done.then(
          () => undefined,
          (error: unknown) => error,
        ),
        'the crashing relay stops',
      );
      expect(String(failure)).to.match(/simulated crash before the checkpoint save/);
      const checkpoint = await checkpoints.load(`relay:${topics.prefix}`);
      expect(checkpoint, 'checkpoint of the 2nd batch').to.equal(14);
      expect(await messageCount(admin, topics.all), 'the 3rd batch reached the broker').to.equal(21);

      const restarted = await started(startRelay(relayOptions()));
      await within(restarted.caughtUp, 'restarted relay catch-up');
      expect(restarted.stats.eventsSkipped, 'events found already published').to.equal(7);
      expectEachEventOnce(await readTopics(kafka, admin, topics.all), await allEvents(temp.store));
    }).timeout(90_000);
  });

  /** A kafkajs client whose producers fail their `failAt`-th sendBatch (a produce request the broker never took). */
  const failingSends = (failAt: number): Kafka => {
    let sends = 0;
    return new Proxy(kafka, {
      get: (target, property, receiver): unknown => {
        if (property !== 'producer') return Reflect.get(target, property, receiver) as unknown;
        return (...args: Parameters<Kafka['producer']>) => {
          const producer = target.producer(...args);
          return new Proxy(producer, {
            get: (inner, name, innerReceiver): unknown => {
              if (name !== 'sendBatch') return Reflect.get(inner, name, innerReceiver) as unknown;
              return (batch: ProducerBatch) => {
                sends += 1;
                return sends === failAt
                  ? Promise.reject(new Error('simulated produce failure'))
                  : inner.sendBatch(batch);
              };
            },
          });
        };
      },
    });
  };

  describe('when a produce request fails', () => {
    it('sends no later batch (the next one was already read), stops, and a restart publishes the rest once', async () => {
      await appendInterleaved(temp.store, streamIds(20), 5, 5);
      const checkpoints = temp.store.checkpointStore();
      const failing = await started(startRelay({ ...relayOptions(), kafka: failingSends(3) }));
      const failure = await within(
        failing.done.then(
          () => undefined,
          (error: unknown) => error,
        ),
        'the failing relay stops',
      );
      expect(String(failure)).to.match(/simulated produce failure/);
      expect(await checkpoints.load(`relay:${topics.prefix}`), 'checkpoint of the 2nd batch').to.equal(14);
      expect(failing.position).to.equal(14);
      expect(await messageCount(admin, topics.all), 'only the first two batches reached the broker').to.equal(14);

      const restarted = await started(startRelay(relayOptions()));
      await within(restarted.caughtUp, 'restarted relay catch-up');
      expectEachEventOnce(await readTopics(kafka, admin, topics.all), await allEvents(temp.store));
    }).timeout(90_000);

    it('fails also when it was the last batch and the store stays idle', async () => {
      await appendInterleaved(temp.store, streamIds(5), 2, 2);
      const failing = await started(startRelay({ ...relayOptions(100), kafka: failingSends(1) }));
      const caughtUp = await within(
        failing.caughtUp.then(
          () => undefined,
          (error: unknown) => error,
        ),
        'caughtUp settles',
      );
      expect(String(caughtUp)).to.match(/simulated produce failure/);
      const done = await within(
        failing.done.then(
          () => undefined,
          (error: unknown) => error,
        ),
        'the failing relay stops',
      );
      expect(String(done)).to.match(/simulated produce failure/);
      expect(failing.position).to.equal(0);
    }).timeout(90_000);
  });

  /** What a crashed run may leave: the first 60 events' orders reached the broker, the other centres' did not. */
  const publishPartOfABatch = async (events: readonly RecordedEvent[], encode: (e: RecordedEvent) => Message) => {
    await within(ensureTopics(admin, { topicPrefix: topics.prefix }), 'creating the topics');
    const reached = events.slice(0, 60).filter((event) => centreOfStream(event.streamId) === 'orders');
    const producer = kafka.producer({ idempotent: true, createPartitioner: Partitioners.DefaultPartitioner });
    await within(producer.connect(), 'producer connect');
    try {
      await within(
        producer.sendBatch({
          acks: -1,
          topicMessages: [
            {
              topic: topics.forCentre('orders'),
              messages: reached.map((event) => ({ ...encode(event), partition: partitionForKey(event.streamId, 6) })),
            },
          ],
        }),
        'publishing part of a batch',
      );
    } finally {
      await within(producer.disconnect(), 'producer disconnect');
    }
    return reached;
  };

  describe('when an earlier run crashed with a batch that reached only some partitions', () => {
    it('publishes the rest of that batch, below the highest tail too, and nothing twice', async () => {
      await appendInterleaved(temp.store, streamIds(20), 5, 5);
      const events = await allEvents(temp.store);
      const reached = await publishPartOfABatch(events, encodeEvent);
      const relay = await started(startRelay(relayOptions(100)));
      await within(relay.caughtUp, 'relay catch-up');
      expect(relay.stats.startedAfter).to.equal(0);
      expect(relay.stats.eventsSkipped, 'events found already published').to.equal(reached.length);
      expectEachEventOnce(await readTopics(kafka, admin, topics.all), events);
    }).timeout(90_000);

    it('reads the tails also when that run was an older relay writing message format 1', async () => {
      await appendInterleaved(temp.store, streamIds(20), 5, 5);
      const events = await allEvents(temp.store);
      const reached = await publishPartOfABatch(events, legacyMessage);
      const relay = await started(startRelay(relayOptions(100)));
      await within(relay.caughtUp, 'relay catch-up');
      expect(relay.stats.eventsSkipped, 'events found already published').to.equal(reached.length);
      const messages = await readTopics(kafka, admin, topics.all);
      expectEachEventOnce(messages, events);
      const legacy = messages.filter((message) => message.headers.position !== undefined);
      expect(legacy, 'format-1 messages, decoded like the others').to.have.length(reached.length);
    }).timeout(90_000);
  });
});
