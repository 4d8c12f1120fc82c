import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import {
  WrongExpectedRevisionError,
  type EventMetadata,
  type EventStore,
  type NewEvent,
  type RecordedEvent,
  type StoredEvent,
  type Subscription,
} from '../../ports/event-store';

export interface EventStoreContractOptions {
  /**
   * The store is shared with other tests or clients (a real EventStoreDB): the suite then only asserts about its
   * own random streams and skips what needs an empty store.
   */
  readonly shared?: boolean;
  /** the store keeps events as JSON text and offers `subscribeToAllStored` (default true) */
  readonly storesJsonText?: boolean;
}

/** Longest a test waits for a subscription to see something; far above what a working store needs. */
const WAIT_MS = 5000;

const metadataFor = (commandId: string, overrides: Partial<EventMetadata> = {}): EventMetadata => ({
  commandId,
  causationId: commandId,
  correlationId: `order-${commandId}`,
  timestamp: '2024-05-01T12:00:00.000Z',
  schemaVersion: 1,
  ...overrides,
});

const anEvent = (label: string, overrides: Partial<EventMetadata> = {}): NewEvent => ({
  eventId: randomUUID(),
  type: 'ThingHappened.v1',
  data: { label, amount: { minor: 1250, currency: 'EUR' }, lines: [{ sku: 'SKU-1', quantity: 2 }] },
  metadata: metadataFor(randomUUID(), overrides),
});

const events = (prefix: string, count: number): NewEvent[] =>
  Array.from({ length: count }, (_, index) => anEvent(`${prefix}${index}`));

const labels = (prefix: string, count: number): string[] =>
  Array.from({ length: count }, (_, index) => `${prefix}${index}`);

const labelOf = (event: RecordedEvent): string => {
  const data = event.data as { readonly label?: unknown };
  return typeof data.label === 'string' ? data.label : '';
};

const rejectionOf = async (promise: Promise<unknown>): Promise<unknown> => {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject, but it fulfilled');
};

const within = async <T>(promise: Promise<T>, what: string, ms = WAIT_MS): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
    }, ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
};

/** Collects what a subscription delivers for a set of streams, and lets a test wait for a condition on it. */
class Collector {
  readonly events: RecordedEvent[] = [];
  readonly batchSizes: number[] = [];
  private waiters: { readonly check: () => boolean; readonly resolve: () => void }[] = [];

  constructor(private readonly streams: ReadonlySet<string>) {}

  readonly handle = (batch: readonly RecordedEvent[]): void => {
    this.batchSizes.push(batch.length);
    for (const event of batch) if (this.streams.has(event.streamId)) this.events.push(event);
    this.waiters = this.waiters.filter((waiter) => {
      if (!waiter.check()) return true;
      waiter.resolve();
      return false;
    });
  };

  labels(): string[] {
    return this.events.map(labelOf);
  }

  async until(check: () => boolean, what: string): Promise<void> {
    if (check()) return;
    await within(
      new Promise<void>((resolve) => {
        this.waiters.push({ check, resolve });
      }),
      what,
    );
  }
}

const strictlyIncreasing = (values: readonly number[]): boolean =>
  values.every((value, index) => index === 0 || value > (values[index - 1] ?? Number.POSITIVE_INFINITY));

/**
 * The behaviour every EventStore adapter must show. Streams get random names, so the suite can run against a
 * shared server.
 */
