import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { openPgEventStore, type PgEventStore, type PgEventStoreOptions } from '../../infra/postgres/pg-event-store';
import { PartialDuplicateAppendError } from '../../infra/event-append';
import {
  WrongExpectedRevisionError,
  type NewEvent,
  type RecordedEvent,
  type Subscription,
} from '../../ports/event-store';
import { withTimeout } from '../../tools/services/clients';
import { eventStoreContract } from './event-store.contract';
import { logReaderContract } from './log-reader.contract';
import { postgresSchemas } from '../postgres-schemas';

/**
 * The event store and log reader contracts, unchanged, against a real PostgreSQL (the throwaway cluster
 * `npm run test:services` starts), plus what only a server with concurrent transactions can show: appends that
 * commit out of order never make a subscriber skip or repeat an event. Each test gets its own schema and drops it.
 */

const anEvent = (label: string): NewEvent => {
  const commandId = randomUUID();
  return {
    eventId: randomUUID(),
    type: 'ThingHappened.v1',
    data: { label },
    metadata: {
      commandId,
      causationId: commandId,
      correlationId: label,
      timestamp: '2026-01-01T00:00:00.000Z',
      schemaVersion: 1,
    },
  };
};

const within = async <T>(promise: Promise<T>, ms: number, what: string): Promise<T> => withTimeout(promise, ms, what);

