import { expect } from 'chai';
import * as fc from 'fast-check';
import { performance } from 'node:perf_hooks';
import {
  InvalidCursorError,
  type DocumentWrite,
  type ExpectedVersion,
  type FieldFilter,
  type Page,
  type Query,
  type ReadStore,
  type StoredDocument,
} from '../../ports/read-store';

export interface ReadStoreUnderTest {
  readonly store: ReadStore;
  /**
   * Opens a second store on the same storage (same file, same database), as another process would; the test closes
   * it. Absent when the storage cannot be shared (`:memory:`): concurrent writers then share the one store.
   */
  readonly openAnother?: () => Promise<ReadStore>;
  /** closes the store (it may already be closed) and removes whatever the factory created */
  cleanup(): Promise<void>;
}

type Body = Record<string, unknown>;

/** An unconditional write unless told otherwise: most tests are about what is stored, not about versions. */
const doc = (
  id: string,
  body: Body,
  progress: Record<string, number> = { $all: 1 },
  expectedVersion: ExpectedVersion = 'any',
): DocumentWrite => ({ id, body, progress, expectedVersion });

/** What reading a document written by `write` answers, at `version`. */
const stored = (write: DocumentWrite | undefined, version = 1): StoredDocument | undefined =>
  write === undefined ? undefined : { id: write.id, body: write.body, progress: write.progress, version };

/** The order both backends use for strings: by UTF-8 bytes (not JavaScript's UTF-16 code units). */
const byteOrder = (a: string, b: string): number => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

const idsOf = (page: Page): string[] => page.items.map((item) => item.id);

const rejectionOf = async (promise: Promise<unknown>): Promise<unknown> => {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject, but it fulfilled');
};

/** Follows `next` until the last page; bounded, so a cursor that never ends fails instead of hanging. */
const allPages = async (
  store: ReadStore,
  collection: string,
  query: Query,
  between: (pageIndex: number) => Promise<void> = () => Promise.resolve(),
): Promise<string[][]> => {
  const pages: string[][] = [];
  let after: string | undefined;
  for (let index = 0; index < 1000; index += 1) {
    const page = await store.query(collection, after === undefined ? query : { ...query, after });
    pages.push(idsOf(page));
    if (page.next === undefined) return pages;
    after = page.next;
    await between(index);
  }
  throw new Error('paging did not end after 1000 pages');
};

const orders: readonly DocumentWrite[] = [
  doc('o-01', { status: 'placed', placedAt: '2024-05-01T09:00:00.000Z', total: 1200, paid: false }),
  doc('o-02', { status: 'paid', placedAt: '2024-05-01T10:00:00.000Z', total: 4500, paid: true }),
  doc('o-03', { status: 'paid', placedAt: '2024-05-02T08:30:00.000Z', total: 1200, paid: true }),
  doc('o-04', { status: 'shipped', placedAt: '2024-05-02T08:30:00.000Z', total: 990, paid: true }),
  doc('o-05', { status: 'cancelled', placedAt: '2024-05-03T12:00:00.000Z', total: 15000, paid: false }),
  doc('o-06', { status: 'paid', placedAt: '2024-05-03T12:00:00.000Z', total: 1200, paid: true }),
  doc('o-07', { status: 'placed', placedAt: '2024-05-04T00:00:00.000Z', total: 300, paid: false }),
  doc('o-08', { status: 'paid', placedAt: '2024-05-05T23:59:59.999Z', total: Number.MAX_SAFE_INTEGER, paid: true }),
];

/** Written out of id order, so that no backend answers in insertion order by accident. */
const shuffledOrders = [5, 2, 7, 0, 4, 1, 6, 3].flatMap((index) => orders.slice(index, index + 1));

const everyKindOfValue: Body = {
  name: 'Grüne Teekanne 緑茶 🍵',
  rtl: 'مرحبا بالعالم',
  combining: 'e\u0301',
  escapes: 'she said "hi" \\ \n\t\u0000 end',
  empty: '',
  largest: Number.MAX_SAFE_INTEGER,
  smallest: Number.MIN_SAFE_INTEGER,
  zero: 0,
  negative: -42,
  int32Edge: 2147483648,
  fraction: 0.1,
  tiny: 1.5e-7,
  yes: true,
  no: false,
  nothing: null,
  lines: [
    { sku: 'SKU-1', quantity: 2, unitPrice: { minor: 1250, currency: 'EUR' } },
    { sku: 'SKU-2', quantity: 1, unitPrice: { minor: 99, currency: 'EUR' } },
  ],
  mixed: [1, 'two', null, true, [3, [4]], { five: 5 }],
  emptyArray: [],
  matrix: [[1, 2], [], [[3], [[]]]],
  lookalike: { '%a': [1, 2] },
  emptyObject: {},
  nested: { a: { b: { c: { d: 'deep', e: [{ f: null }] } } } },
  'dotted.key': 1,
  $dollar: 2,
  'per%cent%2E': 3,
  'spaced key': 4,
  ключ: 5,
  byStream: { 'order-42': 3, 'orders/2': 7, $all: 11 },
};