export const eventStoreContract = (
  name: string,
  factory: () => Promise<EventStore>,
  options: EventStoreContractOptions = {},
): void => {
  describe(name, function () {
    this.timeout(20000);

    let store: EventStore;
    let subscriptions: Subscription[];
    const streamName = (kind: string): string => `${kind}-${randomUUID()}`;
    const subscribe = (...args: Parameters<EventStore['subscribeToAll']>): Subscription => {
      const subscription = store.subscribeToAll(...args);
      subscriptions.push(subscription);
      return subscription;
    };

    beforeEach(async () => {
      subscriptions = [];
      store = await factory();
    });

    afterEach(async () => {
      await Promise.all(subscriptions.map((subscription) => subscription.stop()));
      await store.close();
    });

    describe('appending', () => {
      it('creates a new stream with no_stream and numbers its events from revision 0', async () => {
        const stream = streamName('order');
        const result = await store.append(stream, events('e', 3), 'no_stream');

        const recorded = await store.readStream(stream);
        expect(recorded.map((event) => event.revision)).to.deep.equal([0, 1, 2]);
        expect(result.revision).to.equal(2);
      });

      it('answers the position of the last event written', async () => {
        const stream = streamName('order');
        const result = await store.append(stream, events('e', 3), 'no_stream');

        const recorded = await store.readStream(stream);
        expect(result.position).to.equal(recorded[2]?.position);
      });

      it('rejects no_stream when the stream exists, naming its actual revision', async () => {
        const stream = streamName('order');
        await store.append(stream, events('e', 2), 'no_stream');

        const error = await rejectionOf(store.append(stream, events('f', 1), 'no_stream'));

        expect(error).to.be.instanceOf(WrongExpectedRevisionError);
        expect(error).to.include({ streamId: stream, expected: 'no_stream', actual: 1 });
      });

      it('appends at the exact expected revision', async () => {
        const stream = streamName('order');
        await store.append(stream, events('a', 2), 'no_stream');

        const result = await store.append(stream, events('b', 2), 1);

        expect(result.revision).to.equal(3);
        expect((await store.readStream(stream)).map(labelOf)).to.deep.equal(['a0', 'a1', 'b0', 'b1']);
      });

      it('rejects a stale expected revision with the actual one and writes nothing', async () => {
        const stream = streamName('order');
        await store.append(stream, events('a', 3), 'no_stream');

        const error = await rejectionOf(store.append(stream, events('b', 1), 0));

        expect(error).to.be.instanceOf(WrongExpectedRevisionError);
        expect(error).to.include({ expected: 0, actual: 2 });
        expect(await store.readStream(stream)).to.have.length(3);
      });

      it('rejects an expected revision for a stream that does not exist, with actual no_stream', async () => {
        const stream = streamName('order');

        const error = await rejectionOf(store.append(stream, events('a', 1), 0));

        expect(error).to.be.instanceOf(WrongExpectedRevisionError);
        expect(error).to.include({ actual: 'no_stream' });
      });

      it('appends with any whether the stream exists or not', async () => {
        const stream = streamName('order');

        await store.append(stream, events('a', 1), 'any');
        const result = await store.append(stream, events('b', 1), 'any');

        expect(result.revision).to.equal(1);
      });

      it('lets exactly one of two concurrent appends at the same expected revision win', async () => {
        const stream = streamName('inventory');
        await store.append(stream, events('a', 1), 'no_stream');

        const outcomes = await Promise.allSettled([
          store.append(stream, [anEvent('left')], 0),
          store.append(stream, [anEvent('right')], 0),
        ]);

        const winners = outcomes.filter((outcome) => outcome.status === 'fulfilled');
        const losers = outcomes.flatMap((outcome) =>
          outcome.status === 'rejected' ? [outcome.reason as unknown] : [],
        );
        expect(winners).to.have.length(1);
        expect(losers).to.have.length(1);
        expect(losers[0]).to.be.instanceOf(WrongExpectedRevisionError);
        expect(losers[0]).to.include({ expected: 0, actual: 1 });
        expect(await store.readStream(stream)).to.have.length(2);
      });

      it('answers a repeated append of the same event ids with the first result and stores them once', async () => {
        const stream = streamName('payment');
        const batch = events('a', 3);
        const first = await store.append(stream, batch, 'no_stream');

        const repeat = await store.append(stream, batch, 'no_stream');

        expect(first.repeated).to.equal(undefined);
        expect(repeat).to.deep.equal({ ...first, repeated: { streamId: stream } });
        expect((await store.readStream(stream)).map(labelOf)).to.deep.equal(['a0', 'a1', 'a2']);
      });
    });

    describe('commands', () => {
      it('records the command with its append, so findCommand answers its result', async () => {
        const stream = streamName('order');
        const commandId = randomUUID();

        const result = await store.append(stream, events('a', 2), 'no_stream', { commandId });

        expect(await store.findCommand(commandId)).to.deep.equal({ streamId: stream, ...result });
      });

      it('answers a repeated command with its first result and appends nothing', async () => {
        const stream = streamName('order');
        const commandId = randomUUID();
        const first = await store.append(stream, events('a', 1), 'no_stream', { commandId });

        const repeat = await store.append(stream, events('b', 2), 'any', { commandId });

        expect(first.repeated).to.equal(undefined);
        expect(repeat).to.deep.equal({ ...first, repeated: { streamId: stream } });
        expect((await store.readStream(stream)).map(labelOf)).to.deep.equal(['a0']);
      });

      it('answers a command repeated on another stream with the stream it first wrote, and appends nothing', async () => {
        const stream = streamName('order');
        const other = streamName('order');
        const commandId = randomUUID();
        const first = await store.append(stream, events('a', 1), 'no_stream', { commandId });

        const repeat = await store.append(other, events('b', 1), 'no_stream', { commandId });

        expect(repeat).to.deep.equal({ ...first, repeated: { streamId: stream } });
        expect(await store.readStream(other)).to.have.length(0);
      });

      it('answers a repeated command whose expected revision the stream has moved past with its first result', async () => {
        const stream = streamName('order');
        const commandId = randomUUID();
        const first = await store.append(stream, events('a', 1), 'no_stream', { commandId });
        await store.append(stream, events('c', 1), 0);

        const repeat = await store.append(stream, events('a', 1), 'no_stream', { commandId });

        expect(repeat).to.deep.equal({ ...first, repeated: { streamId: stream } });
        expect((await store.readStream(stream)).map(labelOf)).to.deep.equal(['a0', 'c0']);
      });

      it('answers undefined for a command it never saw', async () => {
        expect(await store.findCommand(randomUUID())).to.equal(undefined);
      });
    });

    describe('reading a stream', () => {
      it('returns its events in revision order', async () => {
        const stream = streamName('order');
        await store.append(stream, events('a', 2), 'no_stream');
        await store.append(streamName('other'), events('x', 1), 'no_stream');
        await store.append(stream, events('b', 2), 1);

        const recorded = await store.readStream(stream);

        expect(recorded.map(labelOf)).to.deep.equal(['a0', 'a1', 'b0', 'b1']);
        expect(recorded.every((event) => event.streamId === stream)).to.equal(true);
      });

      it('starts at fromRevision', async () => {
        const stream = streamName('order');
        await store.append(stream, events('a', 5), 'no_stream');

        const recorded = await store.readStream(stream, { fromRevision: 3 });

        expect(recorded.map((event) => event.revision)).to.deep.equal([3, 4]);
      });

      it('returns nothing for a stream that does not exist', async () => {
        expect(await store.readStream(streamName('missing'))).to.deep.equal([]);
      });

      it('round-trips data and every metadata field', async () => {
        const stream = streamName('order');
        const event: NewEvent = {
          eventId: randomUUID(),
          type: 'OrderPlaced.v2',
          data: { orderId: 'o-1', total: { minor: 4999, currency: 'USD' }, note: 'ünïcødé "quoted"', tags: [] },
          metadata: {
            commandId: randomUUID(),
            causationId: randomUUID(),
            correlationId: randomUUID(),
            timestamp: '2024-05-01T12:34:56.789Z',
            schemaVersion: 2,
            requestFingerprint: 'pAv1p6wVt0hD4kqvK6u4J9xWm0q1cZkQ8l2h3sJt5Yw',
          },
        };
        await store.append(stream, [event], 'no_stream');

        const [recorded] = await store.readStream(stream);

        expect(recorded).to.deep.include({
          eventId: event.eventId,
          type: event.type,
          data: event.data,
          metadata: event.metadata,
        });
      });
    });

    describe('reading all', () => {
      it('returns events of all streams in append order, with strictly increasing positions', async () => {
        const start = await store.headPosition();
        const first = streamName('order');
        const second = streamName('payment');
        await store.append(first, events('a', 2), 'no_stream');
        await store.append(second, events('b', 1), 'no_stream');
        await store.append(first, events('c', 1), 1);

        const recorded = (await store.readAll({ after: start, maxCount: 1000 })).filter(
          (event) => event.streamId === first || event.streamId === second,
        );

        expect(recorded.map(labelOf)).to.deep.equal(['a0', 'a1', 'b0', 'c0']);
        expect(strictlyIncreasing(recorded.map((event) => event.position))).to.equal(true);
        expect(recorded.every((event) => event.position > start)).to.equal(true);
      });

      it('reads from a position in batches without losing or repeating events at batch boundaries', async () => {
        const start = await store.headPosition();
        const stream = streamName('order');
        for (let i = 0; i < 5; i += 1) await store.append(stream, events(`b${i}-`, 3), i === 0 ? 'no_stream' : 'any');

        const all = await store.readAll({ after: start, maxCount: 1000 });
        const paged: RecordedEvent[] = [];
        let after = start;
        for (;;) {
          const page = await store.readAll({ after, maxCount: 4 });
          const last = page[page.length - 1];
          if (last === undefined) break;
          expect(page.length).to.be.at.most(4);
          paged.push(...page);
          after = last.position;
        }

        const ours = (list: readonly RecordedEvent[]): string[] =>
          list.filter((event) => event.streamId === stream).map((event) => event.eventId);
        expect(ours(paged)).to.deep.equal(ours(all));
        expect(ours(paged)).to.have.length(15);
        expect(strictlyIncreasing(paged.map((event) => event.position))).to.equal(true);
      });

      it('reads nothing after the head position', async () => {
        await store.append(streamName('order'), events('a', 2), 'no_stream');

        const head = await store.headPosition();

        expect(await store.readAll({ after: head, maxCount: 10 })).to.deep.equal([]);
      });
    });

    describe('the head position', () => {
      it('is the position of the last event in the log', async () => {
        const result = await store.append(streamName('order'), events('a', 3), 'no_stream');

        const head = await store.headPosition();

        if (options.shared === true) expect(head).to.be.at.least(result.position);
        else expect(head).to.equal(result.position);
      });

      if (options.shared !== true) {
        it('is 0 for an empty store', async () => {
          expect(await store.headPosition()).to.equal(0);
        });
      }
    });

    describe('subscribing to all', () => {
      it('delivers the history after the checkpoint, then live appends, in order and without duplicates', async () => {
        const stream = streamName('order');
        await store.append(stream, events('old', 2), 'no_stream');
        const checkpoint = (await store.append(stream, events('seen', 1), 1)).position;
        await store.append(stream, events('history', 3), 2);
        const collector = new Collector(new Set([stream]));

        const subscription = subscribe({ after: checkpoint, batchSize: 2 }, collector.handle);
        await within(subscription.caughtUp, 'the subscription to catch up');
        expect(collector.labels()).to.deep.equal(['history0', 'history1', 'history2']);

        await store.append(stream, events('live', 2), 5);
        await store.append(stream, events('later', 1), 7);
        await collector.until(() => collector.events.length >= 6, 'the live events');

        expect(collector.labels()).to.deep.equal(['history0', 'history1', 'history2', 'live0', 'live1', 'later0']);
        expect(strictlyIncreasing(collector.events.map((event) => event.position))).to.equal(true);
        expect(collector.events.every((event) => event.position > checkpoint)).to.equal(true);
      });

      it('catches up at once when nothing follows the checkpoint', async () => {
        const stream = streamName('order');
        await store.append(stream, events('a', 1), 'no_stream');
        const collector = new Collector(new Set([stream]));

        const subscription = subscribe({ after: await store.headPosition() }, collector.handle);

        await within(subscription.caughtUp, 'the subscription to catch up');
        expect(collector.events).to.deep.equal([]);
      });

      it('waits for each batch handler before handing over the next batch, never more than batchSize', async () => {
        const start = await store.headPosition();
        const stream = streamName('order');
        await store.append(stream, events('h', 7), 'no_stream');
        let active = 0;
        let mostActive = 0;
        const collector = new Collector(new Set([stream]));

        subscribe({ after: start, batchSize: 3 }, async (batch) => {
          active += 1;
          mostActive = Math.max(mostActive, active);
          // Slow, asynchronous work: a store that does not await the handler would overlap the next batch.
          for (let turn = 0; turn < 5; turn += 1) await nextTurn();
          collector.handle(batch);
          active -= 1;
        });
        await collector.until(() => collector.events.length >= 7, 'seven events');
        await store.append(stream, events('l', 4), 6);
        await collector.until(() => collector.events.length >= 11, 'eleven events');

        expect(mostActive).to.equal(1);
        expect(Math.max(...collector.batchSizes)).to.be.at.most(3);
        expect(collector.labels()).to.deep.equal([...labels('h', 7), ...labels('l', 4)]);
      });

      it('stops promptly when asked and delivers nothing afterwards', async () => {
        const stream = streamName('order');
        await store.append(stream, events('before', 1), 'no_stream');
        const start = await store.headPosition();
        const stopped = new Collector(new Set([stream]));
        const subscription = subscribe({ after: start }, stopped.handle);
        await within(subscription.caughtUp, 'the subscription to catch up');

        await within(subscription.stop(), 'stop() to finish', 2000);
        await within(subscription.done, 'done to resolve', 2000);
        await store.append(stream, events('after', 1), 0);
        // A second subscription seeing the event shows it was delivered to live subscribers.
        const witness = new Collector(new Set([stream]));
        subscribe({ after: start }, witness.handle);
        await witness.until(() => witness.events.length >= 1, 'the witness to see the event');

        expect(stopped.events).to.deep.equal([]);
      });

      it('rejects done with the error a handler throws, and stops', async () => {
        const start = await store.headPosition();
        const stream = streamName('order');
        await store.append(stream, events('a', 3), 'no_stream');
        let calls = 0;

        const subscription = subscribe({ after: start, batchSize: 1 }, (batch) => {
          if (batch.some((event) => event.streamId === stream)) {
            calls += 1;
            throw new Error('projection failed');
          }
        });

        const error = await within(rejectionOf(subscription.done), 'done to reject');
        expect(error).to.be.instanceOf(Error);
        expect((error as Error).message).to.equal('projection failed');
        expect(calls).to.equal(1);
      });

      it('delivers every metadata field', async () => {
        const start = await store.headPosition();
        const stream = streamName('order');
        const event = anEvent('m', { correlationId: randomUUID(), schemaVersion: 3 });
        await store.append(stream, [event], 'no_stream');
        const collector = new Collector(new Set([stream]));

        subscribe({ after: start }, collector.handle);
        await collector.until(() => collector.events.length >= 1, 'the event');

        expect(collector.events[0]).to.deep.include({
          streamId: stream,
          revision: 0,
          eventId: event.eventId,
          metadata: event.metadata,
        });
      });
    });

    describe('subscribing to all as stored', () => {
      if (options.storesJsonText === false) {
        it('is left out: a forwarder serializes what subscribeToAll delivers', () => {
          expect('subscribeToAllStored' in store).to.equal(false);
        });
        return;
      }

      /** the stored event with its JSON text parsed: what `readStream` answers for it */
      const parsed = (event: StoredEvent): RecordedEvent => ({
        ...event,
        data: JSON.parse(event.data) as unknown,
        metadata: JSON.parse(event.metadata) as RecordedEvent['metadata'],
      });

      it('delivers the history, then live appends, as JSON text that parses to the recorded events', async () => {
        const start = await store.headPosition();
        const stream = streamName('order');
        await store.append(stream, [anEvent('h0', { requestFingerprint: 'fp-1' }), anEvent('h1')], 'no_stream');
        const delivered: StoredEvent[] = [];
        const batchSizes: number[] = [];
        const subscribeStored = store.subscribeToAllStored?.bind(store);
        expect(subscribeStored, 'subscribeToAllStored').to.be.a('function');
        if (subscribeStored === undefined) return;
        const subscription = subscribeStored({ after: start, batchSize: 1 }, (batch) => {
          batchSizes.push(batch.length);
          delivered.push(...batch.filter((event) => event.streamId === stream));
        });
        subscriptions.push(subscription);
        await within(subscription.caughtUp, 'the subscription to catch up');
        expect(delivered).to.have.length(2);

        await store.append(stream, [anEvent('live0'), { ...anEvent('live1'), data: null }], 1);
        await within(
          (async () => {
            while (delivered.length < 4) await new Promise((resolve) => setTimeout(resolve, 5));
          })(),
          'the live events',
        );

        expect(delivered.every((event) => typeof event.data === 'string' && typeof event.metadata === 'string')).to.be
          .true;
        expect(delivered.map(parsed)).to.deep.equal(await store.readStream(stream));
        expect(Math.max(...batchSizes)).to.equal(1);
      });
    });
  });
};
