import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { ManualClock, type Clock } from '../../ports/clock';
import type { DeadLetter, DeadLetterEvent, DeadLetterStore, NewDeadLetter } from '../../ports/dead-letters';

/**
 * What every DeadLetterStore adapter must do (ports/dead-letters.ts). The factory opens a store on fresh, empty
 * storage that uses `clock` for its times; `another()` opens a second instance on the same storage (as a second
 * process would), which `close()` closes too.
 */
export interface DeadLetterStoreFixture {
  readonly store: DeadLetterStore;
  another(): Promise<DeadLetterStore>;
  close(): Promise<void>;
}

export type DeadLetterStoreFactory = (clock: Clock) => Promise<DeadLetterStoreFixture>;

/** How long another instance may keep answering "not parked" for a key that got its first letter. */
const OTHER_INSTANCE_WINDOW_MS = 1_100;
/** The slack a loaded machine needs on top of that window before the test calls it a failure. */
const SLACK_MS = 400;

const START = '2026-03-01T10:00:00.000Z';

const anEvent = (overrides: Partial<DeadLetterEvent> = {}): DeadLetterEvent => ({
  eventId: randomUUID(),
  streamId: `order-${randomUUID()}`,
  revision: 3,
  position: 42,
  type: 'OrderPlaced.v1',
  data: { orderId: 'o-1', lines: [{ sku: 'SKU-1', quantity: 2 }], total: { minor: 1250, currency: 'EUR' } },
  metadata: { commandId: 'c-1', correlationId: 'o-1', timestamp: '2026-01-01T00:00:00.000Z', schemaVersion: 1 },
  source: 'orders/0',
  sequence: 17,
  ...overrides,
});

const aLetter = (overrides: Partial<NewDeadLetter> = {}): NewDeadLetter => ({
  consumer: 'saga:place-order',
  key: 'order-1',
  event: anEvent(),
  error: 'Error: payment provider timed out',
  attempts: 3,
  ...overrides,
});

const ids = (letters: readonly DeadLetter[]): number[] => letters.map((l) => l.id);

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it answers true or `ms` passed; answers how long it took, or undefined on time out. */
const timeUntil = async (check: () => Promise<boolean>, ms: number): Promise<number | undefined> => {
  const start = performance.now();
  for (;;) {
    if (await check()) return performance.now() - start;
    if (performance.now() - start > ms) return undefined;
    await sleep(20);
  }
};

