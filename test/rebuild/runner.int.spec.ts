import { expect } from 'chai';
import { createLogger } from '../../infra/observability/logger';
import type { RecordedEvent } from '../../ports/event-store';
import type { Consumer, Delivery, DeliveryHandler, MessageBus } from '../../ports/message-bus';
import type { ReadStore } from '../../ports/read-store';
import { openSqliteReadStore } from '../../infra/sqlite/sqlite-read-store';
import { allProjections, ordersProjection, storedProjection } from '../../projections';
import { foldRecorded } from '../../projections/fold';
import { rebuildProjection } from '../../projections/rebuild';
import { readEntry, REGISTRY_COLLECTION, writeEntry } from '../../projections/registry';
import { ProjectionRunner, sharedProjectionGroup } from '../../projections/runner';
import { PROGRESS_COLLECTION, ProjectionWorker } from '../../projections/worker';
import { startTestApi, type TestApi } from '../api-spec';
import { seedOrders } from './helpers';

const orders = storedProjection(ordersProjection);

/** A bus the test drives by hand: each consumer's handler is called with the batches the test hands it. */
class ManualBus implements MessageBus {
  readonly handlers = new Map<string, DeliveryHandler>();
  consume(options: { group: string }, handler: DeliveryHandler): Promise<Consumer> {
    this.handlers.set(options.group, handler);
    return Promise.resolve({
      caughtUp: Promise.resolve(),
      done: new Promise<void>(() => undefined),
      stop: () => Promise.resolve(),
    });
  }
  async deliver(group: string, batch: readonly Delivery[]): Promise<void> {
    const handler = this.handlers.get(group);
    if (handler === undefined) throw new Error(`no consumer ${group}`);
    await handler(batch);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

const asAll = (events: readonly RecordedEvent[]): Delivery[] =>
  events.map((event) => ({ source: '$all', sequence: event.position, event }));

const expectFold = async (store: ReadStore, collection: string, events: readonly RecordedEvent[]): Promise<void> => {
  const reference = foldRecorded(ordersProjection, events);
  expect(await store.count(collection)).to.equal(reference.size);
  const stored = await store.getMany(collection, [...reference.keys()]);
  for (const [id, doc] of reference) {
    expect(stored.get(id)?.body, id).to.deep.equal(JSON.parse(JSON.stringify(doc)));
  }
};

describe('a projection runner following the registry', () => {
  let api: TestApi;
  let readStore: ReadStore;
  let bus: ManualBus;
  let runner: ProjectionRunner;
  beforeEach(async () => {
    api = await startTestApi();
    readStore = openSqliteReadStore({ path: ':memory:' });
    bus = new ManualBus();
  });
  afterEach(async () => {
    await runner.stop();
    await readStore.close();
    await api.close();
  });

  const startRunner = async (withEventStore: boolean, registryRefreshMs = 0): Promise<void> => {
    runner = new ProjectionRunner({
      bus,
      readStore,
      logger: createLogger('silent'),
      projections: [orders],
      switchWaitMs: 0,
      // these tests switch reads between two batches: the next batch must see it
      registryRefreshMs,
      ...(withEventStore ? { eventStore: api.store } : {}),
    });
    await runner.start();
  };

  describe('given batches that follow each other closely', () => {
    it('reads the registry once per refresh period, not once per batch', async () => {
      await seedOrders(api, 5);
      const events = await api.store.readAll({ after: 0, maxCount: 10_000 });
      let registryReads = 0;
      const store = readStore;
      const countedGet: ReadStore['get'] = (collection, id) => {
        if (collection === REGISTRY_COLLECTION) registryReads += 1;
        return store.get(collection, id);
      };
      readStore = new Proxy(store, {
        get: (target, property): unknown => (property === 'get' ? countedGet : Reflect.get(target, property, target)),
      });
      await startRunner(false, 60_000);
      const atStart = registryReads;
      for (const event of events) await bus.deliver('projection:orders', asAll([event]));
      expect(registryReads - atStart, `registry reads for ${events.length} batches`).to.equal(1);
      await expectFold(readStore, 'orders_v2', events);
    });
  });

  describe('after a distributed rebuild', () => {
    it('skips the events the rebuild applied, so partition deliveries never apply them twice', async () => {
      await seedOrders(api, 15);
      const rebuilt = await rebuildProjection({
        eventStore: api.store,
        readStore,
        projection: orders,
        mode: 'kafka',
        projectorsStopped: true,
      });
      await seedOrders(api, 5, 'after');
      await startRunner(false);
      const events = await api.store.readAll({ after: 0, maxCount: 10_000 });
      // a restarted projector gets the whole topic again, per partition: offsets, not positions
      await bus.deliver(
        'projection:orders',
        events.map((event, offset) => ({ source: 'orders/0', sequence: offset, event })),
      );
      expect(runner.status('orders')?.collection).to.equal(rebuilt.target);
      await expectFold(readStore, rebuilt.target, events);
    }).timeout(20_000);
  });

  describe('when reads switched to a rebuilt collection that is behind the live worker', () => {
    it('applies the gap from the event store before its batch and ends equal to the fold', async () => {
      await seedOrders(api, 20);
      const events = await api.store.readAll({ after: 0, maxCount: 10_000 });
      const checkpoint = events[9]?.position ?? 0;
      const live = events[15]?.position ?? 0;
      await startRunner(true);
      await bus.deliver('projection:orders', asAll(events.filter((e) => e.position <= live)));
      // a rebuild that switched reads at `checkpoint` and has not tailed further yet
      const target = 'orders_v2_1';
      await new ProjectionWorker(orders, readStore, target).handle(
        asAll(events.filter((e) => e.position <= checkpoint)),
      );
      const { entry, version } = await readEntry(readStore, orders);
      expect(
        await writeEntry(
          readStore,
          {
            ...entry,
            live: { collection: target, version: 2, builtThrough: checkpoint },
            old: ['orders_v2'],
            rebuild: {
              target,
              version: 2,
              position: checkpoint,
              head: live,
              startedAt: new Date(0).toISOString(),
              state: 'switched',
            },
          },
          version,
        ),
      ).to.equal(true);

      await bus.deliver('projection:orders', asAll(events.filter((e) => e.position > live)));
      expect(runner.status('orders')?.collection).to.equal(target);
      await expectFold(readStore, target, events);
    }).timeout(20_000);

    it('keeps writing the previous collection while the rebuild does not cover its batch and it cannot fill the gap', async () => {
      await seedOrders(api, 10);
      const events = await api.store.readAll({ after: 0, maxCount: 10_000 });
      const checkpoint = events[2]?.position ?? 0;
      await startRunner(false);
      await bus.deliver('projection:orders', asAll(events.slice(0, 6)));
      const { entry, version } = await readEntry(readStore, orders);
      await writeEntry(
        readStore,
        { ...entry, live: { collection: 'orders_v2_1', version: 2, builtThrough: checkpoint }, old: ['orders_v2'] },
        version,
      );
      await bus.deliver('projection:orders', asAll(events.slice(6)));
      expect(runner.status('orders')?.collection).to.equal('orders_v2');
      await expectFold(readStore, 'orders_v2', events);
    }).timeout(20_000);
  });

  describe('with one consumer group for every projection (PROJECTOR_GROUPS=shared)', () => {
    it('hands each batch to every projection; partitions delivered twice end equal to each fold', async () => {
      await seedOrders(api, 12);
      const events = await api.store.readAll({ after: 0, maxCount: 10_000 });
      runner = new ProjectionRunner({
        bus,
        readStore,
        logger: createLogger('silent'),
        projections: allProjections,
        sharedGroup: true,
      });
      await runner.start();
      expect([...bus.handlers.keys()]).to.deep.equal([sharedProjectionGroup('projection')]);
      // two partitions, each delivered in two batches, and the whole of it once more (a consumer restarted)
      const partitions = [0, 1].map((p) =>
        events
          .filter((_, i) => i % 2 === p)
          .map((event, offset) => ({ source: `orders/${p}`, sequence: offset, event })),
      );
      for (let round = 0; round < 2; round++) {
        for (const deliveries of partitions) {
          const half = Math.ceil(deliveries.length / 2);
          await bus.deliver('projection:all', deliveries.slice(0, half));
          await bus.deliver('projection:all', deliveries.slice(half));
        }
      }
      for (const projection of allProjections) {
        const reference = foldRecorded(projection, events);
        const collection = runner.status(projection.name)?.collection ?? '';
        expect(await readStore.count(collection), projection.name).to.equal(reference.size);
        const stored = await readStore.getMany(collection, [...reference.keys()]);
        for (const [id, doc] of reference) {
          expect(stored.get(id)?.body, `${projection.name}/${id}`).to.deep.equal(JSON.parse(JSON.stringify(doc)));
        }
      }
    }).timeout(20_000);

    it('records the progress of every read model in one write per batch, after their documents', async () => {
      await seedOrders(api, 3);
      const events = await api.store.readAll({ after: 0, maxCount: 10_000 });
      const writes: string[] = [];
      const store = readStore;
      const loggedPut: ReadStore['putMany'] = (collection, documents) => {
        writes.push(collection);
        return store.putMany(collection, documents);
      };
      runner = new ProjectionRunner({
        bus,
        readStore: new Proxy(store, {
          get: (target, property): unknown =>
            property === 'putMany' ? loggedPut : Reflect.get(target, property, target),
        }),
        logger: createLogger('silent'),
        projections: allProjections,
        sharedGroup: true,
      });
      await runner.start();
      writes.length = 0;

      await bus.deliver('projection:all', asAll(events));

      expect(writes.filter((c) => c === PROGRESS_COLLECTION)).to.have.length(1);
      expect(writes.at(-1)).to.equal(PROGRESS_COLLECTION);
      const recorded = await readStore.query(PROGRESS_COLLECTION, { limit: 100 });
      for (const projection of allProjections) {
        const id = `${runner.status(projection.name)?.collection ?? ''}@$all`;
        expect(recorded.items.find((doc) => doc.id === id)?.body, id).to.include({ sequence: events.at(-1)?.position });
      }
    });
  });
});
