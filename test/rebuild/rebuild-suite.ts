import { expect } from 'chai';
import {
  couponsProjection,
  ordersProjection,
  promotionsProjection,
  salesProjection,
  storedProjection,
} from '../../projections';
import type { Projection } from '../../projections/projection';
import { rebuildProjection } from '../../projections/rebuild';
import { readEntry } from '../../projections/registry';
import { get, startTestApi, type TestApi } from '../api-spec';
import { appendEvents } from '../projections/append-events';
import { pricingHistory } from '../projections/pricing-history';
import { changedOrders, expectEqualToFold, placeOrder, seedOrders } from './helpers';

const orders = storedProjection(ordersProjection);

/**
 * The rebuild's behaviour on one read store: the embedded engine runs on `env()` (a fresh read store per test), and
 * every test rebuilds into that store. `rebuild.int.spec.ts` runs it on SQLite, `rebuild.services.spec.ts` on FerretDB.
 */
export const rebuildSuite = (
  label: string,
  env: () => Record<string, string>,
  options: {
    /** time limits are multiplied by it (a store in another process, on a shared machine) */
    readonly slower?: number;
    /** pause between two orders of the load, to stay within what the engine sustains on this store; default none */
    readonly loadPauseMs?: number;
  } = {},
): void => {
  const slower = options.slower ?? 1;
  describe(`a blue/green projection rebuild, ${label}`, () => {
    let api: TestApi;
    beforeEach(async () => {
      api = await startTestApi(env());
    });
    afterEach(async () => {
      await api.close();
    });

    describe('while commands are being placed and reads are being served', () => {
      it('never fails or shrinks a read and ends with every document equal to a fresh fold', async () => {
        await seedOrders(api, 150);
        const loops = { running: true };
        const problems: string[] = [];
        let placed = 0;
        const load = (async () => {
          while (loops.running) {
            const response = await api.request(placeOrder(`load-${placed}`));
            if (response.status !== 202) problems.push(`POST ${response.status}`);
            placed += 1;
            if (options.loadPauseMs !== undefined)
              await new Promise((resolve) => setTimeout(resolve, options.loadPauseMs));
          }
        })();
        let reads = 0;
        let largest = 0;
        const readLoop = (async () => {
          while (loops.running) {
            const items: Record<string, unknown>[] = [];
            let cursor: string | undefined;
            do {
              const page = await api.request(get(`/v1/orders?limit=500${cursor ? `&cursor=${cursor}` : ''}`));
              if (page.status !== 200) problems.push(`GET /v1/orders ${page.status}`);
              items.push(...((page.body.items ?? []) as Record<string, unknown>[]));
              cursor = typeof page.body.next === 'string' ? encodeURIComponent(page.body.next) : undefined;
            } while (cursor !== undefined);
            const one = await api.request(get('/v1/orders/seed-7'));
            reads += 1;
            if (one.status !== 200) {
              problems.push(`GET /v1/orders/seed-7 ${one.status}`);
              continue;
            }
            if (items.length < largest) problems.push(`the list shrank from ${largest} to ${items.length}`);
            largest = Math.max(largest, items.length);
            for (const doc of [...items, one.body]) {
              const lines = doc.lines as unknown[] | undefined;
              if (!Array.isArray(lines) || lines.length === 0 || doc.total === undefined) {
                problems.push(`half-built order ${String(doc.orderId)}`);
              }
            }
          }
        })();

        // small batches with a pause stretch the rebuild over the load, as a big store would
        const result = await rebuildProjection({
          eventStore: api.store,
          readStore: api.engine.readStore,
          projection: orders,
          batchSize: 20,
          afterBatch: () => new Promise((resolve) => setTimeout(resolve, 15)),
        });
        // keep the load going across the handover, then stop it
        await new Promise((resolve) => setTimeout(resolve, 200));
        loops.running = false;
        await Promise.all([load, readLoop]);

        expect(result.outcome).to.equal('switched');
        expect(result.target).to.equal('orders_v2_1');
        expect(result.handedOver, 'the live worker took the target over').to.equal(true);
        expect(problems).to.deep.equal([]);
        expect(reads, 'reads served during the rebuild').to.be.at.least(3);
        const { entry } = await readEntry(api.engine.readStore, orders);
        expect(entry.live.collection).to.equal('orders_v2_1');
        expect(entry.old).to.deep.equal(['orders_v2']);
        expect(entry.rebuild).to.equal(undefined);
        const head = await api.store.headPosition();
        expect(await api.engine.projections.waitFor('orders', head, 5_000)).to.equal(true);
        expect(api.engine.projections.status('orders')?.collection).to.equal('orders_v2_1');
        await expectEqualToFold(ordersProjection, api.store, api.engine.readStore, 'orders_v2_1');
        const listed = await api.request(get('/v1/projections'));
        const item = (listed.body.projections as Record<string, unknown>[]).find((p) => p.name === 'orders');
        expect(item).to.include({ collection: 'orders_v2_1', rebuildDue: false });
      }).timeout(30_000 * slower);
    });

    describe('when it is killed mid-way', () => {
      it('continues from its checkpoint when run again and ends equal to the fold', async () => {
        await seedOrders(api, 120);
        let batches = 0;
        const killed = rebuildProjection({
          eventStore: api.store,
          readStore: api.engine.readStore,
          projection: orders,
          batchSize: 25,
          checkpointEvery: 25,
          afterBatch: () => {
            batches += 1;
            if (batches === 3) throw new Error('killed');
          },
        });
        const outcome = await killed.then(
          () => 'finished',
          (error: unknown) => (error instanceof Error ? error.message : String(error)),
        );
        expect(outcome).to.equal('killed');
        const { entry } = await readEntry(api.engine.readStore, orders);
        const checkpoint = entry.rebuild?.position ?? 0;
        expect(checkpoint, 'checkpoint after three batches').to.be.above(0);
        expect(entry.live.collection, 'reads did not switch').to.equal('orders_v2');

        const resumed = await rebuildProjection({
          eventStore: api.store,
          readStore: api.engine.readStore,
          projection: orders,
          batchSize: 25,
          handoverTimeoutMs: 100,
        });
        expect(resumed.resumed).to.equal(true);
        expect(resumed.startedFrom).to.equal(checkpoint);
        expect(resumed.events, 'did not start from zero').to.be.below(await api.store.headPosition());
        expect(resumed.target).to.equal(entry.rebuild?.target);
        await expectEqualToFold(ordersProjection, api.store, api.engine.readStore, resumed.target);
      }).timeout(20_000 * slower);
    });

    describe('of the pricing read models', () => {
      const rebuildVerified = async <Doc>(projection: Projection<Doc>): Promise<void> => {
        const result = await rebuildProjection({
          eventStore: api.store,
          readStore: api.engine.readStore,
          projection: storedProjection(projection),
          verify: true,
          batchSize: 7,
          handoverTimeoutMs: 100,
        });
        expect(result.outcome, projection.name).to.equal('switched');
        expect(result.verification?.differenceCount, projection.name).to.equal(0);
        const { entry } = await readEntry(api.engine.readStore, projection);
        await expectEqualToFold(projection, api.store, api.engine.readStore, entry.live.collection);
      };

      it('rebuilds promotions, coupons and sales to what the live workers wrote, equal to a fresh fold', async () => {
        await seedOrders(api, 5);
        const position = await appendEvents(api.store, ...pricingHistory());
        for (const name of ['promotions', 'coupons', 'sales']) {
          expect(await api.engine.projections.waitFor(name, position, 10_000 * slower), name).to.equal(true);
        }
        await rebuildVerified(promotionsProjection);
        await rebuildVerified(couponsProjection);
        await rebuildVerified(salesProjection);
        const promotions = await api.request(get('/v1/promotions'));
        expect((promotions.body.items as { promotionId: string }[]).map((p) => p.promotionId)).to.deep.equal([
          'p-1',
          'p-2',
        ]);
      }).timeout(20_000 * slower);
    });

    describe('with --verify', () => {
      it('refuses to switch to a projection whose documents differ, and switches with --force', async () => {
        await seedOrders(api, 30);
        const changed = changedOrders();
        const refused = await rebuildProjection({
          eventStore: api.store,
          readStore: api.engine.readStore,
          projection: changed,
          verify: true,
          handoverTimeoutMs: 100,
        });
        expect(refused.outcome).to.equal('verify-failed');
        expect(refused.verification?.differenceCount).to.equal(30);
        expect(refused.verification?.differences[0]).to.include({ kind: 'body', path: 'customerId' });
        expect((await readEntry(api.engine.readStore, changed)).entry.live.collection).to.equal('orders_v2');

        const forced = await rebuildProjection({
          eventStore: api.store,
          readStore: api.engine.readStore,
          projection: changed,
          verify: true,
          force: true,
          handoverTimeoutMs: 100,
        });
        expect(forced.outcome).to.equal('switched');
        expect(forced.resumed, 'the verified target is reused').to.equal(true);
        const { entry } = await readEntry(api.engine.readStore, changed);
        expect(entry.live).to.include({ collection: 'orders_v3', version: 3 });
      }).timeout(20_000 * slower);

      it('finds no difference when the code did not change', async () => {
        await seedOrders(api, 30);
        const result = await rebuildProjection({
          eventStore: api.store,
          readStore: api.engine.readStore,
          projection: orders,
          verify: true,
          handoverTimeoutMs: 100,
        });
        expect(result.outcome).to.equal('switched');
        expect(result.verification).to.include({ differenceCount: 0, liveCount: 30, targetCount: 30 });
      }).timeout(20_000 * slower);
    });

    describe('in distributed mode (BUS=kafka)', () => {
      it('stops before the switch until the projectors are stopped, then records what projectors must skip', async () => {
        await seedOrders(api, 20);
        const waiting = await rebuildProjection({
          eventStore: api.store,
          readStore: api.engine.readStore,
          projection: orders,
          mode: 'kafka',
        });
        expect(waiting.outcome).to.equal('needs-projectors-stopped');
        expect((await readEntry(api.engine.readStore, orders)).entry.live.collection).to.equal('orders_v2');
        const switched = await rebuildProjection({
          eventStore: api.store,
          readStore: api.engine.readStore,
          projection: orders,
          mode: 'kafka',
          projectorsStopped: true,
        });
        expect(switched.outcome).to.equal('switched');
        const { entry } = await readEntry(api.engine.readStore, orders);
        expect(entry.live).to.deep.equal({
          collection: switched.target,
          version: 2,
          rebuiltThrough: await api.store.headPosition(),
        });
      }).timeout(20_000 * slower);
    });
  });
};