export const deadLetterStoreContract = (name: string, open: DeadLetterStoreFactory): void => {
  describe(`DeadLetterStore contract: ${name}`, function () {
    this.timeout(20_000);
    let fixture: DeadLetterStoreFixture | undefined;
    let clock: ManualClock;
    let store: DeadLetterStore;

    beforeEach(async () => {
      clock = new ManualClock(START);
      fixture = await open(clock);
      store = fixture.store;
    });

    afterEach(async () => {
      const opened = fixture;
      fixture = undefined;
      await opened?.close();
    });

    describe('record and get', () => {
      it('answers the stored letter with an id, the attempts and the clock time as first and last failure', async () => {
        const input = aLetter();
        const letter = await store.record(input);

        expect(letter.id).to.be.a('number');
        expect(Number.isSafeInteger(letter.id)).to.equal(true);
        expect(letter).to.deep.equal({ ...input, id: letter.id, firstFailedAt: START, lastFailedAt: START });
        expect(await store.get(letter.id)).to.deep.equal(letter);
      });

      it('answers undefined for an id never stored', async () => {
        const letter = await store.record(aLetter());
        expect(await store.get(letter.id + 1000)).to.equal(undefined);
      });

      it('gives later letters larger ids', async () => {
        const a = await store.record(aLetter({ key: 'a' }));
        const b = await store.record(aLetter({ key: 'b' }));
        const c = await store.record(aLetter({ key: 'a' }));
        expect(b.id).to.be.above(a.id);
        expect(c.id).to.be.above(b.id);
      });

      it('keeps the error to its first 2 000 characters', async () => {
        const letter = await store.record(aLetter({ error: `Error: ${'x'.repeat(5_000)}` }));
        expect(letter.error).to.have.length(2_000);
        expect((await store.get(letter.id))?.error).to.equal(`Error: ${'x'.repeat(1_993)}`);
      });
    });

    describe('the same (consumer, key, event) recorded again', () => {
      it('adds the attempts to one letter, takes the new error and failure time, keeps the first time', async () => {
        const event = anEvent();
        const first = await store.record(aLetter({ event, attempts: 3, error: 'Error: first' }));
        clock.advance(60_000);
        const second = await store.record(aLetter({ event, attempts: 2, error: 'Error: second' }));

        expect(second.id).to.equal(first.id);
        expect(second.attempts).to.equal(5);
        expect(second.error).to.equal('Error: second');
        expect(second.firstFailedAt).to.equal(START);
        expect(second.lastFailedAt).to.equal('2026-03-01T10:01:00.000Z');
        expect(second.event).to.deep.equal(event);
        expect(await store.list()).to.deep.equal([second]);
        expect(await store.get(first.id)).to.deep.equal(second);
      });

      it('is another letter when the consumer or the key differs', async () => {
        const event = anEvent();
        await store.record(aLetter({ event }));
        await store.record(aLetter({ event, key: 'order-2' }));
        await store.record(aLetter({ event, consumer: 'projection:orders' }));
        expect(await store.list()).to.have.length(3);
      });
    });

    describe('list', () => {
      it('answers nothing from an empty store', async () => {
        expect(await store.list()).to.deep.equal([]);
      });

      it('answers every letter by id, filtered by consumer, by key, by both, and at most limit of them', async () => {
        const a1 = await store.record(aLetter({ consumer: 'saga:a', key: 'k1' }));
        const b1 = await store.record(aLetter({ consumer: 'saga:b', key: 'k1' }));
        const a2 = await store.record(aLetter({ consumer: 'saga:a', key: 'k2' }));
        const a1b = await store.record(aLetter({ consumer: 'saga:a', key: 'k1' }));

        expect(ids(await store.list())).to.deep.equal([a1.id, b1.id, a2.id, a1b.id]);
        expect(ids(await store.list({ consumer: 'saga:a' }))).to.deep.equal([a1.id, a2.id, a1b.id]);
        expect(ids(await store.list({ key: 'k1' }))).to.deep.equal([a1.id, b1.id, a1b.id]);
        expect(ids(await store.list({ consumer: 'saga:a', key: 'k1' }))).to.deep.equal([a1.id, a1b.id]);
        expect(ids(await store.list({ consumer: 'saga:c' }))).to.deep.equal([]);
        expect(ids(await store.list({ limit: 2 }))).to.deep.equal([a1.id, b1.id]);
        expect(ids(await store.list({ consumer: 'saga:a', limit: 1 }))).to.deep.equal([a1.id]);
        expect(await store.list({ key: 'k2' })).to.deep.equal([a2]);
      });

      it('answers at most 1 000 letters when no limit is given', async () => {
        for (let i = 0; i < 1_001; i++) await store.record(aLetter({ key: `k-${i}`, attempts: 1 }));
        const all = await store.list();
        expect(all).to.have.length(1_000);
        expect(all[0]?.key).to.equal('k-0');
        expect(all[999]?.key).to.equal('k-999');
        expect(await store.list({ limit: 2_000 })).to.have.length(1_001);
      });
    });

    describe('parkBehind', () => {
      it('writes nothing and answers undefined when the key has no letter', async () => {
        // letters of the same key for another consumer, and of another key for this consumer, do not park it
        await store.record(aLetter({ consumer: 'projection:orders', key: 'order-1' }));
        await store.record(aLetter({ consumer: 'saga:place-order', key: 'order-2' }));
        const before = await store.list();

        expect(await store.parkBehind(aLetter({ consumer: 'saga:place-order', key: 'order-1', attempts: 0 }))).to.equal(
          undefined,
        );
        expect(await store.list()).to.deep.equal(before);
        expect(await store.oldest('saga:place-order', 'order-1')).to.equal(undefined);
      });

      it('writes nothing into an empty store', async () => {
        expect(await store.parkBehind(aLetter())).to.equal(undefined);
        expect(await store.list()).to.deep.equal([]);
        expect(await store.isParked('saga:place-order', 'order-1')).to.equal(false);
      });

      it('records the letter behind the key’s letter when the key has one', async () => {
        const first = await store.record(aLetter());
        clock.advance(1_000);
        const input = aLetter({ error: 'parked behind an earlier dead letter of order-1', attempts: 0 });
        const parked = await store.parkBehind(input);

        expect(parked).to.not.equal(undefined);
        expect(parked).to.deep.equal({
          ...input,
          id: parked?.id,
          firstFailedAt: '2026-03-01T10:00:01.000Z',
          lastFailedAt: '2026-03-01T10:00:01.000Z',
        });
        expect(parked?.id).to.be.above(first.id);
        expect(await store.get(parked?.id ?? -1)).to.deep.equal(parked);
        expect(ids(await store.list({ key: 'order-1' }))).to.deep.equal([first.id, parked?.id]);
        expect((await store.oldest('saga:place-order', 'order-1'))?.id).to.equal(first.id);
      });

      it('counts the same input parked again as attempts on one letter', async () => {
        await store.record(aLetter());
        const event = anEvent();
        const once = await store.parkBehind(aLetter({ event, attempts: 1 }));
        const twice = await store.parkBehind(aLetter({ event, attempts: 2 }));
        expect(twice?.id).to.equal(once?.id);
        expect(twice?.attempts).to.equal(3);
        expect(await store.list()).to.have.length(2);
      });

      it('parks nothing once the key’s letters were all removed', async () => {
        const first = await store.record(aLetter());
        expect(await store.remove(first.id)).to.equal(true);
        expect(await store.parkBehind(aLetter())).to.equal(undefined);
        expect(await store.list()).to.deep.equal([]);
      });
    });

    describe('oldest', () => {
      it('answers the key’s letter with the lowest id, for that consumer only', async () => {
        expect(await store.oldest('saga:place-order', 'order-1')).to.equal(undefined);
        await store.record(aLetter({ consumer: 'saga:other', key: 'order-1' }));
        const first = await store.record(aLetter());
        await store.record(aLetter({ key: 'order-2' }));
        const second = await store.record(aLetter());

        expect(await store.oldest('saga:place-order', 'order-1')).to.deep.equal(first);
        expect(await store.remove(first.id)).to.equal(true);
        expect(await store.oldest('saga:place-order', 'order-1')).to.deep.equal(second);
        expect(await store.oldest('saga:place-order', 'order-3')).to.equal(undefined);
      });
    });

    describe('failedAgain', () => {
      it('adds one attempt, replaces the error and moves the last failure time', async () => {
        const letter = await store.record(aLetter({ attempts: 3 }));
        clock.advance(5 * 60_000);
        await store.failedAgain(letter.id, 'Error: still failing');

        const after = await store.get(letter.id);
        expect(after).to.deep.equal({
          ...letter,
          attempts: 4,
          error: 'Error: still failing',
          lastFailedAt: '2026-03-01T10:05:00.000Z',
        });
      });

      it('keeps the error to its first 2 000 characters', async () => {
        const letter = await store.record(aLetter());
        await store.failedAgain(letter.id, 'y'.repeat(3_000));
        expect((await store.get(letter.id))?.error).to.equal('y'.repeat(2_000));
      });

      it('changes nothing for an unknown id', async () => {
        const letter = await store.record(aLetter());
        await store.failedAgain(letter.id + 1000, 'Error: who?');
        expect(await store.list()).to.deep.equal([letter]);
      });
    });

    describe('remove', () => {
      it('answers true once, then false, and the letter is gone', async () => {
        const letter = await store.record(aLetter());
        const other = await store.record(aLetter({ key: 'order-2' }));
        expect(await store.remove(letter.id)).to.equal(true);
        expect(await store.get(letter.id)).to.equal(undefined);
        expect(await store.remove(letter.id)).to.equal(false);
        expect(await store.list()).to.deep.equal([other]);
      });

      it('answers false for an id never stored', async () => {
        expect(await store.remove(12345)).to.equal(false);
      });
    });

    describe('countByConsumer', () => {
      it('answers an empty map for an empty store, then the letters per consumer', async () => {
        expect([...(await store.countByConsumer())]).to.deep.equal([]);
        await store.record(aLetter({ consumer: 'saga:a', key: 'k1' }));
        await store.record(aLetter({ consumer: 'saga:a', key: 'k2' }));
        await store.parkBehind(aLetter({ consumer: 'saga:a', key: 'k1' }));
        const gone = await store.record(aLetter({ consumer: 'saga:b', key: 'k1' }));
        await store.record(aLetter({ consumer: 'projection:orders', key: 'o-1' }));
        await store.remove(gone.id);

        const counts = await store.countByConsumer();
        expect(Object.fromEntries(counts)).to.deep.equal({ 'saga:a': 3, 'projection:orders': 1 });
      });
    });

    describe('the event as recorded', () => {
      const cases: readonly [string, Partial<DeadLetterEvent>][] = [
        [
          'nested data with unicode, numbers and nulls',
          {
            data: {
              name: 'Crème brûlée 😀 "quoted" \\ back',
              amount: { minor: 123456789012, currency: 'EUR' },
              ratio: 0.125,
              negative: -7,
              flags: [true, false, null],
              empty: {},
              list: [],
              nested: { deeper: { deepest: ['a', 1, { b: null }] } },
            },
          },
        ],
        ['null data and null metadata', { data: null, metadata: null }],
        ['scalar data and metadata', { data: 'just a string', metadata: 7 }],
        ['an array as data', { data: [1, 'two', { three: 3 }] }],
        ['an input that is not a stored event', { revision: null, position: null, source: null, sequence: null }],
        [
          'large positions and sequences',
          { revision: 2 ** 40, position: Number.MAX_SAFE_INTEGER, sequence: 2 ** 50, source: 'inventory/7' },
        ],
      ];
      for (const [what, overrides] of cases) {
        it(`round-trips ${what}`, async () => {
          const event = anEvent(overrides);
          const recorded = await store.record(aLetter({ event }));
          expect(recorded.event).to.deep.equal(event);
          expect((await store.get(recorded.id))?.event).to.deep.equal(event);
          expect((await store.list())[0]?.event).to.deep.equal(event);
          const behind = { ...event, eventId: randomUUID() };
          expect((await store.parkBehind(aLetter({ event: behind })))?.event).to.deep.equal(behind);
        });
      }

      it('keeps the order of object keys', async () => {
        const event = anEvent({ data: { z: 1, a: 2, m: { y: 1, b: 2 } } });
        const recorded = await store.get((await store.record(aLetter({ event }))).id);
        expect(JSON.stringify(recorded?.event.data)).to.equal('{"z":1,"a":2,"m":{"y":1,"b":2}}');
      });

      it('stores undefined data as null', async () => {
        const recorded = await store.record(aLetter({ event: anEvent({ data: undefined }) }));
        expect((await store.get(recorded.id))?.event.data).to.equal(null);
      });
    });

    describe('isParked', () => {
      it('is false in an empty store, true after record in the same process, false again after remove', async () => {
        expect(await store.isParked('saga:place-order', 'order-1')).to.equal(false);
        const letter = await store.record(aLetter());
        expect(await store.isParked('saga:place-order', 'order-1')).to.equal(true);
        expect(await store.isParked('saga:place-order', 'order-2')).to.equal(false);
        expect(await store.isParked('saga:other', 'order-1')).to.equal(false);
        expect(await store.remove(letter.id)).to.equal(true);
        expect(await store.isParked('saga:place-order', 'order-1')).to.equal(false);
      });

      it('stays true while a parked letter is left behind the removed first one', async () => {
        const first = await store.record(aLetter());
        const parked = await store.parkBehind(aLetter());
        expect(await store.remove(first.id)).to.equal(true);
        expect(await store.isParked('saga:place-order', 'order-1')).to.equal(true);
        expect(await store.remove(parked?.id ?? -1)).to.equal(true);
        expect(await store.isParked('saga:place-order', 'order-1')).to.equal(false);
      });

      it('is true right after record even when asked many times before (no stale "empty" answer)', async () => {
        for (let i = 0; i < 20; i++) expect(await store.isParked('saga:place-order', 'order-1')).to.equal(false);
        await store.record(aLetter());
        expect(await store.isParked('saga:place-order', 'order-1')).to.equal(true);
      });

      it(`sees another instance’s letter within ${OTHER_INSTANCE_WINDOW_MS} ms, and its removal`, async function () {
        this.timeout(20_000);
        const other = await (fixture ?? { another: () => Promise.reject(new Error('no fixture')) }).another();
        // both have answered "nothing parked", so each may hold a cached "empty" answer
        expect(await store.isParked('saga:place-order', 'order-1')).to.equal(false);
        expect(await other.isParked('saga:place-order', 'order-1')).to.equal(false);

        const letter = await store.record(aLetter());
        const seenIn = await timeUntil(
          () => other.isParked('saga:place-order', 'order-1'),
          OTHER_INSTANCE_WINDOW_MS + SLACK_MS,
        );
        expect(seenIn, 'the other instance sees the letter').to.not.equal(undefined);
        expect(seenIn).to.be.at.most(OTHER_INSTANCE_WINDOW_MS + SLACK_MS);
        expect(await other.oldest('saga:place-order', 'order-1')).to.deep.equal(letter);

        expect(await other.remove(letter.id)).to.equal(true);
        const clearedIn = await timeUntil(
          async () => !(await store.isParked('saga:place-order', 'order-1')),
          OTHER_INSTANCE_WINDOW_MS + SLACK_MS,
        );
        expect(clearedIn, 'the first instance sees the removal').to.not.equal(undefined);
      });
    });

    describe('close', () => {
      it('can be called twice', async () => {
        await store.close();
        await store.close();
      });
    });
  });
};