const everyKindOfProgress = { $all: Number.MAX_SAFE_INTEGER, 'orders/2': 17, 'order-42': 0 };

// Property-test documents: few distinct values (many ties), ids with multi-byte characters, some sort values missing.
const propertyIdArbitrary = fc.string({
  unit: fc.constantFrom('a', 'b', 'z', '0', '~', 'é', '€', '😀'),
  minLength: 1,
  maxLength: 4,
});
const propertyBodyArbitrary = fc.record({
  n: fc.oneof(fc.integer({ min: -3, max: 3 }), fc.constant(null), fc.constant(undefined)),
  s: fc.constantFrom('x', 'y', 'zz', 'Ä'),
});
const propertyQueryArbitrary = fc.record({
  where: fc.constantFrom<Readonly<Record<string, FieldFilter>> | undefined>(
    undefined,
    { s: 'x' },
    { n: { gte: 0 } },
    { n: { gt: -2, lte: 2 } },
    { s: { lt: 'zz' }, n: { lt: 1 } },
  ),
  orderBy: fc.constantFrom<Query['orderBy']>(
    undefined,
    { field: 'n', direction: 'asc' },
    { field: 'n', direction: 'desc' },
    { field: 's', direction: 'asc' },
    { field: 's', direction: 'desc' },
  ),
  pageSizes: fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 4 }),
});

interface PropertyDocument {
  readonly id: string;
  readonly n: number | null | undefined;
  readonly s: string;
}

const matchesProperty = (where: Readonly<Record<string, FieldFilter>> | undefined, d: PropertyDocument): boolean =>
  Object.entries(where ?? {}).every(([field, filter]) => {
    const value = field === 'n' ? d.n : d.s;
    if (typeof filter !== 'object') return value === filter;
    if (typeof value !== typeof filter.gte && typeof value !== typeof filter.gt && typeof value !== typeof filter.lt) {
      return false;
    }
    if (value === null || value === undefined) return false;
    const compare = (bound: unknown): number =>
      typeof value === 'number' ? value - Number(bound) : byteOrder(value, String(bound));
    return (
      (filter.gte === undefined || compare(filter.gte) >= 0) &&
      (filter.gt === undefined || compare(filter.gt) > 0) &&
      (filter.lte === undefined || compare(filter.lte) <= 0) &&
      (filter.lt === undefined || compare(filter.lt) < 0)
    );
  });

/** Missing and null sort first; ties by id; descending reverses the whole order (nulls last, ids descending). */
const expectedOrder = (orderBy: Query['orderBy'], a: PropertyDocument, b: PropertyDocument): number => {
  const sign = orderBy?.direction === 'desc' ? -1 : 1;
  if (orderBy !== undefined) {
    const x = orderBy.field === 'n' ? a.n : a.s;
    const y = orderBy.field === 'n' ? b.n : b.s;
    const xMissing = x === null || x === undefined;
    const yMissing = y === null || y === undefined;
    if (xMissing !== yMissing) return sign * (xMissing ? -1 : 1);
    if (!xMissing && !yMissing && x !== y) {
      return sign * (typeof x === 'number' && typeof y === 'number' ? x - y : byteOrder(String(x), String(y)));
    }
  }
  return sign * byteOrder(a.id, b.id);
};

/**
 * The behaviour every ReadStore adapter must show. Each test gets a fresh, empty store from `factory`.
 */