describe('the event store on PostgreSQL', () => {
  const schemas = postgresSchemas('es_contract');
  const postgresUrl = schemas.url;
  const opened: { schema: string; stores: PgEventStore[] }[] = [];

  /** A store on a fresh schema; every store opened here is closed and its schema dropped after the test. */
  const openStore = async (options: Partial<PgEventStoreOptions> = {}): Promise<PgEventStore> => {
    const schema = options.schema ?? schemas.next();
    const store = await openPgEventStore({ url: postgresUrl, ...options, schema });
    const entry = opened.find((e) => e.schema === schema);
    if (entry === undefined) opened.push({ schema, stores: [store] });
    else entry.stores.push(store);
    return store;
  };

  // Runs after the contracts' own afterEach closed their store (closing twice is a no-op).
  afterEach(async () => {
    for (const { schema, stores } of opened.splice(0)) {
      for (const store of stores) await withTimeout(store.close(), 10_000, 'closing an event store');
      await schemas.drop(schema);
    }
  });

  eventStoreContract('PostgreSQL adapter', () => openStore());

  eventStoreContract('PostgreSQL adapter, one append per transaction', () =>
    openStore({ maxAppendsPerTransaction: 1 }),
  );

  logReaderContract('PostgreSQL, by type in SQL', async () => {
    const store = await openStore();
    return { store, reader: store.logReader(), close: () => store.close() };
  });

  describe('checkpoints', () => {
    it('answers 0 for a name never saved, then the last position saved, also from another instance', async () => {
      const store = await openStore();
      const checkpoints = store.checkpointStore();
      expect(await checkpoints.load('projection:orders')).to.equal(0);

      await checkpoints.save('projection:orders', 12);
      await checkpoints.save('projection:orders', 40);
      await checkpoints.save('relay:', 7);

      const other = await openStore({ schema: store.tables.schema });
      expect(await other.checkpointStore().load('projection:orders')).to.equal(40);
      expect(await other.checkpointStore().load('relay:')).to.equal(7);
    });

    it('refuses a position that is not a non-negative safe integer', async () => {
      const store = await openStore();
      const error = await store
        .checkpointStore()
        .save('x', -1)
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(error).to.be.instanceOf(RangeError);
    });
  });

  describe('group commit', () => {
    it('writes appends that arrive together in fewer transactions, each with its own outcome', async () => {
      const store = await openStore();
      await store.append('taken', [anEvent('first')], 'no_stream');
      const before = store.transactionCount;

      const outcomes = await Promise.allSettled([
        ...Array.from({ length: 20 }, (_, i) => store.append(`s-${i}`, [anEvent(`e${i}`)], 'no_stream')),
        store.append('taken', [anEvent('late')], 'no_stream'),
      ]);

      expect(outcomes.slice(0, 20).every((o) => o.status === 'fulfilled')).to.equal(true);
      expect(outcomes[20]?.status).to.equal('rejected');
      expect(store.transactionCount - before).to.be.below(5);
      const positions = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value.position] : []));
      expect(new Set(positions).size).to.equal(20);
      expect(await store.headPosition()).to.equal(21);
    });

    it('keeps the other appends of a transaction when the server refuses one of them', async () => {
      const store = await openStore();
      const outcomes = await Promise.allSettled([
        store.append('fine-1', [anEvent('a')], 'no_stream'),
        // text columns cannot hold NUL: the server refuses this append's stream id
        store.append('bad-\u0000-stream', [anEvent('b')], 'no_stream'),
        store.append('fine-2', [anEvent('c')], 'no_stream'),
      ]);
      expect(outcomes.map((o) => o.status)).to.deep.equal(['fulfilled', 'rejected', 'fulfilled']);
      expect((await store.readAll({ after: 0, maxCount: 10 })).map((e) => e.streamId)).to.deep.equal([
        'fine-1',
        'fine-2',
      ]);
    });

    it('takes stored ids at revisions where a repeat would not be as a conflict, and an id of another stream as new', async () => {
      const store = await openStore();
      const batch = [anEvent('a'), anEvent('b')];
      await store.append('again', batch, 'no_stream');
      await store.append('again', [anEvent('c')], 1);

      const stale = await store.append('again', batch, 0).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(stale).to.be.instanceOf(WrongExpectedRevisionError);
      expect(stale).to.include({ expected: 0, actual: 2 });
      expect(await store.append('elsewhere', [batch[0] ?? anEvent('?')], 'no_stream')).to.include({ revision: 0 });
      expect(await store.append('again', batch, 'no_stream')).to.deep.include({
        revision: 1,
        repeated: { streamId: 'again' },
      });
      expect(await store.readStream('again')).to.have.length(3);
    });

    it('drops the log-wide unique index on event ids of a schema made before (ADR 0024)', async () => {
      const first = await openStore();
      const { schema, events } = first.tables;
      const admin = schemas.admin();
      await admin.query(`ALTER TABLE ${events} ADD CONSTRAINT events_event_id_key UNIQUE (event_id)`);
      const constraints = async (): Promise<number> => {
        const { rows } = await admin.query<{ n: string }>(
          `SELECT count(*) AS n FROM pg_constraint WHERE conrelid = '${events}'::regclass AND conname = 'events_event_id_key'`,
        );
        return Number(rows[0]?.n);
      };
      expect(await constraints()).to.equal(1);

      const reopened = await openStore({ schema });

      expect(await constraints()).to.equal(0);
      const a = anEvent('a');
      await reopened.append('one', [a], 'no_stream');
      expect(await reopened.append('two', [a], 'no_stream')).to.include({ revision: 0 });
    });

    it('answers a repeat appended with any (found in its stream) with the first result', async () => {
      const store = await openStore();
      const batch = [anEvent('a'), anEvent('b')];
      const first = await store.append('again', batch, 'any');
      await store.append('other', [anEvent('x')], 'any');

      expect(await store.append('again', batch, 'any')).to.deep.equal({ ...first, repeated: { streamId: 'again' } });
      const repeatedWithNew = await store.append('again', [batch[0] ?? anEvent('?'), anEvent('new')], 'any').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(repeatedWithNew).to.be.instanceOf(PartialDuplicateAppendError);
      expect(await store.readStream('again')).to.have.length(2);
    });

    it('stores a string with NUL inside event data (json, not jsonb)', async () => {
      const store = await openStore();
      const event = { ...anEvent('nul'), data: { note: 'a\u0000b' } };
      await store.append('nul', [event], 'no_stream');
      expect((await store.readStream('nul'))[0]?.data).to.deep.equal({ note: 'a\u0000b' });
    });
  });

  describe('when the connection that listens for notifications is lost', () => {
    it('still delivers appends from another instance (the poll), and listens again', async () => {
      const reader = await openStore({ pollIntervalMs: 100 });
      const writer = await openStore({ schema: reader.tables.schema });
      const seen: string[] = [];
      const subscription = reader.subscribeToAll({ after: 0 }, (batch) => {
        for (const event of batch) seen.push(event.streamId);
      });
      await within(subscription.caughtUp, 5_000, 'the subscription to catch up');
      const listening = `LISTEN "${reader.tables.channel}"`;
      const listeners = async (): Promise<number> => {
        const { rows } = await schemas
          .admin()
          .query<{ n: string }>(`SELECT count(*) AS n FROM pg_stat_activity WHERE query = $1`, [listening]);
        return Number(rows[0]?.n ?? 0);
      };
      const deadline = Date.now() + 5_000;
      while ((await listeners()) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(await listeners(), 'a listening connection').to.equal(1);

      await schemas
        .admin()
        .query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = $1', [listening]);
      await writer.append('after-the-loss', [anEvent('x')], 'no_stream');

      const until = Date.now() + 5_000;
      while (!seen.includes('after-the-loss') && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      expect(seen).to.include('after-the-loss');
      const again = Date.now() + 5_000;
      while ((await listeners()) === 0 && Date.now() < again) await new Promise((r) => setTimeout(r, 50));
      expect(await listeners(), 'listening again').to.equal(1);
    });
  });

  describe('while an append transaction is open', () => {
    it('makes a later append from another instance wait for it, so no later position commits first', async () => {
      const reader = await openStore();
      const schema = reader.tables.schema;
      let entered = (): void => undefined;
      const inside = new Promise<void>((resolve) => {
        entered = resolve;
      });
      let release = (): void => undefined;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const slow = await openStore({
        schema,
        beforeCommit: async () => {
          entered();
          await gate;
        },
      });
      const fast = await openStore({ schema });

      const first = slow.append('slow', [anEvent('slow')], 'no_stream');
      await within(inside, 5_000, 'the slow transaction to hold the head');
      let secondSettled = false;
      const second = fast.append('fast', [anEvent('fast')], 'no_stream').finally(() => {
        secondSettled = true;
      });
      await new Promise((resolve) => setTimeout(resolve, 300));

      expect(secondSettled, 'the second append waits for the head').to.equal(false);
      expect(await reader.readAll({ after: 0, maxCount: 10 })).to.deep.equal([]);
      release();
      const [a, b] = await within(Promise.all([first, second]), 5_000, 'both appends');
      expect([a.position, b.position]).to.deep.equal([1, 2]);
      expect((await reader.readAll({ after: 0, maxCount: 10 })).map((e) => e.streamId)).to.deep.equal(['slow', 'fast']);
    });
  });

  describe('when many appenders commit out of order while subscribers read from position 0', function () {
    this.timeout(120_000);
    const APPENDERS = 8;
    const APPENDS_EACH = 200;
    const TOTAL = APPENDERS * APPENDS_EACH;

    it('every subscriber sees every event exactly once, in one order, with strictly increasing positions', async () => {
      const reader = await openStore();
      const schema = reader.tables.schema;
      // Eight stores, as eight processes would be: each its own pool and transactions. Each transaction sleeps a
      // random 0–3 ms after writing its events and before committing, so commits interleave at random.
      const appenders = await Promise.all(
        Array.from({ length: APPENDERS }, () =>
          openStore({
            schema,
            maxConnections: 2,
            beforeCommit: async (client) => {
              await client.query('SELECT pg_sleep($1)', [Math.random() * 0.003]);
            },
          }),
        ),
      );
      const seen: RecordedEvent[][] = [[], [], []];
      const subscriptions: Subscription[] = seen.map((list) =>
        reader.subscribeToAll({ after: 0, batchSize: 50 }, (batch) => {
          list.push(...batch);
        }),
      );

      await within(
        Promise.all(
          appenders.map(async (store, a) => {
            for (let i = 0; i < APPENDS_EACH; i += 1) {
              // mostly new streams, some appends to the appender's own running stream
              if (i % 4 === 0) await store.append(`run-${a}`, [anEvent(`${a}-${i}`)], 'any');
              else await store.append(`s-${a}-${i}`, [anEvent(`${a}-${i}`)], 'no_stream');
            }
          }),
        ),
        90_000,
        `${TOTAL} appends`,
      );
      const deadline = Date.now() + 20_000;
      while (seen.some((list) => list.length < TOTAL) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await Promise.all(subscriptions.map((s) => s.stop()));

      const log = await reader.readAll({ after: 0, maxCount: TOTAL + 10 });
      expect(log).to.have.length(TOTAL);
      const logIds = log.map((e) => e.eventId);
      for (const list of seen) {
        const ids = list.map((e) => e.eventId);
        expect(ids, 'each event exactly once').to.have.length(TOTAL);
        expect(new Set(ids).size).to.equal(TOTAL);
        expect(ids, 'the order of the log').to.deep.equal(logIds);
        const positions = list.map((e) => e.position);
        expect(positions.every((p, i) => i === 0 || p > (positions[i - 1] ?? Infinity))).to.equal(true);
      }
      // no gap: positions are exactly 1…TOTAL
      expect(log.map((e) => e.position)).to.deep.equal(Array.from({ length: TOTAL }, (_, i) => i + 1));
    });
  });
});
