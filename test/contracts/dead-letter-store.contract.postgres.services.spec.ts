import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import {
  EMPTY_CHECK_MS,
  openPgDeadLetterStore,
  type PgDeadLetterStore,
} from '../../infra/postgres/pg-dead-letter-store';
import { ManualClock, type Clock } from '../../ports/clock';
import type { NewDeadLetter } from '../../ports/dead-letters';
import { withTimeout } from '../../tools/services/clients';
import { postgresSchemas } from '../postgres-schemas';
import { deadLetterStoreContract } from './dead-letter-store.contract';

/**
 * The dead letter store contract, unchanged, against a real PostgreSQL (the throwaway cluster `npm run test:services`
 * starts), plus what only a server shared by several processes can show: stores opening the same schema at once,
 * `parkBehind` against a removal that commits meanwhile, and the bounded "holds no letter" cache of `isParked`.
 * Each test gets its own schema and drops it.
 */

const aLetter = (overrides: Partial<NewDeadLetter> = {}): NewDeadLetter => ({
  consumer: 'saga:place-order',
  key: 'order-1',
  event: {
    eventId: randomUUID(),
    streamId: 'order-1',
    revision: 0,
    position: 1,
    type: 'OrderPlaced.v1',
    data: { orderId: 'order-1' },
    metadata: { commandId: 'c-1' },
    source: 'orders/0',
    sequence: 1,
  },
  error: 'Error: boom',
  attempts: 1,
  ...overrides,
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('the dead letter store on PostgreSQL', () => {
  const schemas = postgresSchemas('dlq_contract');
  const opened: { schema: string; stores: PgDeadLetterStore[] }[] = [];

  /** A store on `schema` (a fresh one unless told); every store opened here is closed and its schema dropped. */
  const openStore = async (clock: Clock, schema = schemas.next()): Promise<PgDeadLetterStore> => {
    const store = await openPgDeadLetterStore({ url: schemas.url, schema, clock, poolSize: 2 });
    const entry = opened.find((e) => e.schema === schema);
    if (entry === undefined) opened.push({ schema, stores: [store] });
    else entry.stores.push(store);
    return store;
  };

  // Runs after the contract's own afterEach closed its stores (closing twice is a no-op).
  afterEach(async () => {
    for (const { schema, stores } of opened.splice(0)) {
      for (const store of stores) await withTimeout(store.close(), 10_000, 'closing a dead letter store');
      await schemas.drop(schema);
    }
  });

  deadLetterStoreContract('PostgreSQL adapter', async (clock) => {
    const store = await openStore(clock);
    const others: PgDeadLetterStore[] = [];
    return {
      store,
      another: async () => {
        const other = await openStore(clock, store.schema);
        others.push(other);
        return other;
      },
      close: async () => {
        for (const s of [store, ...others]) await s.close();
      },
    };
  });

  describe('beside the contract', function () {
    this.timeout(20_000);

    it('opens from several processes at once on a schema that does not exist yet', async () => {
      const schema = schemas.next();
      const clock = new ManualClock();
      const stores = await Promise.all(Array.from({ length: 6 }, () => openStore(clock, schema)));
      const letter = await stores[0]?.record(aLetter());
      expect(await stores[5]?.get(letter?.id ?? -1)).to.deep.equal(letter);
    });

    it('opens in a schema another component already created (tables beside it are left alone)', async () => {
      const schema = schemas.next();
      await schemas.admin().query(`CREATE SCHEMA "${schema}"; CREATE TABLE "${schema}".events (id int)`);
      const store = await openStore(new ManualClock(), schema);
      expect(await store.list()).to.deep.equal([]);
      const { rows } = await schemas
        .admin()
        .query<{ n: string }>('SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = $1', [schema]);
      expect(Number(rows[0]?.n)).to.equal(2);
    });

    it('refuses a schema name that is not a lowercase identifier', async () => {
      const error = await openPgDeadLetterStore({
        url: schemas.url,
        schema: 'Bad"Name',
        clock: new ManualClock(),
      }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).to.be.instanceOf(RangeError);
    });

    it('rejects calls after close', async () => {
      const store = await openStore(new ManualClock());
      await store.close();
      const error = await store.list().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).to.be.instanceOf(Error);
    });

    it('stores an error holding NUL (which text columns refuse) with U+FFFD in its place', async () => {
      const store = await openStore(new ManualClock());
      const letter = await store.record(aLetter({ error: 'Error: a\u0000b' }));
      expect(letter.error).to.equal('Error: a\uFFFDb');
    });

    it('round-trips event data holding NUL (json, not jsonb)', async () => {
      const store = await openStore(new ManualClock());
      const event = { ...aLetter().event, data: { note: 'a\u0000b' } };
      const letter = await store.record(aLetter({ event }));
      expect((await store.get(letter.id))?.event.data).to.deep.equal({ note: 'a\u0000b' });
    });

    it('parks nothing behind a letter whose removal commits while parkBehind waits for it', async () => {
      const store = await openStore(new ManualClock());
      const letter = await store.record(aLetter());
      const remover = new pg.Client({ connectionString: schemas.url });
      await remover.connect();
      try {
        await remover.query('BEGIN');
        await remover.query(`DELETE FROM ${store.table} WHERE id = $1`, [letter.id]);
        let settled = false;
        const parking = store.parkBehind(aLetter()).finally(() => {
          settled = true;
        });
        await sleep(300);
        expect(settled, 'parkBehind waits for the removal to commit or roll back').to.equal(false);
        await remover.query('COMMIT');
        expect(await withTimeout(parking, 5_000, 'parkBehind')).to.equal(undefined);
        expect(await store.list()).to.deep.equal([]);
      } finally {
        await remover.end();
      }
    });

    it('parks behind a letter whose removal rolls back while parkBehind waits for it', async () => {
      const store = await openStore(new ManualClock());
      const letter = await store.record(aLetter());
      const remover = new pg.Client({ connectionString: schemas.url });
      await remover.connect();
      try {
        await remover.query('BEGIN');
        await remover.query(`DELETE FROM ${store.table} WHERE id = $1`, [letter.id]);
        const parking = store.parkBehind(aLetter());
        await sleep(200);
        await remover.query('ROLLBACK');
        const parked = await withTimeout(parking, 5_000, 'parkBehind');
        expect(parked?.id).to.be.above(letter.id);
        expect(await store.list()).to.have.length(2);
      } finally {
        await remover.end();
      }
    });

    it('makes a removal of the key’s letter wait for a parkBehind in flight, so a retry then finds the new letter', async () => {
      const store = await openStore(new ManualClock());
      const letter = await store.record(aLetter());
      const parker = new pg.Client({ connectionString: schemas.url });
      await parker.connect();
      try {
        // the same statement the store runs, held open in a transaction: as if it were between its lock and commit
        await parker.query('BEGIN');
        await parker.query(`SELECT 1 FROM ${store.table} WHERE consumer = $1 AND key = $2 LIMIT 1 FOR KEY SHARE`, [
          'saga:place-order',
          'order-1',
        ]);
        let removed = false;
        const removing = store.remove(letter.id).finally(() => {
          removed = true;
        });
        await sleep(300);
        expect(removed, 'the removal waits for the parking transaction').to.equal(false);
        await parker.query('COMMIT');
        expect(await withTimeout(removing, 5_000, 'remove')).to.equal(true);
      } finally {
        await parker.end();
      }
    });

    it(`trusts "no letter at all" for at most ${EMPTY_CHECK_MS} ms, then sees a letter written by another process`, async () => {
      const store = await openStore(new ManualClock());
      expect(await store.isParked('saga:place-order', 'order-1')).to.equal(false);
      const other = await openStore(new ManualClock(), store.schema);
      const started = performance.now();
      await other.record(aLetter());
      // the cached answer: this process did not write, so it has not asked again
      const cached = await store.isParked('saga:place-order', 'order-1');
      if (performance.now() - started < EMPTY_CHECK_MS / 2) expect(cached).to.equal(false);
      let seen = false;
      while (!seen && performance.now() - started < EMPTY_CHECK_MS + 500) {
        seen = await store.isParked('saga:place-order', 'order-1');
        if (!seen) await sleep(20);
      }
      expect(seen).to.equal(true);
      expect(performance.now() - started).to.be.at.least(EMPTY_CHECK_MS / 2);
    });
  });
});
