import { expect } from 'chai';
import { openPgReadStore } from '../../infra/postgres/pg-read-store';
import { StoreUnavailableError } from '../../ports/event-store';
import type { ReadStore } from '../../ports/read-store';
import { withTimeout } from '../../tools/services/clients';
import { readStoreContract } from './read-store.contract';
import { postgresSchemas } from '../postgres-schemas';

/**
 * The read store contract against a real PostgreSQL (the throwaway cluster `npm run test:services` starts). Each test
 * gets its own schema, named after this run, and drops it afterwards.
 */
describe('the read store contract on PostgreSQL', () => {
  const schemas = postgresSchemas('rs_contract');
  const postgresUrl = schemas.url;

  readStoreContract('PostgreSQL adapter', async () => {
    const schema = schemas.next();
    const store = await openPgReadStore({ url: postgresUrl, schema });
    return {
      store,
      openAnother: () => openPgReadStore({ url: postgresUrl, schema }),
      cleanup: async () => {
        await withTimeout(store.close(), 10_000, 'closing the read store');
        await schemas.drop(schema);
      },
    };
  });

  describe('PostgreSQL adapter, beyond the contract', function () {
    this.timeout(20_000);
    let schema: string;
    let store: ReadStore;

    const explain = async (sql: string): Promise<string> => {
      const admin = schemas.admin();
      await admin.query(`SET search_path TO "${schema}"`);
      try {
        const { rows } = await admin.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`);
        return rows.map((row) => row['QUERY PLAN']).join('\n');
      } finally {
        await admin.query('RESET search_path');
      }
    };

    beforeEach(async () => {
      schema = schemas.next();
      store = await openPgReadStore({ url: postgresUrl, schema });
    });

    afterEach(async () => {
      await withTimeout(store.close(), 10_000, 'closing the read store');
      await schemas.drop(schema);
    });

    it('reads and writes through the statements it prepared after another store dropped and made the table again', async () => {
      // one connection, so every call after the first runs the statement that connection prepared
      const one = await openPgReadStore({ url: postgresUrl, schema, maxConnections: 1 });
      try {
        await one.putMany('things', [{ id: 'a', body: { n: 1 }, progress: {}, expectedVersion: 0 }]);
        expect((await one.get('things', 'a'))?.body).to.deep.equal({ n: 1 });
        expect((await one.getMany('things', ['a'])).size).to.equal(1);
        expect(await one.count('things')).to.equal(1);

        await store.dropCollection('things');
        expect(await one.get('things', 'a')).to.equal(undefined);
        await store.putMany('things', [{ id: 'b', body: { n: 2 }, progress: {}, expectedVersion: 0 }]);

        expect(await one.get('things', 'a')).to.equal(undefined);
        expect((await one.get('things', 'b'))?.body).to.deep.equal({ n: 2 });
        expect([...(await one.getMany('things', ['a', 'b'])).keys()]).to.deep.equal(['b']);
        expect(await one.count('things')).to.equal(1);
        expect(
          await one.putMany('things', [{ id: 'b', body: { n: 3 }, progress: {}, expectedVersion: 1 }]),
        ).to.deep.equal({
          conflicts: [],
        });
        expect((await store.get('things', 'b'))?.version).to.equal(2);
      } finally {
        await one.close();
      }
    });

    it('stores strings jsonb refuses (NUL, lone surrogates) and finds them by equality, next to lookalikes', async () => {
      const odd = { nul: 'a\0b', lone: 'x\uD800y', marker: '\uE000%00', percent: '100%', nested: [{ 'k\0': 'v' }] };
      await store.putMany('things', [
        { id: 'odd', body: odd, progress: { 'src\0': 1 }, expectedVersion: 0 },
        { id: 'plain', body: { nul: 'a%00b', marker: '\uE000%00', percent: '100%' }, progress: {}, expectedVersion: 0 },
      ]);

      expect(await store.get('things', 'odd')).to.deep.equal({
        id: 'odd',
        body: odd,
        progress: { 'src\0': 1 },
        version: 1,
      });
      const ids = async (where: Record<string, string>): Promise<string[]> =>
        (await store.query('things', { where, limit: 10 })).items.map((item) => item.id);
      expect(await ids({ nul: 'a\0b' })).to.deep.equal(['odd']);
      expect(await ids({ nul: 'a%00b' })).to.deep.equal(['plain']);
      expect(await ids({ lone: 'x\uD800y' })).to.deep.equal(['odd']);
      expect(await ids({ marker: '\uE000%00' })).to.deep.equal(['odd', 'plain']);
      expect(await ids({ percent: '100%' })).to.deep.equal(['odd', 'plain']);
    });

    it('answers a write whose session the server cuts off as unavailable (the API answers 503), not with the driver’s error', async () => {
      await store.putMany('things', [{ id: 'a', body: { n: 1 }, progress: {}, expectedVersion: 0 }]);
      const admin = schemas.admin();
      await admin.query('BEGIN');
      try {
        await admin.query(`LOCK TABLE "${schema}"."things" IN ACCESS EXCLUSIVE MODE`);
        const write = store.putMany('things', [{ id: 'a', body: { n: 2 }, progress: {}, expectedVersion: 1 }]);
        const failure = write.then(
          () => undefined,
          (error: unknown) => error,
        );
        // the write waits for the lock; cut its session off as a server shutting down would (57P01)
        const waiting = async (): Promise<number> =>
          (
            await admin.query<{ n: string }>(
              `SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'commerce-engine-read-store'
                 AND wait_event_type = 'Lock'`,
            )
          ).rows[0]?.n === '1'
            ? 1
            : 0;
        for (const until = Date.now() + 5_000; (await waiting()) === 0 && Date.now() < until;) {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        await admin.query(
          `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'commerce-engine-read-store'
             AND wait_event_type = 'Lock'`,
        );
        const error = await withTimeout(failure, 10_000, 'the cut-off write');
        expect(error).to.be.instanceOf(StoreUnavailableError);
      } finally {
        await admin.query('ROLLBACK');
      }
      expect((await store.get('things', 'a'))?.body, 'the store works again').to.deep.equal({ n: 1 });
    });

    it('refuses an id PostgreSQL text cannot hold, writing nothing of the batch', async () => {
      const batch = [
        { id: 'ok', body: {}, progress: {}, expectedVersion: 0 },
        { id: 'bad\0id', body: {}, progress: {}, expectedVersion: 0 },
      ] as const;

      let refused: unknown;
      await store.putMany('things', batch).catch((error: unknown) => (refused = error));

      expect(refused).to.be.instanceOf(TypeError);
      expect(await store.count('things')).to.equal(0);
      expect(await store.get('things', 'bad\0id')).to.be.undefined;
    });

    it('answers a filtered, sorted page from the declared index, not a scan of the table', async () => {
      await store.ensureIndexes('orders', ['status', 'placedAt']);
      await store.putMany(
        'orders',
        Array.from({ length: 2_000 }, (_, n) => ({
          id: `o-${n}`,
          body: {
            status: n % 10 === 0 ? 'paid' : 'placed',
            placedAt: `2024-05-${String(1 + (n % 28)).padStart(2, '0')}`,
          },
          progress: {},
          expectedVersion: 0,
        })),
      );
      const admin = schemas.admin();
      await admin.query(`ANALYZE "${schema}"."orders"`);

      const plan = await explain(
        `SELECT id FROM orders WHERE NULLIF(body -> 'placedAt', 'null'::jsonb) IS NOT NULL
         ORDER BY NULLIF(body -> 'placedAt', 'null'::jsonb) DESC NULLS LAST, id DESC LIMIT 21`,
      );

      expect(plan).to.match(/Index Scan Backward using "ix:orders:placedAt"/);
      expect(plan).not.to.match(/Seq Scan/);
    });

    it('lets two stores write overlapping batches in opposite orders at once, without an error or a lost write', async () => {
      const other = await openPgReadStore({ url: postgresUrl, schema });
      try {
        const ids = Array.from({ length: 200 }, (_, n) => `b-${String(n).padStart(3, '0')}`);
        const rounds = 20;
        const writer = async (writing: ReadStore, order: readonly string[]): Promise<void> => {
          for (let round = 0; round < rounds; round += 1) {
            const result = await writing.putMany(
              'buckets',
              order.map((id) => ({ id, body: { round }, progress: {}, expectedVersion: 'any' as const })),
            );
            expect(result.conflicts).to.deep.equal([]);
          }
        };

        await Promise.all([writer(store, ids), writer(other, [...ids].reverse())]);

        const versions = [...(await store.getMany('buckets', ids)).values()].map((d) => d.version);
        expect(versions).to.have.length(ids.length);
        expect(new Set(versions)).to.deep.equal(new Set([2 * rounds]));
      } finally {
        await other.close();
      }
    });

    it('recreates a collection another store dropped, when it writes to it again', async () => {
      const other = await openPgReadStore({ url: postgresUrl, schema });
      try {
        await store.putMany('skus', [{ id: 's-1', body: { n: 1 }, progress: {}, expectedVersion: 0 }]);
        await other.dropCollection('skus');

        const result = await store.putMany('skus', [{ id: 's-2', body: { n: 2 }, progress: {}, expectedVersion: 0 }]);

        expect(result.conflicts).to.deep.equal([]);
        expect((await other.getMany('skus', ['s-1', 's-2'])).size).to.equal(1);
      } finally {
        await other.close();
      }
    });

    it('compresses bodies with lz4 when the server has it (pglz costs several times more CPU per write)', async () => {
      const admin = schemas.admin();
      await store.putMany('orders', [{ id: 'o-1', body: { status: 'placed' }, progress: {}, expectedVersion: 0 }]);
      const { rows } = await admin.query<{ lz4: boolean; compression: string }>(
        `SELECT (SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression') AS lz4,
                attcompression AS compression
         FROM pg_attribute WHERE attrelid = $1::regclass AND attname = 'body'`,
        [`"${schema}"."orders"`],
      );

      expect(rows[0]?.compression).to.equal(rows[0]?.lz4 === true ? 'l' : '');
    });

    it('refuses a schema name that is not a plain lowercase identifier', async () => {
      let refused: unknown;
      await openPgReadStore({ url: postgresUrl, schema: 'x"; DROP SCHEMA public; --' }).catch(
        (error: unknown) => (refused = error),
      );

      expect(refused).to.be.instanceOf(RangeError);
    });
  });
});
