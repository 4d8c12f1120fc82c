import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteReadStore } from '../../infra/sqlite/sqlite-read-store';
import { couponsProjection, promotionsProjection, salesProjection } from '../../projections';
import { collectionName, type Projection } from '../../projections/projection';
import { ProjectionWorker } from '../../projections/worker';
import type { RecordedEvent } from '../../ports/event-store';
import { EMBEDDED_SOURCE, type Delivery } from '../../ports/message-bus';
import type { ReadStore } from '../../ports/read-store';
import { recordedEvents } from './append-events';
import {
  SPRING,
  couponDefined,
  couponRedeemed,
  couponReleased,
  couponReserved,
  orderCancelled,
  orderPlaced,
  promotionDefined,
} from './fixtures';

const deliveries = (events: readonly RecordedEvent[]): Delivery[] =>
  events.map((event) => ({ source: EMBEDDED_SOURCE, sequence: event.position, event }));

describe('the pricing read models behind a worker, on SQLite', () => {
  let dir: string;
  let store: ReadStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'commerce-pricing-worker-'));
    store = openSqliteReadStore({ path: join(dir, 'read.db') });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const worker = async <Doc>(projection: Projection<Doc>): Promise<ProjectionWorker<Doc>> => {
    const w = new ProjectionWorker(projection, store, collectionName(projection));
    await w.init();
    return w;
  };
  const body = async (projection: { readonly name: string; readonly version: number }, id: string) =>
    (await store.get(collectionName(projection), id))?.body;

  const placed = orderPlaced({ orderId: 'o-1', promotions: [{ promotionId: 'spring-10', amount: 250 }] });
  const history = recordedEvents(
    promotionDefined(),
    couponDefined({ totalLimit: 10 }),
    placed,
    couponReserved({ orderId: 'o-1' }),
    orderPlaced({ orderId: 'o-2', promotions: [{ promotionId: 'spring-10', amount: 100 }] }),
    couponRedeemed({ orderId: 'o-1' }),
    couponReleased({ orderId: 'o-1' }),
    orderCancelled({ orderId: 'o-1', pricing: placed.pricing }),
  );

  describe('when every batch is delivered again, and an older range after a crash', () => {
    it('counts each order, discount and coupon use once, and the cancelled order’s discount is taken back', async () => {
      const workers = [
        await worker(promotionsProjection),
        await worker(couponsProjection),
        await worker(salesProjection),
      ];
      for (const w of workers) {
        for (let i = 0; i < history.length; i += 3) {
          const batch = deliveries(history.slice(i, i + 3));
          await w.handle(batch);
          await w.handle(batch);
          await w.handle(deliveries(history.slice(0, i + 2)));
        }
      }
      expect(await body(promotionsProjection, 'spring-10')).to.deep.include({
        orders: 1,
        discountTotal: { amount: 100, currency: 'EUR' },
        ordersCancelled: 1,
        discountCancelled: { amount: 250, currency: 'EUR' },
      });
      expect(await body(couponsProjection, SPRING)).to.deep.include({
        reserved: 0,
        redeemed: 0,
        released: 1,
        reservedTotal: 1,
        redemptionsLeft: 10,
      });
      expect(await body(salesProjection, 'day:2026-03-01')).to.deep.include({
        ordersPlaced: 2,
        ordersCancelled: 1,
        ordersDiscounted: 2,
        discounts: { EUR: 350 },
        discountsCancelled: { EUR: 250 },
        discountsByPromotion: { 'spring-10': 350 },
        discountsCancelledByPromotion: { 'spring-10': 250 },
      });
    });
  });
});
