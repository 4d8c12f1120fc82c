import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedBus } from '../../infra/bus/embedded-bus';
import { EMBEDDED_SOURCE } from '../../ports/message-bus';
import type { RecordedEvent } from '../../ports/event-store';
import type { Delivery } from '../../ports/message-bus';
import type { DocumentWrite, PutResult, ReadStore } from '../../ports/read-store';
import { openSqliteEventStore, type SqliteEventStore } from '../../infra/sqlite/sqlite-event-store';
import { openSqliteReadStore } from '../../infra/sqlite/sqlite-read-store';
import { allProjections } from '../../projections';
import { foldRecorded, foldStore } from '../../projections/fold';
import { collectionName, type Projection } from '../../projections/projection';
import { PROGRESS_COLLECTION, ProjectionWorker } from '../../projections/worker';
import { startTestApi } from '../api-spec';
import { appendEvents } from './append-events';
import { pricingHistory } from './pricing-history';

/** Writes a realistic history through the real command API, then hands back its store's events. */
const history = async (dir: string): Promise<RecordedEvent[]> => {
  const api = await startTestApi({ DATA_DIR: dir });
  const req = (method: 'PUT' | 'POST', path: string, body: unknown) => api.request({ method, path, body });
  for (const sku of ['MUG-1', 'TEE-1', 'CAP-1']) {
    await req('PUT', `/v1/skus/${sku}`, { name: sku, unitPrice: { amount: 1000, currency: 'EUR' } });
    await req('POST', `/v1/skus/${sku}/restock`, { quantity: 50 });
  }
  for (let i = 0; i < 30; i++) {
    api.clock.advance(7 * 60_000);
    await req('POST', '/v1/orders', {
      orderId: `o-${i}`,
      customerId: `c-${i % 4}`,
      lines: [{ sku: ['MUG-1', 'TEE-1', 'CAP-1'][i % 3], quantity: 1 + (i % 2) }],
      payment: { token: 'tok_approve' },
    });
    if (i % 5 === 0) await req('POST', `/v1/orders/o-${i}/cancel`, { reason: 'changed mind' });
    if (i % 7 === 0) await req('POST', `/v1/skus/MUG-1/adjust`, { delta: -1, reason: 'breakage' });
  }
  await appendEvents(api.store, ...pricingHistory());
  const events = await api.store.readAll({ after: 0, maxCount: 10_000 });
  await api.close();
  return [...events];
};

const asDeliveries = (
  events: readonly RecordedEvent[],
  source: (e: RecordedEvent) => string,
  sequence: (e: RecordedEvent) => number,
): Delivery[] => events.map((event) => ({ source: source(event), sequence: sequence(event), event }));

const documents = async (store: ReadStore, projection: Projection<unknown>): Promise<Map<string, unknown>> => {
  const out = new Map<string, unknown>();
  let after: string | undefined;
  do {
    const page = await store.query(collectionName(projection), {
      limit: 500,
      orderBy: { field: 'updatedAt', direction: 'asc' },
      ...(after ? { after } : {}),
    });
    for (const d of page.items) out.set(d.id, d.body);
    after = page.next;
  } while (after);
  return out;
};

/** Kafka-like partitions by stream: one source per partition, offsets per partition, stream order kept. */
const partitioned = (events: readonly RecordedEvent[], partitions: number): Delivery[][] => {
  const partitionOf = (e: RecordedEvent): number => {
    let h = 7;
    for (let i = 0; i < e.streamId.length; i++) h = (h * 31 + e.streamId.charCodeAt(i)) >>> 0;
    return h % partitions;
  };
  const byPartition = Array.from({ length: partitions }, (): Delivery[] => []);
  for (const e of events) {
    const p = partitionOf(e);
    const list = byPartition[p] ?? [];
    list.push({ source: `orders/${p}`, sequence: list.length, event: e });
  }
  return byPartition;
};

/**
 * The documents must equal the fold; for `sales`, rankings (top SKUs, capped reason lists) depend on the arrival
 * order across streams, so only its counters are compared.
 */
const expectFold = (projection: Projection<unknown>, got: Map<string, unknown>, want: Map<string, unknown>): void => {
  expect([...got.keys()].sort()).to.deep.equal([...want.keys()].sort());
  if (projection.name !== 'sales') {
    expect(got).to.deep.equal(want);
    return;
  }
  for (const [id, doc] of got) {
    const { topSkus: _a, cancelledByReason: _b, ...exact } = doc as Record<string, unknown>;
    const { topSkus: _c, cancelledByReason: _d, ...wanted } = want.get(id) as Record<string, unknown>;
    expect(exact, id).to.deep.equal(wanted);
  }
};

