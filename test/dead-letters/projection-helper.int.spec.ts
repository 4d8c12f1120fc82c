import { expect } from 'chai';
import { ManualClock } from '../../ports/clock';
import { StoreUnavailableError } from '../../ports/event-store';
import type { Delivery } from '../../ports/message-bus';
import { openSqliteDeadLetterStore, type SqliteDeadLetterStore } from '../../infra/sqlite/sqlite-dead-letter-store';
import { deadLetterEventOf, handleWithDeadLetters } from '../../ports/dead-letters';

const delivery = (sequence: number, streamId: string): Delivery => ({
  source: '$all',
  sequence,
  event: {
    eventId: `e-${sequence}`,
    streamId,
    revision: sequence,
    position: sequence,
    type: 'Something.v1',
    data: { n: sequence },
    metadata: {
      commandId: 'c',
      causationId: 'c',
      correlationId: 'c',
      timestamp: '2026-03-01T10:00:00.000Z',
      schemaVersion: 1,
    },
  },
});

describe('a projection consuming through the dead-letter helper', () => {
  let store: SqliteDeadLetterStore;
  let applied: number[];
  let calls: number;
  const poison = new Set<number>();

  /** a worker that applies what it can and throws on a poison event (the whole batch fails with it) */
  const worker = (batch: readonly Delivery[]): Promise<void> => {
    calls += 1;
    if (batch.some((d) => poison.has(d.sequence))) return Promise.reject(new Error('cannot project'));
    applied.push(...batch.map((d) => d.sequence));
    return Promise.resolve();
  };
  const policy = () => ({
    consumer: 'projection:orders',
    store,
    attempts: 2,
    keyOf: (d: Delivery) => d.event.streamId,
  });

  beforeEach(() => {
    store = openSqliteDeadLetterStore(':memory:', new ManualClock('2026-03-01T10:00:00.000Z'));
    applied = [];
    calls = 0;
    poison.clear();
  });
  afterEach(async () => {
    await store.close();
  });

  it('applies a healthy batch in one call', async () => {
    await handleWithDeadLetters([delivery(1, 'order-a'), delivery(2, 'order-b')], worker, policy());
    expect(applied).to.deep.equal([1, 2]);
    expect(calls).to.equal(1);
    expect(await store.list()).to.deep.equal([]);
  });

  it('dead-letters nothing while the store is down: the batch fails, to come again', async () => {
    const down = (): Promise<void> => {
      calls += 1;
      return Promise.reject(new StoreUnavailableError('PostgreSQL', new Error('connection refused')));
    };
    const handling = handleWithDeadLetters([delivery(1, 'order-a'), delivery(2, 'order-b')], down, policy());
    await handling.then(
      () => expect.fail('the batch should fail'),
      (error: unknown) => expect(error).to.be.instanceOf(StoreUnavailableError),
    );
    expect(calls).to.equal(1);
    expect(await store.list()).to.deep.equal([]);
  });

  it('dead-letters only the poison event, parks the later events of its key, and applies the others', async () => {
    poison.add(2);
    await handleWithDeadLetters(
      [delivery(1, 'order-a'), delivery(2, 'order-b'), delivery(3, 'order-c'), delivery(4, 'order-b')],
      worker,
      policy(),
    );
    expect(applied).to.deep.equal([1, 3]);
    const letters = await store.list();
    expect(letters.map((l) => [l.key, l.event.sequence, l.attempts])).to.deep.equal([
      ['order-b', 2, 2],
      ['order-b', 4, 0],
    ]);
    expect(letters[0]?.error).to.equal('Error: cannot project');
    expect(letters[1]?.error).to.match(/parked behind an earlier dead letter of order-b/);
    expect(await store.countByConsumer()).to.deep.equal(new Map([['projection:orders', 2]]));
  });

  it('keeps parking a key in later batches until its letters are handled', async () => {
    poison.add(2);
    await handleWithDeadLetters([delivery(2, 'order-b')], worker, policy());
    poison.clear();
    await handleWithDeadLetters([delivery(5, 'order-b'), delivery(6, 'order-d')], worker, policy());
    expect(applied).to.deep.equal([6]);
    expect((await store.list({ key: 'order-b' })).map((l) => l.event.sequence)).to.deep.equal([2, 5]);
  });

  it('counts a repeated failure of the same event as more attempts on one letter', async () => {
    const event = deadLetterEventOf(delivery(2, 'order-b'));
    await store.record({ consumer: 'projection:orders', key: 'order-b', event, error: 'first', attempts: 1 });
    await store.record({ consumer: 'projection:orders', key: 'order-b', event, error: 'again', attempts: 1 });
    expect((await store.list()).map((l) => [l.attempts, l.error])).to.deep.equal([[2, 'again']]);
  });
});