export const readStoreContract = (name: string, factory: () => Promise<ReadStoreUnderTest>): void => {
  describe(name, function () {
    this.timeout(20_000);

    let subject: ReadStoreUnderTest;
    let store: ReadStore;

    beforeEach(async () => {
      subject = await factory();
      store = subject.store;
    });

    afterEach(async () => {
      await subject.cleanup();
    });

    describe('reading documents', () => {
      it('finds nothing in a collection that was never written, and does not create it', async () => {
        expect(await store.get('orders', 'o-01')).to.be.undefined;
        expect((await store.getMany('orders', ['o-01', 'o-02'])).size).to.equal(0);
        expect(await store.query('orders', { limit: 10 })).to.deep.equal({ items: [] });
        expect(await store.count('orders')).to.equal(0);
        expect(await store.listCollections()).to.deep.equal([]);
      });

      it('returns a stored document by id, and undefined for an id it does not hold', async () => {
        await store.putMany('orders', orders);

        expect(await store.get('orders', 'o-03')).to.deep.equal(stored(orders[2]));
        expect(await store.get('orders', 'o-99')).to.be.undefined;
      });

      it('returns the requested documents it holds, keyed by id, and leaves out the missing ones', async () => {
        await store.putMany('orders', orders);

        const found = await store.getMany('orders', ['o-02', 'o-99', 'o-05', 'o-02']);

        expect([...found.keys()].sort()).to.deep.equal(['o-02', 'o-05']);
        expect(found.get('o-05')).to.deep.equal(stored(orders[4]));
        expect((await store.getMany('orders', [])).size).to.equal(0);
      });
    });

    describe('writing documents', () => {
      it('inserts new documents and replaces existing ones whole, body and progress together', async () => {
        await store.putMany('orders', [doc('o-01', { status: 'placed', note: 'gift' }, { $all: 3 })]);
        await store.putMany('orders', [doc('o-01', { status: 'paid' }, { 'orders/1': 8 })]);

        expect(await store.get('orders', 'o-01')).to.deep.equal(
          stored(doc('o-01', { status: 'paid' }, { 'orders/1': 8 }), 2),
        );
        expect(await store.count('orders')).to.equal(1);
      });

      it('round-trips bodies and progress exactly: nested values, arrays, safe integers, unicode, odd keys', async () => {
        const written = doc('everything', everyKindOfValue, everyKindOfProgress);
        await store.putMany('things', [written, doc('plain', { kind: 'plain' })]);

        expect(await store.get('things', 'everything')).to.deep.equal(stored(written));
        expect((await store.getMany('things', ['everything'])).get('everything')).to.deep.equal(stored(written));
        const page = await store.query('things', { where: { name: 'Grüne Teekanne 緑茶 🍵' }, limit: 5 });
        expect(page.items).to.deep.equal([stored(written)]);
        const largest = await store.get('things', 'everything');
        expect(largest?.body.largest).to.be.a('number');
        expect(largest?.progress.$all).to.equal(Number.MAX_SAFE_INTEGER);
      });

      it('writes a batch that mixes new and existing documents', async () => {
        await store.putMany('orders', [doc('o-01', { version: 1 }), doc('o-02', { version: 1 })]);

        await store.putMany('orders', [doc('o-03', { version: 1 }), doc('o-02', { version: 2 }), doc('o-04', {})]);

        const found = await store.getMany('orders', ['o-01', 'o-02', 'o-03', 'o-04']);
        expect([...found.values()].map((d) => [d.id, d.body])).to.have.deep.members([
          ['o-01', { version: 1 }],
          ['o-02', { version: 2 }],
          ['o-03', { version: 1 }],
          ['o-04', {}],
        ]);
      });

      it('rejects a batch that names the same id twice, and writes nothing of it', async () => {
        const batch = [doc('o-01', { version: 1 }), doc('o-02', { version: 1 }), doc('o-01', { version: 2 })];

        expect(await rejectionOf(store.putMany('orders', batch))).to.be.instanceOf(Error);
        expect(await store.count('orders')).to.equal(0);
      });

      it('accepts an empty batch and writes nothing', async () => {
        await store.putMany('orders', []);

        expect(await store.count('orders')).to.equal(0);
      });

      it('rejects a document without an id', async () => {
        expect(await rejectionOf(store.putMany('orders', [doc('', { status: 'placed' })]))).to.be.instanceOf(Error);
        expect(await store.count('orders')).to.equal(0);
      });

      it('rejects an expected version that is neither a non-negative integer nor any, and writes nothing', async () => {
        for (const expectedVersion of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
          const batch = [doc('o-01', {}, {}, 0), doc('o-02', {}, {}, expectedVersion)];
          expect(await rejectionOf(store.putMany('orders', batch)), `expected ${expectedVersion}`).to.be.instanceOf(
            Error,
          );
        }
        expect(await store.count('orders')).to.equal(0);
      });
    });

    describe('versions and conflicting writers', () => {
      const versionOf = async (id: string): Promise<number | undefined> => (await store.get('counters', id))?.version;

      it('starts a document at version 1 and adds 1 per write, whatever the write expected', async () => {
        await store.putMany('counters', [doc('c-1', { n: 1 }, {}, 0), doc('c-2', { n: 1 })]);
        expect([await versionOf('c-1'), await versionOf('c-2')]).to.deep.equal([1, 1]);

        await store.putMany('counters', [doc('c-1', { n: 2 }, {}, 1), doc('c-2', { n: 2 })]);
        await store.putMany('counters', [doc('c-1', { n: 3 }, {}, 2), doc('c-2', { n: 3 })]);

        expect(await store.get('counters', 'c-1')).to.deep.equal({
          id: 'c-1',
          body: { n: 3 },
          progress: {},
          version: 3,
        });
        expect((await store.getMany('counters', ['c-2'])).get('c-2')?.version).to.equal(3);
        expect((await store.query('counters', { limit: 5 })).items.map((d) => d.version)).to.deep.equal([3, 3]);
      });

      it('refuses to create a document that exists, and leaves it as it was', async () => {
        await store.putMany('counters', [doc('c-1', { n: 1 }, { $all: 4 }, 0)]);

        const result = await store.putMany('counters', [doc('c-1', { n: 99 }, { $all: 9 }, 0)]);

        expect(result.conflicts).to.deep.equal(['c-1']);
        expect(await store.get('counters', 'c-1')).to.deep.equal({
          id: 'c-1',
          body: { n: 1 },
          progress: { $all: 4 },
          version: 1,
        });
      });

      it('refuses a write that expects a version the document has left, or has not reached', async () => {
        await store.putMany('counters', [doc('c-1', { n: 1 }, {}, 0)]);
        await store.putMany('counters', [doc('c-1', { n: 2 }, {}, 1)]);

        const stale = await store.putMany('counters', [doc('c-1', { n: 99 }, {}, 1)]);
        const ahead = await store.putMany('counters', [doc('c-1', { n: 99 }, {}, 3)]);

        expect([stale.conflicts, ahead.conflicts]).to.deep.equal([['c-1'], ['c-1']]);
        expect(await store.get('counters', 'c-1')).to.deep.equal({
          id: 'c-1',
          body: { n: 2 },
          progress: {},
          version: 2,
        });
      });

      it('refuses a write that expects a version of a document that does not exist, and creates nothing', async () => {
        const result = await store.putMany('counters', [doc('ghost', { n: 1 }, {}, 3)]);

        expect(result.conflicts).to.deep.equal(['ghost']);
        expect(await store.get('counters', 'ghost')).to.be.undefined;
      });

      it('writes unconditionally when the write expects any version, whether the document exists or not', async () => {
        await store.putMany('counters', [doc('c-1', { n: 1 }, {}, 0)]);

        const result = await store.putMany('counters', [doc('c-1', { n: 2 }), doc('c-2', { n: 1 })]);

        expect(result.conflicts).to.deep.equal([]);
        expect((await store.get('counters', 'c-1'))?.body).to.deep.equal({ n: 2 });
        expect(await versionOf('c-1')).to.equal(2);
        expect(await versionOf('c-2')).to.equal(1);
      });

      it('writes the good writes of a mixed batch and reports exactly the conflicting ids, in batch order', async () => {
        await store.putMany('counters', [
          doc('a', { n: 1 }, {}, 0),
          doc('b', { n: 1 }, {}, 0),
          doc('c', { n: 1 }, {}, 0),
        ]);
        await store.putMany('counters', [doc('b', { n: 2 }, {}, 1)]);

        const result = await store.putMany('counters', [
          doc('a', { n: 2 }, {}, 1), // current: written
          doc('b', { n: 99 }, {}, 1), // stale: refused
          doc('new', { n: 1 }, {}, 0), // new: written
          doc('c', { n: 99 }, {}, 0), // exists: refused
          doc('d', { n: 1 }), // any: written
          doc('ghost', { n: 99 }, {}, 7), // missing: refused
        ]);

        expect(result.conflicts).to.deep.equal(['b', 'c', 'ghost']);
        const found = await store.getMany('counters', ['a', 'b', 'c', 'd', 'new', 'ghost']);
        expect([...found.values()].map((d) => [d.id, d.body.n, d.version])).to.have.deep.members([
          ['a', 2, 2],
          ['b', 2, 2],
          ['c', 1, 1],
          ['d', 1, 1],
          ['new', 1, 1],
        ]);
      });

      it('loses no update when two store instances increment one counter concurrently, retrying on conflict', async function () {
        this.timeout(120_000);
        const other = (await subject.openAnother?.()) ?? store;
        try {
          const increments = 200;
          let conflicts = 0;
          const incrementer = async (writer: ReadStore): Promise<void> => {
            for (let done = 0; done < increments;) {
              const current = await writer.get('counters', 'hot');
              const n = typeof current?.body.n === 'number' ? current.body.n : 0;
              const result = await writer.putMany('counters', [doc('hot', { n: n + 1 }, {}, current?.version ?? 0)]);
              if (result.conflicts.length === 0) done += 1;
              else if (++conflicts > 100 * increments) throw new Error('the writers kept conflicting');
            }
          };

          await Promise.all([incrementer(store), incrementer(other)]);

          const hot = await store.get('counters', 'hot');
          expect(hot?.body.n).to.equal(2 * increments);
          expect(hot?.version).to.equal(2 * increments);
          expect(conflicts, 'the writers raced (else this proves nothing)').to.be.greaterThan(0);
        } finally {
          if (other !== store) await other.close();
        }
      });
    });

    describe('querying', () => {
      beforeEach(async () => {
        await store.putMany('orders', shuffledOrders);
      });

      const ids = async (query: Omit<Query, 'limit'>): Promise<string[]> =>
        idsOf(await store.query('orders', { limit: 100, ...query }));

      it('answers every document in id order when there is neither filter nor order', async () => {
        expect(await ids({})).to.deep.equal(['o-01', 'o-02', 'o-03', 'o-04', 'o-05', 'o-06', 'o-07', 'o-08']);
      });

      it('filters on equality with a string, a number and a boolean', async () => {
        expect(await ids({ where: { status: 'paid' } })).to.deep.equal(['o-02', 'o-03', 'o-06', 'o-08']);
        expect(await ids({ where: { total: 1200 } })).to.deep.equal(['o-01', 'o-03', 'o-06']);
        expect(await ids({ where: { paid: false } })).to.deep.equal(['o-01', 'o-05', 'o-07']);
        expect(await ids({ where: { status: 'refunded' } })).to.deep.equal([]);
      });

      it('filters ISO timestamps on ranges with inclusive and exclusive bounds', async () => {
        const may2 = '2024-05-02T00:00:00.000Z';
        const may3Noon = '2024-05-03T12:00:00.000Z';
        expect(await ids({ where: { placedAt: { gte: may2, lt: may3Noon } } })).to.deep.equal(['o-03', 'o-04']);
        expect(await ids({ where: { placedAt: { gte: may2, lte: may3Noon } } })).to.deep.equal([
          'o-03',
          'o-04',
          'o-05',
          'o-06',
        ]);
        expect(await ids({ where: { placedAt: { gt: may3Noon } } })).to.deep.equal(['o-07', 'o-08']);
        expect(await ids({ where: { placedAt: { lte: '2024-05-01T10:00:00.000Z' } } })).to.deep.equal(['o-01', 'o-02']);
      });

      it('filters numbers on ranges with inclusive and exclusive bounds', async () => {
        expect(await ids({ where: { total: { gte: 1200, lte: 4500 } } })).to.deep.equal([
          'o-01',
          'o-02',
          'o-03',
          'o-06',
        ]);
        expect(await ids({ where: { total: { lt: 1000 } } })).to.deep.equal(['o-04', 'o-07']);
        expect(await ids({ where: { total: { gt: 4500 } } })).to.deep.equal(['o-05', 'o-08']);
        expect(await ids({ where: { total: { gt: 1200, lt: 1200 } } })).to.deep.equal([]);
      });

      it('combines filters on several fields', async () => {
        const where = { status: 'paid', total: { gte: 1200, lt: 5000 }, placedAt: { lt: '2024-05-03T00:00:00.000Z' } };

        expect(await ids({ where })).to.deep.equal(['o-02', 'o-03']);
      });

      it('matches values of the filter’s own type only', async () => {
        await store.putMany('codes', [
          doc('c-number', { code: 1 }),
          doc('c-string', { code: '1' }),
          doc('c-true', { code: true }),
          doc('c-object', { code: { value: 1 } }),
          doc('c-missing', {}),
        ]);
        const codes = async (code: FieldFilter): Promise<string[]> =>
          idsOf(await store.query('codes', { where: { code }, limit: 10 }));

        expect(await codes(1)).to.deep.equal(['c-number']);
        expect(await codes('1')).to.deep.equal(['c-string']);
        expect(await codes(true)).to.deep.equal(['c-true']);
        expect(await codes({ gte: 0 })).to.deep.equal(['c-number']);
        expect(await codes({ gte: '' })).to.deep.equal(['c-string']);
        expect(await codes({ lte: 'zzzz' })).to.deep.equal(['c-string']);
      });

      it('orders ascending by a field, breaking ties by id', async () => {
        const orderBy = { field: 'total', direction: 'asc' } as const;

        expect(await ids({ orderBy })).to.deep.equal(['o-07', 'o-04', 'o-01', 'o-03', 'o-06', 'o-02', 'o-05', 'o-08']);
      });

      it('orders descending by a field, breaking ties by id descending', async () => {
        const orderBy = { field: 'total', direction: 'desc' } as const;

        expect(await ids({ orderBy })).to.deep.equal(['o-08', 'o-05', 'o-02', 'o-06', 'o-03', 'o-01', 'o-04', 'o-07']);
      });

      it('filters and orders together', async () => {
        const query = { where: { status: 'paid' }, orderBy: { field: 'placedAt', direction: 'desc' } } as const;

        expect(await ids(query)).to.deep.equal(['o-08', 'o-06', 'o-03', 'o-02']);
      });

      it('puts documents without the sort field first ascending and last descending', async () => {
        await store.putMany('orders', [doc('m-2', { status: 'draft' }), doc('m-1', { status: 'draft', total: null })]);

        expect(await ids({ orderBy: { field: 'total', direction: 'asc' } })).to.deep.equal([
          'm-1',
          'm-2',
          'o-07',
          'o-04',
          'o-01',
          'o-03',
          'o-06',
          'o-02',
          'o-05',
          'o-08',
        ]);
        expect(await ids({ orderBy: { field: 'total', direction: 'desc' } })).to.deep.equal([
          'o-08',
          'o-05',
          'o-02',
          'o-06',
          'o-03',
          'o-01',
          'o-04',
          'o-07',
          'm-2',
          'm-1',
        ]);
      });

      it('returns at most limit documents, with a cursor to the rest', async () => {
        const page = await store.query('orders', { orderBy: { field: 'total', direction: 'asc' }, limit: 3 });

        expect(idsOf(page)).to.deep.equal(['o-07', 'o-04', 'o-01']);
        expect(page.next).to.be.a('string');
      });

      it('gives no cursor on a page that holds the last matching document', async () => {
        const page = await store.query('orders', { where: { status: 'paid' }, limit: 4 });

        expect(idsOf(page)).to.deep.equal(['o-02', 'o-03', 'o-06', 'o-08']);
        expect(page.next).to.be.undefined;
      });

      it('pages ascending through ties, visiting each document once and in order', async () => {
        const pages = await allPages(store, 'orders', { orderBy: { field: 'total', direction: 'asc' }, limit: 3 });

        expect(pages).to.deep.equal([
          ['o-07', 'o-04', 'o-01'],
          ['o-03', 'o-06', 'o-02'],
          ['o-05', 'o-08'],
        ]);
      });

      it('pages descending through ties, visiting each document once and in order', async () => {
        const pages = await allPages(store, 'orders', { orderBy: { field: 'total', direction: 'desc' }, limit: 2 });

        expect(pages).to.deep.equal([
          ['o-08', 'o-05'],
          ['o-02', 'o-06'],
          ['o-03', 'o-01'],
          ['o-04', 'o-07'],
        ]);
      });

      it('pages across the documents without the sort field, in both directions', async () => {
        await store.putMany('orders', [doc('m-1', { total: null }), doc('m-2', {}), doc('m-3', {})]);
        const asc = await allPages(store, 'orders', { orderBy: { field: 'total', direction: 'asc' }, limit: 2 });
        const desc = await allPages(store, 'orders', { orderBy: { field: 'total', direction: 'desc' }, limit: 4 });

        expect(asc.flat()).to.deep.equal([
          'm-1',
          'm-2',
          'm-3',
          'o-07',
          'o-04',
          'o-01',
          'o-03',
          'o-06',
          'o-02',
          'o-05',
          'o-08',
        ]);
        expect(desc).to.deep.equal([
          ['o-08', 'o-05', 'o-02', 'o-06'],
          ['o-03', 'o-01', 'o-04', 'o-07'],
          ['m-3', 'm-2', 'm-1'],
        ]);
      });

      it('pages filtered results without the documents the filter leaves out', async () => {
        const query = { where: { paid: true }, orderBy: { field: 'placedAt', direction: 'asc' }, limit: 2 } as const;

        expect(await allPages(store, 'orders', query)).to.deep.equal([['o-02', 'o-03'], ['o-04', 'o-06'], ['o-08']]);
      });

      it('keeps paging stable while documents are inserted: new ones ahead of the cursor appear, the rest do not', async () => {
        const query = { orderBy: { field: 'placedAt', direction: 'asc' }, limit: 3 } as const;
        const insertions: readonly (readonly DocumentWrite[])[] = [
          [
            doc('n-1', { placedAt: '2024-04-30T00:00:00.000Z' }), // before the cursor: never seen
            doc('n-2', { placedAt: '2024-05-02T08:30:00.000Z' }), // ties with the cursor, smaller id: never seen
            doc('o-03a', { placedAt: '2024-05-02T08:30:00.000Z' }), // ties with the cursor, larger id: seen
            doc('n-3', { placedAt: '2024-06-01T00:00:00.000Z' }), // after the cursor: seen last
          ],
          [doc('n-4', { placedAt: '2024-05-04T00:00:00.000Z' })], // ties with o-07, after the cursor: seen
        ];

        const pages = await allPages(store, 'orders', query, async (index) => {
          await store.putMany('orders', insertions[index] ?? []);
        });

        expect(pages).to.deep.equal([
          ['o-01', 'o-02', 'o-03'],
          ['o-03a', 'o-04', 'o-05'],
          ['o-06', 'n-4', 'o-07'],
          ['o-08', 'n-3'],
        ]);
      });

      it('rejects a malformed or foreign cursor with InvalidCursorError', async () => {
        const byTotal = { orderBy: { field: 'total', direction: 'asc' }, limit: 2 } as const;
        const first = await store.query('orders', byTotal);
        const fromTotal = first.next ?? '';
        const encoded = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');
        const attempts: readonly [string, Query][] = [
          ['not a cursor!', byTotal],
          ['', byTotal],
          [Buffer.from('hello').toString('base64url'), byTotal],
          [encoded({ x: 1 }), byTotal],
          [encoded(['total', 1200, 'o-01']), byTotal],
          [encoded({ f: 'total', d: 'asc', v: { $gt: 1 }, i: 'o-01' }), byTotal],
          [fromTotal, { ...byTotal, orderBy: { field: 'placedAt', direction: 'asc' } }],
          [fromTotal, { ...byTotal, orderBy: { field: 'total', direction: 'desc' } }],
          [fromTotal, { limit: 2 }],
        ];

        for (const [cursor, query] of attempts) {
          const error = await rejectionOf(store.query('orders', { ...query, after: cursor }));
          expect(error, `cursor ${JSON.stringify(cursor)}`).to.be.instanceOf(InvalidCursorError);
          expect((error as InvalidCursorError).cursor).to.equal(cursor);
        }
      });

      it('rejects a limit that is not a positive integer', async () => {
        for (const limit of [0, -1, 1.5, Number.NaN]) {
          expect(await rejectionOf(store.query('orders', { limit })), `limit ${limit}`).to.be.instanceOf(Error);
        }
      });

      it('rejects field names that are not plain identifiers, so they never reach the query language', async () => {
        const rejected: readonly Query[] = [
          { where: { "status') OR 1=1 --": 'x' }, limit: 5 },
          { where: { 'status.nested': 'x' }, limit: 5 },
          { where: { $where: 'x' }, limit: 5 },
          { orderBy: { field: 'total; DROP TABLE x', direction: 'asc' }, limit: 5 },
        ];
        for (const query of rejected) {
          expect(await rejectionOf(store.query('orders', query)), JSON.stringify(query)).to.be.instanceOf(Error);
        }
        expect(await rejectionOf(store.ensureIndexes('orders', ['a.b']))).to.be.instanceOf(Error);
        expect(await store.count('orders')).to.equal(8);
      });

      it('rejects a range filter without bounds or with bounds of mixed types', async () => {
        expect(await rejectionOf(store.query('orders', { where: { total: {} }, limit: 5 }))).to.be.instanceOf(Error);
        const mixed = { where: { total: { gte: 1, lt: 'z' } }, limit: 5 };
        expect(await rejectionOf(store.query('orders', mixed))).to.be.instanceOf(Error);
      });
    });

    describe('counting', () => {
      it('counts the documents of a collection, replacements once', async () => {
        await store.putMany('orders', orders);
        await store.putMany('orders', [doc('o-01', { status: 'paid' }), doc('o-09', { status: 'placed' })]);

        expect(await store.count('orders')).to.equal(9);
      });
    });

    describe('indexes', () => {
      it('declares indexes idempotently, and queries answer the same before and after', async () => {
        await store.putMany('orders', shuffledOrders);
        const query = {
          where: { status: 'paid', placedAt: { gte: '2024-05-02T00:00:00.000Z' } },
          orderBy: { field: 'total', direction: 'desc' },
          limit: 2,
        } as const;
        const before = await allPages(store, 'orders', query);

        await store.ensureIndexes('orders', ['status', 'placedAt', 'total']);
        await store.ensureIndexes('orders', ['status', 'placedAt', 'total']);
        await store.ensureIndexes('orders', ['total']);

        expect(before).to.deep.equal([['o-08', 'o-06'], ['o-03']]);
        expect(await allPages(store, 'orders', query)).to.deep.equal(before);
      });

      it('creates the collection when it declares indexes on one that does not exist yet', async () => {
        await store.ensureIndexes('skus', ['name']);
        await store.ensureIndexes('customers', []);

        expect(await store.listCollections()).to.deep.equal(['customers', 'skus']);
        expect(await store.count('skus')).to.equal(0);
      });
    });

    describe('collections', () => {
      it('lists the collections written to, sorted by name', async () => {
        await store.putMany('skus', [doc('SKU-1', { name: 'Teapot' })]);
        await store.putMany('orders', [doc('o-01', { status: 'placed' })]);
        await store.putMany('customer_totals_v2', [doc('c-1', { total: 5 })]);

        expect(await store.listCollections()).to.deep.equal(['customer_totals_v2', 'orders', 'skus']);
      });

      it('drops a collection with its documents and indexes, and a missing one without complaint', async () => {
        await store.putMany('skus', [doc('SKU-1', { name: 'Teapot' })]);
        await store.ensureIndexes('skus', ['name']);
        await store.putMany('orders', [doc('o-01', { status: 'placed' })]);

        await store.dropCollection('skus');
        await store.dropCollection('never_written');

        expect(await store.listCollections()).to.deep.equal(['orders']);
        expect(await store.get('skus', 'SKU-1')).to.be.undefined;
        expect(await store.count('skus')).to.equal(0);
        await store.putMany('skus', [doc('SKU-2', { name: 'Cup' })]);
        expect(idsOf(await store.query('skus', { where: { name: 'Cup' }, limit: 5 }))).to.deep.equal(['SKU-2']);
        expect(await store.count('skus')).to.equal(1);
      });

      it('keeps collections apart: the same id in two collections holds two documents', async () => {
        await store.putMany('orders_by_day', [doc('2024-05-01', { kind: 'day', count: 3 })]);
        await store.putMany('orders_by_month', [doc('2024-05-01', { kind: 'month', count: 40 })]);

        expect((await store.get('orders_by_day', '2024-05-01'))?.body).to.deep.equal({ kind: 'day', count: 3 });
        expect(idsOf(await store.query('orders_by_day', { where: { kind: 'month' }, limit: 5 }))).to.deep.equal([]);
        await store.dropCollection('orders_by_month');
        expect(await store.count('orders_by_day')).to.equal(1);
      });

      it('accepts lowercase identifiers of up to 63 characters as collection names and rejects anything else', async () => {
        const longest = `a${'b'.repeat(62)}`;
        await store.putMany(longest, [doc('x', {})]);
        expect(await store.count(longest)).to.equal(1);

        for (const bad of ['', 'Orders', '1orders', '_orders', 'orders-v2', 'system.views', 'a"b', `${longest}c`]) {
          expect(await rejectionOf(store.putMany(bad, [doc('x', {})])), `name ${bad}`).to.be.instanceOf(Error);
          expect(await rejectionOf(store.get(bad, 'x')), `name ${bad}`).to.be.instanceOf(Error);
        }
        expect(await store.listCollections()).to.deep.equal([longest]);
      });
    });

    describe('closing', () => {
      it('closes idempotently and rejects work afterwards', async () => {
        await store.close();
        await store.close();

        expect(await rejectionOf(store.get('orders', 'o-01'))).to.be.instanceOf(Error);
        expect(await rejectionOf(store.putMany('orders', [doc('o-01', {})]))).to.be.instanceOf(Error);
      });
    });

    describe('paging, for any documents, filter, order and page sizes', () => {
      it('visits exactly the filtered documents, in order, whatever the page sizes', async function () {
        this.timeout(120_000);
        let run = 0;
        await fc.assert(
          fc.asyncProperty(
            fc.uniqueArray(fc.tuple(propertyIdArbitrary, propertyBodyArbitrary), {
              selector: ([id]) => id,
              maxLength: 25,
            }),
            propertyQueryArbitrary,
            async (generated, { where, orderBy, pageSizes }) => {
              run += 1;
              const collection = `property_${run}`;
              const documents: PropertyDocument[] = generated.map(([id, body]) => ({ id, ...body }));
              try {
                await store.putMany(
                  collection,
                  documents.map((d) => doc(d.id, d.n === undefined ? { s: d.s } : { n: d.n, s: d.s })),
                );
                const expected = documents
                  .filter((d) => matchesProperty(where, d))
                  .sort((a, b) => expectedOrder(orderBy, a, b))
                  .map((d) => d.id);

                const visited: string[] = [];
                let after: string | undefined;
                for (let index = 0; index <= documents.length + 1; index += 1) {
                  const limit = pageSizes[index % pageSizes.length] ?? 1;
                  const page = await store.query(collection, {
                    ...(where === undefined ? {} : { where }),
                    ...(orderBy === undefined ? {} : { orderBy }),
                    limit,
                    ...(after === undefined ? {} : { after }),
                  });
                  visited.push(...idsOf(page));
                  if (page.next === undefined) break;
                  expect(page.items).to.have.length(limit);
                  after = page.next;
                }

                expect(visited).to.deep.equal(expected);
              } finally {
                await store.dropCollection(collection);
              }
            },
          ),
          { numRuns: 50, timeout: 10_000 },
        );
      });
    });

    describe('throughput (reported, not asserted)', () => {
      it('writes 10,000 small documents in batches of 500', async function () {
        this.timeout(120_000);
        const total = 10_000;
        const batchSize = 500;
        const started = performance.now();
        for (let offset = 0; offset < total; offset += batchSize) {
          const batch = Array.from({ length: batchSize }, (_, index) => {
            const n = offset + index;
            return doc(
              `sku-${n.toString().padStart(5, '0')}`,
              { name: `Item ${n}`, price: { minor: 100 + (n % 900), currency: 'EUR' }, onHand: n % 50, reserved: 0 },
              { $all: n },
            );
          });
          await store.putMany('throughput', batch);
        }
        const seconds = (performance.now() - started) / 1000;

        console.log(
          `      [${name}] putMany: ${total} docs in batches of ${batchSize} in ${seconds.toFixed(2)} s ` +
            `= ${Math.round(total / seconds)} docs/s`,
        );
        expect(await store.count('throughput')).to.equal(total);
      });
    });
  });
};
