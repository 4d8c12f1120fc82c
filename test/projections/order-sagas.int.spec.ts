import { expect } from 'chai';
import * as E from 'fp-ts/Either';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectionRetryers } from '../../app/dead-letters/retryers';
import { EmbeddedBus } from '../../infra/bus/embedded-bus';
import { createLogger } from '../../infra/observability/logger';
import { openSqliteDeadLetterStore } from '../../infra/sqlite/sqlite-dead-letter-store';
import { openSqliteEventStore, type SqliteEventStore } from '../../infra/sqlite/sqlite-event-store';
import { openSqliteReadStore } from '../../infra/sqlite/sqlite-read-store';
import { ManualClock } from '../../ports/clock';
import type { RecordedEvent } from '../../ports/event-store';
import { EMBEDDED_SOURCE, type Delivery } from '../../ports/message-bus';
import type { ReadStore } from '../../ports/read-store';
import {
  allReadModels,
  decodeReadModelEvent,
  ORDER_SAGAS_CONSUMER,
  orderSagasProjection,
  storedProjection,
} from '../../projections';
import { overEveryEvent } from '../../projections/input';
import { rebuildProjection, resetProjection } from '../../projections/rebuild';
import { readEntry } from '../../projections/registry';
import { ProjectionRunner } from '../../projections/runner';
import { orderSagasCollection, sagaView, type OrderSagaDoc } from '../../projections/sagas/projection';
import { orderSagaExtras } from '../../read-api/order-extras';
import { ProjectionWorker } from '../../projections/worker';
import { defineSku, given, placeOrder, restock, startSagaApi } from '../sagas/runner-harness';

/** The read model's documents as the fold of the saga events in log order, in memory. */
const fold = (events: readonly RecordedEvent[]): Map<string, OrderSagaDoc> => {
  const sagas = overEveryEvent(orderSagasProjection);
  const docs = new Map<string, OrderSagaDoc>();
  for (const recorded of events) {
    const decoded = decodeReadModelEvent(recorded);
    if (E.isLeft(decoded)) continue;
    for (const id of sagas.documentIds(decoded.right)) {
      docs.set(id, sagas.evolve(docs.get(id) ?? null, decoded.right, id));
    }
  }
  return docs;
};

const documents = async (store: ReadStore): Promise<Map<string, unknown>> => {
  const page = await store.query(orderSagasCollection, { limit: 1_000 });
  return new Map(page.items.map((d) => [d.id, d.body]));
};

const asAll = (events: readonly RecordedEvent[]): Delivery[] =>
  events.map((event) => ({ source: EMBEDDED_SOURCE, sequence: event.position, event }));

/** Kafka-like: one source per partition (streams hashed), offsets per partition. */
const partitioned = (events: readonly RecordedEvent[], partitions: number): Delivery[][] => {
  const byPartition = Array.from({ length: partitions }, (): Delivery[] => []);
  for (const event of events) {
    let h = 7;
    for (let i = 0; i < event.streamId.length; i++) h = (h * 31 + event.streamId.charCodeAt(i)) >>> 0;
    const list = byPartition[h % partitions] ?? [];
    list.push({ source: `sagas/${h % partitions}`, sequence: list.length, event });
  }
  return byPartition;
};

/** A read store whose writes of one saga document fail while `poisoned` (a poison event for that document). */
const failingFor = (store: ReadStore, id: string): { store: ReadStore; heal: () => void } => {
  let poisoned = true;
  return {
    heal: () => {
      poisoned = false;
    },
    store: {
      get: (c, i) => store.get(c, i),
      getMany: (c, ids) => store.getMany(c, ids),
      query: (c, q) => store.query(c, q),
      count: (c) => store.count(c),
      ensureIndexes: (c, f) => store.ensureIndexes(c, f),
      listCollections: () => store.listCollections(),
      dropCollection: (c) => store.dropCollection(c),
      close: () => store.close(),
      putMany: (collection, writes) =>
        poisoned && collection === orderSagasCollection && writes.some((w) => w.id === id)
          ? Promise.reject(new Error(`cannot write ${id}`))
          : store.putMany(collection, writes),
    },
  };
};

