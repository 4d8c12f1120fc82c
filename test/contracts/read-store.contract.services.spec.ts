import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import type { MongoClient } from 'mongodb';
import { openMongoReadStore } from '../../infra/mongodb/mongo-read-store';
import type { ReadStore } from '../../ports/read-store';
import { mongoClient, withTimeout } from '../../tools/services/clients';
import { readStoreContract } from './read-store.contract';

/**
 * The read store contract against a real MongoDB wire server (FerretDB under `npm run test:services`). Each test gets
 * its own database, named after this run, and drops it afterwards.
 */
const mongodbUrl = process.env.MONGODB_URL?.trim() ?? '';
const runPrefix = `rs_contract_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;

describe('the read store contract', () => {
  if (mongodbUrl === '') {
    // FerretDB can run here, so a missing server is a broken setup, not a reason to skip
    throw new Error('MONGODB_URL is not set: run this suite through npm run test:services, which starts FerretDB');
  }

  let admin: MongoClient | undefined;
  let databases = 0;

  before(async () => {
    const client = mongoClient(mongodbUrl);
    await withTimeout(client.connect(), 10_000, `connecting to ${mongodbUrl}`);
    admin = client;
  });

  // Sweeps what a failed cleanup left behind, then lets go of the admin connection.
  after(async () => {
    if (admin === undefined) return;
    const client = admin;
    try {
      const { databases: all } = await withTimeout(
        client.db().admin().listDatabases({ nameOnly: true }),
        10_000,
        'listing databases',
      );
      for (const { name } of all.filter((database) => database.name.startsWith(runPrefix))) {
        await withTimeout(client.db(name).dropDatabase(), 10_000, `dropping ${name}`);
      }
    } finally {
      await withTimeout(client.close(), 10_000, 'closing the admin client');
    }
  });

  readStoreContract('MongoDB adapter', async () => {
    databases += 1;
    const database = `${runPrefix}_${databases}`;
    const store = await openMongoReadStore({ url: mongodbUrl, database });
    return {
      store,
      openAnother: () => openMongoReadStore({ url: mongodbUrl, database }),
      cleanup: async () => {
        await withTimeout(store.close(), 10_000, 'closing the read store');
        if (admin !== undefined) await withTimeout(admin.db(database).dropDatabase(), 10_000, `dropping ${database}`);
      },
    };
  });

  describe('MongoDB adapter, beyond the contract', function () {
    this.timeout(20_000);
    let database: string;
    let store: ReadStore;
    let clock: number;

    const raw = (collection: string) => {
      if (admin === undefined) throw new Error('no admin connection');
      return admin.db(database).collection<Record<string, unknown> & { _id: string }>(collection);
    };

    beforeEach(async () => {
      databases += 1;
      database = `${runPrefix}_${databases}`;
      clock = 1_000_000;
      store = await openMongoReadStore({ url: mongodbUrl, database, claimGraceMs: 3_000, now: () => clock });
    });

    afterEach(async () => {
      await withTimeout(store.close(), 10_000, 'closing the read store');
      if (admin !== undefined) await withTimeout(admin.db(database).dropDatabase(), 10_000, `dropping ${database}`);
    });

    it('reads a document written before versions existed as version 1, and takes a write that expects 1', async () => {
      await raw('orders').insertOne({ _id: 'o-1', body: { status: 'placed' }, progress: { '%24all': 3 } });

      expect(await store.get('orders', 'o-1')).to.deep.equal({
        id: 'o-1',
        body: { status: 'placed' },
        progress: { $all: 3 },
        version: 1,
      });
      const result = await store.putMany('orders', [
        { id: 'o-1', body: { status: 'paid' }, progress: { $all: 4 }, expectedVersion: 1 },
      ]);

      expect(result.conflicts).to.deep.equal([]);
      expect(await store.get('orders', 'o-1')).to.deep.equal({
        id: 'o-1',
        body: { status: 'paid' },
        progress: { $all: 4 },
        version: 2,
      });
    });

    describe('when a writer died after claiming a document and before writing it', () => {
      // what a writer leaves behind between its claim and its update (the adapter's own layout)
      const abandonedClaim = () => ({
        _id: 'counters/1/c-1',
        collection: 'counters',
        id: 'c-1',
        version: 1,
        at: clock,
        body: { n: 42 },
        progress: { '%24all': 5 },
      });

      beforeEach(async () => {
        await store.putMany('counters', [{ id: 'c-1', body: { n: 1 }, progress: { $all: 1 }, expectedVersion: 0 }]);
        await raw('_write_claims').insertOne(abandonedClaim());
      });

      it('refuses other writers of that version during the grace period, and leaves the document alone', async () => {
        clock += 2_999;

        const result = await store.putMany('counters', [
          { id: 'c-1', body: { n: 2 }, progress: { $all: 2 }, expectedVersion: 1 },
        ]);

        expect(result.conflicts).to.deep.equal(['c-1']);
        expect((await store.get('counters', 'c-1'))?.body).to.deep.equal({ n: 1 });
      });

      it('completes the dead writer’s write after the grace period, so the next writer reloads and goes on', async () => {
        clock += 3_000;

        const refused = await store.putMany('counters', [
          { id: 'c-1', body: { n: 2 }, progress: { $all: 2 }, expectedVersion: 1 },
        ]);
        const completed = await store.get('counters', 'c-1');
        const next = await store.putMany('counters', [
          { id: 'c-1', body: { n: 43 }, progress: { $all: 6 }, expectedVersion: completed?.version ?? 0 },
        ]);

        expect(refused.conflicts).to.deep.equal(['c-1']);
        expect(completed).to.deep.equal({ id: 'c-1', body: { n: 42 }, progress: { $all: 5 }, version: 2 });
        expect(next.conflicts).to.deep.equal([]);
        expect((await store.get('counters', 'c-1'))?.version).to.equal(3);
        expect(await raw('_write_claims').countDocuments({})).to.equal(0);
      });

      it('forgets the claims of a dropped collection, so a rebuilt one is never completed with old writes', async () => {
        await store.dropCollection('counters');
        clock += 3_000;
        await store.putMany('counters', [{ id: 'c-1', body: { n: 7 }, progress: { $all: 1 }, expectedVersion: 0 }]);

        const result = await store.putMany('counters', [
          { id: 'c-1', body: { n: 8 }, progress: { $all: 2 }, expectedVersion: 1 },
        ]);

        expect(result.conflicts).to.deep.equal([]);
        expect((await store.get('counters', 'c-1'))?.body).to.deep.equal({ n: 8 });
      });
    });

    it('still writes, by version, when its own claims grow old enough to be taken for abandoned', async () => {
      const slow = await openMongoReadStore({
        url: mongodbUrl,
        database,
        claimGraceMs: 3_000,
        // every look at the clock is two seconds later: the claims are past half the grace period when it writes
        now: () => (clock += 2_000),
      });
      try {
        await slow.putMany('counters', [{ id: 'c-1', body: { n: 1 }, progress: {}, expectedVersion: 0 }]);

        const result = await slow.putMany('counters', [
          { id: 'c-1', body: { n: 2 }, progress: {}, expectedVersion: 1 },
        ]);

        expect(result.conflicts).to.deep.equal([]);
        expect(await store.get('counters', 'c-1')).to.deep.equal({
          id: 'c-1',
          body: { n: 2 },
          progress: {},
          version: 2,
        });
      } finally {
        await slow.close();
      }
    });

    describe('with strings that hold NUL (which FerretDB’s PostgreSQL backend refuses) or the escape character', () => {
      const tricky = ['a\u0000', 'a', 'a\u0001', 'a!', 'a\u0001\u0002', '\u0000', 'a\u0000b', ''];

      beforeEach(async () => {
        await store.putMany(
          'names',
          tricky.map((name, index) => ({
            id: `n-${index}`,
            body: { name, nested: { list: [name, [name]] } },
            progress: {},
            expectedVersion: 0,
          })),
        );
      });

      it('stores no NUL in any value, and reads every value back exactly', async () => {
        const rawText = JSON.stringify(await raw('names').find({}).toArray());
        const ids = tricky.map((_name, index) => `n-${index}`);
        const found = await store.getMany('names', ids);

        expect(rawText).not.to.include('\\u0000');
        tricky.forEach((name, index) => {
          expect(found.get(`n-${index}`)?.body, JSON.stringify(name)).to.deep.equal({
            name,
            nested: { list: [name, [name]] },
          });
        });
      });

      it('finds them by equality and by range, and sorts and pages them as their originals sort', async () => {
        const equal = await store.query('names', { where: { name: 'a\u0000' }, limit: 10 });
        const range = await store.query('names', {
          where: { name: { gt: 'a', lt: 'a!' } },
          orderBy: { field: 'name', direction: 'asc' },
          limit: 10,
        });
        const sorted: string[] = [];
        let after: string | undefined;
        do {
          const page = await store.query('names', {
            orderBy: { field: 'name', direction: 'asc' },
            limit: 3,
            ...(after === undefined ? {} : { after }),
          });
          for (const item of page.items) sorted.push(String(item.body.name));
          after = page.next;
        } while (after !== undefined);

        expect(equal.items.map((item) => item.id)).to.deep.equal(['n-0']);
        expect(range.items.map((item) => item.body.name)).to.deep.equal([
          'a\u0000',
          'a\u0000b',
          'a\u0001',
          'a\u0001\u0002',
        ]);
        expect(sorted).to.deep.equal([...tricky].sort());
      });
    });

    it('sends nothing after a write that timed out until the quiet period has passed, then writes again', async () => {
      // 4,000 documents make each FerretDB update by _id take a scan: 20 of them cannot answer within 100 ms
      for (let start = 0; start < 4_000; start += 1_000) {
        await store.putMany(
          'slow',
          Array.from({ length: 1_000 }, (_, k) => ({
            id: `d-${start + k}`,
            body: { n: start + k, padding: 'x'.repeat(200) },
            progress: {},
            expectedVersion: 0 as const,
          })),
        );
      }
      const quietMs = 3_000;
      const impatient = await openMongoReadStore({
        url: mongodbUrl,
        database,
        clientOptions: { socketTimeoutMS: 100 },
        quietAfterUnknownWriteMs: quietMs,
      });
      const overwrite = (n: number) =>
        impatient.putMany(
          'slow',
          Array.from({ length: 20 }, (_, k) => ({
            id: `d-${k * 199}`,
            body: { n },
            progress: {},
            expectedVersion: 'any' as const,
          })),
        );
      try {
        const failedAt = Date.now();
        let failure: unknown;
        await overwrite(1).catch((error: unknown) => {
          failure = error;
        });
        // bulk writes wrap the socket's timeout (a MongoNetworkTimeoutError) in a MongoBulkWriteError
        expect(failure).to.be.instanceOf(Error);
        expect(failure instanceof Error ? failure.message : '').to.match(/timed out/);

        // the retry waits out the quiet period; it may time out again on a busy server, so only its start is timed
        const retriedAt = Date.now();
        await impatient.count('slow').catch(() => undefined);
        const waited = Date.now() - failedAt;

        expect(waited, `the next call went out ${Date.now() - retriedAt} ms after the retry was asked`).to.be.at.least(
          quietMs,
        );
      } finally {
        await impatient.close();
      }
      // the guarded store's writes are answered again, by a patient client
      const found = await store.get('slow', 'd-0');
      expect(found?.body.n === 0 || found?.body.n === 1).to.equal(true);
    });

    it('reads and writes by version the same whether it looks ids up one by one or with one $in', async () => {
      const ids = Array.from({ length: 40 }, (_, index) => `c-${index}`);
      await store.putMany(
        'counters',
        ids.map((id) => ({ id, body: { n: 1 }, progress: {}, expectedVersion: 0 })),
      );
      const byLookups = await openMongoReadStore({ url: mongodbUrl, database, lookupsByIdMax: 1_000 });
      const byIn = await openMongoReadStore({ url: mongodbUrl, database, lookupsByIdMax: 0 });
      try {
        const asked = [...ids, 'missing', 'c-3'];
        const one = await byLookups.getMany('counters', asked);
        const other = await byIn.getMany('counters', asked);
        expect([...one.values()]).to.have.deep.members([...other.values()]);
        expect(one.size).to.equal(40);

        // 40 conditional writes each: the version read, the claims' reads and releases take either path
        const first = await byLookups.putMany(
          'counters',
          ids.map((id) => ({ id, body: { n: 2 }, progress: {}, expectedVersion: id === 'c-7' ? 5 : 1 })),
        );
        const second = await byIn.putMany(
          'counters',
          ids.map((id) => ({ id, body: { n: 3 }, progress: {}, expectedVersion: id === 'c-7' ? 1 : 2 })),
        );

        expect(first.conflicts).to.deep.equal(['c-7']);
        expect(second.conflicts).to.deep.equal([]);
        const after = await store.getMany('counters', ids);
        expect([...after.values()].every((doc) => doc.body.n === 3)).to.equal(true);
        expect(after.get('c-7')?.version).to.equal(2);
        expect(after.get('c-0')?.version).to.equal(3);
        expect(await raw('_write_claims').countDocuments({}), 'every claim released').to.equal(0);
      } finally {
        await byLookups.close();
        await byIn.close();
      }
    });

    it('keeps its claims out of the collections it lists', async () => {
      await store.putMany('counters', [{ id: 'c-1', body: { n: 1 }, progress: {}, expectedVersion: 0 }]);
      await store.putMany('counters', [{ id: 'c-1', body: { n: 2 }, progress: {}, expectedVersion: 1 }]);

      expect(await store.listCollections()).to.deep.equal(['counters']);
    });
  });
});