describe('a projection worker', () => {
  let dir: string;
  let events: RecordedEvent[];
  let reference: Map<string, Map<string, unknown>>;
  let store: SqliteEventStore;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'commerce-worker-'));
    events = await history(join(dir, 'source'));
    store = openSqliteEventStore({ path: join(dir, 'source', 'events.db') });
    reference = new Map();
    for (const p of allProjections) reference.set(p.name, await foldStore(p, store));
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const freshReadStore = (name: string): ReadStore =>
    openSqliteReadStore({ path: join(dir, `${name}-${String(Math.random()).slice(2)}.db`) });

  for (const projection of allProjections) {
    describe(`for ${projection.name}`, () => {
      it('writes exactly the fold of the event store', async () => {
        const readStore = freshReadStore(projection.name);
        const worker = new ProjectionWorker(projection, readStore, collectionName(projection));
        await worker.init();
        for (let i = 0; i < events.length; i += 17)
          await worker.handle(
            asDeliveries(
              events.slice(i, i + 17),
              () => EMBEDDED_SOURCE,
              (e) => e.position,
            ),
          );
        expect(await documents(readStore, projection)).to.deep.equal(reference.get(projection.name));
        await readStore.close();
      });

      it('writes a batch as one putMany with one write per document, however many of its events touch one', async () => {
        const readStore = freshReadStore(projection.name);
        const calls: (readonly DocumentWrite[])[] = [];
        // the adapters get the batch as it is: coalescing happens here, once per batch, not in each adapter
        const recording: ReadStore = {
          get: (collection, id) => readStore.get(collection, id),
          getMany: (collection, ids) => readStore.getMany(collection, ids),
          putMany: (collection, writes) => {
            if (collection === collectionName(projection)) calls.push(writes);
            return readStore.putMany(collection, writes);
          },
          query: (collection, query) => readStore.query(collection, query),
          count: (collection) => readStore.count(collection),
          ensureIndexes: (collection, fields) => readStore.ensureIndexes(collection, fields),
          listCollections: () => readStore.listCollections(),
          dropCollection: (collection) => readStore.dropCollection(collection),
          close: () => readStore.close(),
        };
        const worker = new ProjectionWorker(projection, recording, collectionName(projection));
        await worker.init();

        await worker.handle(
          asDeliveries(
            events,
            () => EMBEDDED_SOURCE,
            (e) => e.position,
          ),
        );

        const [writes, ...more] = calls;
        const ids = (writes ?? []).map((write) => write.id);
        expect(more, 'one putMany for the batch').to.deep.equal([]);
        expect(new Set(ids).size, 'each document once').to.equal(ids.length);
        expect([...new Set(ids)].sort()).to.deep.equal([...(reference.get(projection.name)?.keys() ?? [])].sort());
        // (this history, without sagas, has no payments: that read model writes nothing)
        if (ids.length > 0)
          expect(worker.current.eventsApplied, 'more events than writes').to.be.greaterThan(ids.length);
        await readStore.close();
      });

      it('changes nothing when every batch is delivered twice', async () => {
        const readStore = freshReadStore(projection.name);
        const worker = new ProjectionWorker(projection, readStore, collectionName(projection));
        await worker.init();
        for (let i = 0; i < events.length; i += 23) {
          const batch = asDeliveries(
            events.slice(i, i + 23),
            () => EMBEDDED_SOURCE,
            (e) => e.position,
          );
          await worker.handle(batch);
          await worker.handle(batch);
          // and an older overlapping range, as after a crash before the checkpoint
          await worker.handle(
            asDeliveries(
              events.slice(Math.max(0, i - 10), i + 5),
              () => EMBEDDED_SOURCE,
              (e) => e.position,
            ),
          );
        }
        expect(await documents(readStore, projection)).to.deep.equal(reference.get(projection.name));
        await readStore.close();
      });

      it('gives the same documents when streams arrive through several partitions in another interleaving', async () => {
        // Kafka-like delivery: one source per partition (by stream), offsets per partition, partitions drained in turn
        const partitionOf = (e: RecordedEvent): number => {
          let h = 7;
          for (let i = 0; i < e.streamId.length; i++) h = (h * 31 + e.streamId.charCodeAt(i)) >>> 0;
          return h % 3;
        };
        const offsets = [0, 0, 0];
        const byPartition: Delivery[][] = [[], [], []];
        for (const e of events) {
          const p = partitionOf(e);
          const sequence = offsets[p] ?? 0;
          offsets[p] = sequence + 1;
          byPartition[p]?.push({ source: `orders/${p}`, sequence, event: e });
        }
        const readStore = freshReadStore(projection.name);
        const worker = new ProjectionWorker(projection, readStore, collectionName(projection));
        await worker.init();
        // partition 2 first, then 0 redelivered in part, then 1
        for (const p of [2, 0, 1]) {
          const list = byPartition[p] ?? [];
          for (let i = 0; i < list.length; i += 11) await worker.handle(list.slice(i, i + 11));
          if (p === 0) await worker.handle(list.slice(0, Math.ceil(list.length / 2)));
        }
        const got = await documents(readStore, projection);
        const want = reference.get(projection.name);
        // per-document state that depends on cross-stream arrival order (top lists, timelines) is compared for the
        // counters that must be exact
        expect([...got.keys()].sort()).to.deep.equal([...(want?.keys() ?? [])].sort());
        if (projection.name !== 'sales') expect(got).to.deep.equal(want);
        else {
          for (const [id, doc] of got) {
            const { topSkus: _a, cancelledByReason: _b, ...exact } = doc as Record<string, unknown>;
            const { topSkus: _c, cancelledByReason: _d, ...wanted } = want?.get(id) as Record<string, unknown>;
            expect(exact, id).to.deep.equal(wanted);
          }
        }
        await readStore.close();
      });
    });
  }

  describe('when two projector processes write one read store, each fed its own partitions', () => {
    for (const projection of allProjections) {
      it(`writes exactly the fold of all events for ${projection.name}, shared documents included`, async () => {
        const path = join(dir, `shared-${projection.name}-${String(Math.random()).slice(2)}.db`);
        const stores = [openSqliteReadStore({ path }), openSqliteReadStore({ path })];
        const [first, second] = partitioned(events, 2);
        try {
          const workers = stores.map(
            (readStore) =>
              new ProjectionWorker(projection, readStore, collectionName(projection), { conflictBackoffMs: 2 }),
          );
          for (const worker of workers) await worker.init();

          // each worker drains its partition in small batches; the awaits interleave the two read-modify-writes
          await Promise.all(
            [first ?? [], second ?? []].map(async (deliveries, index) => {
              const worker = workers[index];
              if (!worker) throw new Error('missing worker');
              for (let i = 0; i < deliveries.length; i += 5) await worker.handle(deliveries.slice(i, i + 5));
            }),
          );

          const [reader] = stores;
          if (!reader) throw new Error('missing store');
          expectFold(projection, await documents(reader, projection), foldRecorded(projection, events));
          if (projection.name === 'sales') {
            const conflicts = workers.reduce((sum, worker) => sum + worker.current.conflicts, 0);
            expect(conflicts, 'the two workers collided on shared buckets').to.be.greaterThan(0);
          }
        } finally {
          for (const readStore of stores) await readStore.close();
        }
      });
    }

    it('gives up on a batch whose documents keep changing, after a bounded number of retries', async () => {
      const projection = allProjections.find((p) => p.name === 'sales');
      if (!projection) throw new Error('sales projection missing');
      const readStore = freshReadStore('always-conflicting');
      let attempts = 0;
      // a store on which another writer always got there first
      const contested: ReadStore = {
        get: (collection, id) => readStore.get(collection, id),
        getMany: (collection, ids) => readStore.getMany(collection, ids),
        putMany: async (collection, writes: readonly DocumentWrite[]): Promise<PutResult> => {
          if (collection !== collectionName(projection)) return readStore.putMany(collection, writes);
          attempts += 1;
          return { conflicts: writes.map((write) => write.id) };
        },
        query: (collection, query) => readStore.query(collection, query),
        count: (collection) => readStore.count(collection),
        ensureIndexes: (collection, fields) => readStore.ensureIndexes(collection, fields),
        listCollections: () => readStore.listCollections(),
        dropCollection: (collection) => readStore.dropCollection(collection),
        close: () => readStore.close(),
      };
      const worker = new ProjectionWorker(projection, contested, collectionName(projection), {
        conflictRetries: 3,
        conflictBackoffMs: 1,
      });
      await worker.init();
      const batch = asDeliveries(
        events,
        () => EMBEDDED_SOURCE,
        (e) => e.position,
      );

      let failure: unknown;
      await worker.handle(batch).catch((error: unknown) => {
        failure = error;
      });

      expect(failure).to.be.instanceOf(Error);
      expect(attempts).to.equal(4);
      expect(await readStore.count(PROGRESS_COLLECTION), 'no progress claimed for an unwritten batch').to.equal(0);
      await readStore.close();
    });
  });

  describe('behind the embedded bus, when it crashes between the write and the checkpoint', () => {
    it('replays the batch on restart and still ends exactly at the fold', async () => {
      const projection = allProjections.find((p) => p.name === 'sales');
      if (!projection) throw new Error('sales projection missing');
      const readStore = freshReadStore('crash');
      const worker = new ProjectionWorker(projection, readStore, collectionName(projection));
      await worker.init();
      const bus = new EmbeddedBus(store, store.checkpointStore());
      let crashed = false;
      const first = await bus.consume({ group: 'crash-test', maxBatch: 40 }, async (batch) => {
        await worker.handle(batch);
        // the effect is durable, but the process dies before the bus saves the checkpoint
        if (!crashed && (batch[batch.length - 1]?.event.position ?? 0) > events.length / 2) {
          crashed = true;
          throw new Error('simulated crash after the write');
        }
      });
      await first.done.catch(() => undefined);
      expect(crashed).to.equal(true);
      const second = await bus.consume({ group: 'crash-test', maxBatch: 40 }, (batch) => worker.handle(batch));
      await second.caughtUp;
      await second.stop();
      expect(await documents(readStore, projection)).to.deep.equal(reference.get('sales'));
      await readStore.close();
    });
  });
});