describe('the order-saga read model (a projection of the fulfilment saga events)', () => {
  let dir: string;
  let events: RecordedEvent[];
  let reference: Map<string, OrderSagaDoc>;
  let engineDocs: Map<string, unknown>;
  let store: SqliteEventStore;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'commerce-order-sagas-'));
    const api = await startSagaApi({ env: { DATA_DIR: join(dir, 'source') } });
    await given(api, defineSku('MUG-1', 1_000), restock('MUG-1', 20));
    const tokens = ['tok_approve', 'tok_decline', 'tok_error', 'tok_approve'];
    for (let i = 0; i < 8; i++) {
      await given(api, placeOrder(`o-${i}`, [{ sku: 'MUG-1', quantity: 1 + (i % 2) }], tokens[i % tokens.length]));
    }
    await api.settle();
    api.clock.advance(1_000);
    await api.sagas.tick();
    const head = await api.settle();
    expect(await api.engine.projections.waitFor(orderSagasProjection.name, head, 5_000)).to.equal(true);
    engineDocs = await documents(api.engine.readStore);
    events = [...(await api.store.readAll({ after: 0, maxCount: 10_000 }))];
    await api.close();
    store = openSqliteEventStore({ path: join(dir, 'source', 'events.db') });
    reference = fold(events);
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const freshReadStore = (): ReadStore =>
    openSqliteReadStore({ path: join(dir, `read-${String(Math.random()).slice(2)}.db`) });

  it('is one of the read models the runners keep', () => {
    expect(allReadModels.map((p) => p.name)).to.include('order_sagas');
    expect(ORDER_SAGAS_CONSUMER).to.equal('projection:order_sagas');
  });

  it('the embedded engine keeps exactly the fold of the saga events, one document per order', () => {
    expect([...reference.keys()].sort()).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7].map((i) => `o-${i}`));
    expect(
      new Set(events.filter((e) => e.streamId.startsWith('saga-fulfilment-')).map((e) => e.type)).size,
    ).to.be.above(4);
    expect(engineDocs).to.deep.equal(reference);
  });

  it('a worker writes the fold batch by batch, and nothing changes when every batch is delivered twice', async () => {
    const readStore = freshReadStore();
    const worker = new ProjectionWorker(orderSagasProjection, readStore, orderSagasCollection);
    await worker.init();
    for (let i = 0; i < events.length; i += 13) {
      const batch = asAll(events.slice(i, i + 13));
      await worker.handle(batch);
      const { eventsApplied, documentsWritten } = worker.current;
      await worker.handle(batch);
      // the documents' per-source progress skips the redelivery: nothing is folded or written again
      expect(worker.current).to.include({ eventsApplied, documentsWritten });
    }
    expect(await documents(readStore)).to.deep.equal(reference);
    await readStore.close();
  });

  it('gives the same documents through Kafka-like partitions, each batch delivered twice', async () => {
    const readStore = freshReadStore();
    const worker = new ProjectionWorker(orderSagasProjection, readStore, orderSagasCollection);
    await worker.init();
    const partitions = partitioned(events, 3);
    for (let i = 0; partitions.some((p) => i < p.length); i += 5) {
      for (const partition of [...partitions].reverse()) {
        const batch = partition.slice(i, i + 5);
        if (batch.length === 0) continue;
        await worker.handle(batch);
        const { eventsApplied, documentsWritten } = worker.current;
        await worker.handle(batch);
        expect(worker.current).to.include({ eventsApplied, documentsWritten });
      }
    }
    expect(await documents(readStore)).to.deep.equal(reference);
    await readStore.close();
  });

  it('applies nothing twice to documents written with per-stream progress only (before the runner kept them)', async () => {
    const readStore = freshReadStore();
    const revisions = new Map<string, number>();
    for (const e of events) revisions.set(e.streamId, e.revision);
    await readStore.putMany(
      orderSagasCollection,
      [...reference].map(([id, doc]) => ({
        id,
        body: JSON.parse(JSON.stringify(doc)) as Record<string, unknown>,
        progress: { [`saga-fulfilment-${id}`]: revisions.get(`saga-fulfilment-${id}`) ?? 0 },
        expectedVersion: 0,
      })),
    );
    const worker = new ProjectionWorker(orderSagasProjection, readStore, orderSagasCollection);
    await worker.init();
    // the old consumer's checkpoint lagged behind its documents: events they hold come again
    await worker.handle(asAll(events.slice(0, Math.floor(events.length / 2))));
    expect(await documents(readStore)).to.deep.equal(reference);
    await readStore.close();
  });

  it('rebuilds blue/green into a new collection that the order detail then reads, and resets in place', async () => {
    const readStore = freshReadStore();
    const projection = storedProjection(orderSagasProjection);
    const rebuilt = await rebuildProjection({
      eventStore: store,
      readStore,
      projection,
      batchSize: 25,
      handoverTimeoutMs: 0,
    });
    expect(rebuilt).to.include({ outcome: 'switched', target: 'order_sagas_v1_1' });
    expect((await readEntry(readStore, projection)).entry.live.collection).to.equal('order_sagas_v1_1');
    const page = await readStore.query('order_sagas_v1_1', { limit: 1_000 });
    expect(new Map(page.items.map((d) => [d.id, d.body]))).to.deep.equal(reference);
    const o1 = reference.get('o-1');
    expect(o1).to.not.equal(undefined);
    expect(await orderSagaExtras(readStore)('o-1')).to.deep.equal({ saga: o1 && sagaView(o1) });

    const reset = await resetProjection({ eventStore: store, readStore, projection, batchSize: 25 });
    expect(reset).to.include({ outcome: 'switched', target: 'order_sagas_v1_1' });
    const again = await readStore.query('order_sagas_v1_1', { limit: 1_000 });
    expect(new Map(again.items.map((d) => [d.id, d.body]))).to.deep.equal(reference);
    await readStore.close();
  });

  describe('when a document cannot be written (a poison event) under the runner with dead letters', () => {
    it('records it as a dead letter of projection:order_sagas, parks its stream, applies the others, and a retry completes it', async () => {
      const clock = new ManualClock('2026-03-01T10:00:00.000Z');
      const deadLetters = openSqliteDeadLetterStore(':memory:', clock);
      const readStore = freshReadStore();
      const failing = failingFor(readStore, 'o-2');
      const bus = new EmbeddedBus(store, store.checkpointStore());
      const runner = new ProjectionRunner({
        bus,
        readStore: failing.store,
        logger: createLogger('silent'),
        projections: [storedProjection(orderSagasProjection)],
        maxBatch: 20,
        // the engine that wrote the history checkpointed `projection:order_sagas` in this store: start afresh
        groupPrefix: 'again',
        deadLetters: { store: deadLetters, projections: ['order_sagas'] },
      });
      await runner.start();
      await runner.caughtUp();
      await runner.stop();

      const letters = await deadLetters.list({ consumer: ORDER_SAGAS_CONSUMER });
      const o2 = events.filter((e) => e.streamId === 'saga-fulfilment-o-2');
      expect(letters.map((l) => l.key)).to.deep.equal(o2.map(() => 'saga-fulfilment-o-2'));
      expect(letters.map((l) => l.event.eventId)).to.deep.equal(o2.map((e) => e.eventId));
      const without = new Map(reference);
      without.delete('o-2');
      expect(await documents(readStore)).to.deep.equal(without);
      expect(runner.status('order_sagas')?.position).to.equal(events.at(-1)?.position);

      failing.heal();
      const retry = projectionRetryers(() => Promise.resolve(readStore))(ORDER_SAGAS_CONSUMER);
      if (retry === undefined) throw new Error('no retryer for the order sagas');
      for (const letter of letters) await retry(letter);
      expect(await documents(readStore)).to.deep.equal(reference);
      await deadLetters.close();
      await readStore.close();
    });
  });
});
