import { expect } from 'chai';
import { orderId } from '../../domain/shared';
import {
  MAX_CANCEL_REASONS,
  OTHER_REASON,
  TOP_SKUS,
  salesProjection,
  withDiscounts,
} from '../../projections/sales/projection';
import { eventLog, givenProjection } from '../projection-spec';
import {
  A,
  B,
  P1,
  P2,
  eur,
  orderCancelled,
  orderConfirmed,
  orderPlaced,
  orderShipped,
  paymentAuthorized,
  paymentCaptured,
  paymentRefunded,
  paymentRefundFailed,
  refundCompleted,
  refundRequested,
  usd,
  USD,
} from './fixtures';

const given = givenProjection(salesProjection);

const placedAt = (iso: string, n = 1): ReturnType<typeof orderPlaced> =>
  orderPlaced({ orderId: `o-${iso}-${n}`, at: iso });

describe('the sales projection', () => {
  describe('per channel', () => {
    it('counts each channel’s orders placed, confirmed (with what they paid) and cancelled, from the events’ channel', () => {
      const log = eventLog();
      const then = given(
        ...log(
          orderPlaced({ orderId: 'm-1', channel: 'mall' }),
          orderPlaced({ orderId: 'm-2', channel: 'mall' }),
          orderPlaced({ orderId: 'p-1', channel: 'pos' }),
          orderConfirmed({ orderId: 'm-1', channel: 'mall', paid: eur(2500) }),
          orderConfirmed({ orderId: 'p-1', channel: 'pos', paid: eur(2500) }),
          orderCancelled({ orderId: 'm-2', channel: 'mall' }),
          // an order placed before its events named the channel counts under default when confirmed
          orderConfirmed({ orderId: 'old', paid: eur(100) }),
        ),
      );
      then.thenDocument('day:2026-03-01', (doc) => {
        const byChannel = doc.byChannel ?? {};
        expect(byChannel.mall).to.deep.include({
          ordersPlaced: 2,
          ordersConfirmed: 1,
          paid: { EUR: 2500 },
          ordersCancelled: 1,
        });
        expect(byChannel.pos).to.deep.include({ ordersPlaced: 1, ordersConfirmed: 1, paid: { EUR: 2500 } });
        expect(byChannel.default).to.deep.include({ ordersPlaced: 0, ordersConfirmed: 1, paid: { EUR: 100 } });
        expect(doc).to.include({ ordersPlaced: 3, ordersConfirmed: 3, ordersCancelled: 1 });
      });
    });
  });

  describe('when an order is placed', () => {
    it('counts it in the UTC hour and the UTC day of its placement', () => {
      const log = eventLog();
      const then = given(...log(orderPlaced({ at: '2026-03-01T10:15:00.000Z' })));
      then.thenDocument('hour:2026-03-01T10', (doc) => {
        expect(doc).to.deep.equal({
          bucket: 'hour:2026-03-01T10',
          granularity: 'hour',
          start: '2026-03-01T10:00:00.000Z',
          ordersPlaced: 1,
          ordersConfirmed: 0,
          ordersCancelled: 0,
          cancelledByReason: {},
          revenue: {},
          refunds: {},
          refundCount: 0,
          unitsOrdered: 3,
          topSkus: { [A]: 2, [B]: 1 },
          byChannel: { default: { ordersPlaced: 1, unitsOrdered: 3, orderValue: { EUR: 2500 }, discounts: {} } },
        });
      });
      then.thenDocument('day:2026-03-01', (doc) => {
        expect(doc).to.include({ granularity: 'day', start: '2026-03-01T00:00:00.000Z', ordersPlaced: 1 });
      });
      expect([...then.documents.keys()]).to.have.length(2);
    });

    it('declares granularity and start as indexes', () => {
      expect(salesProjection.indexes).to.deep.equal(['granularity', 'start']);
    });
  });

  describe('at a bucket boundary', () => {
    it('puts 10:59:59.999 in the 10 o’clock hour and 11:00:00.000 in the 11 o’clock hour, both in one day', () => {
      const log = eventLog();
      const then = given(...log(placedAt('2026-03-01T10:59:59.999Z'), placedAt('2026-03-01T11:00:00.000Z')));
      then.thenDocument('hour:2026-03-01T10', (doc) => expect(doc.ordersPlaced).to.equal(1));
      then.thenDocument('hour:2026-03-01T11', (doc) => expect(doc.ordersPlaced).to.equal(1));
      then.thenDocument('day:2026-03-01', (doc) => expect(doc.ordersPlaced).to.equal(2));
    });

    it('starts a new day at midnight UTC', () => {
      const log = eventLog();
      const then = given(...log(placedAt('2026-03-01T23:59:59.999Z'), placedAt('2026-03-02T00:00:00.000Z')));
      then.thenDocument('day:2026-03-01', (doc) => expect(doc.ordersPlaced).to.equal(1));
      then.thenDocument('day:2026-03-02', (doc) => {
        expect(doc.ordersPlaced).to.equal(1);
        expect(doc.start).to.equal('2026-03-02T00:00:00.000Z');
      });
    });

    it('collects every hour of a day in the day bucket', () => {
      const log = eventLog();
      const hours = ['01', '07', '07', '13', '23'].map((hh, i) => placedAt(`2026-03-01T${hh}:30:00.000Z`, i));
      const then = given(...log(...hours));
      then.thenDocument('day:2026-03-01', (doc) => {
        expect(doc.ordersPlaced).to.equal(5);
        expect(doc.unitsOrdered).to.equal(15);
      });
      then.thenDocument('hour:2026-03-01T07', (doc) => expect(doc.ordersPlaced).to.equal(2));
      expect([...then.documents.keys()].filter((id) => id.startsWith('hour:'))).to.have.length(4);
    });
  });

  describe('when orders are confirmed', () => {
    it('counts them and leaves the revenue to the captured payments', () => {
      const log = eventLog();
      const events = log(
        orderConfirmed({ orderId: 'o-1', paid: eur(2500), at: '2026-03-01T10:05:00.000Z' }),
        orderConfirmed({ orderId: 'o-2', paid: eur(1000), at: '2026-03-01T10:06:00.000Z' }),
      );
      given(...events).thenDocument('hour:2026-03-01T10', (doc) => {
        expect(doc.ordersConfirmed).to.equal(2);
        expect(doc.revenue).to.deep.equal({});
      });
    });

    it('counts the confirmation in the hour it happened, not the hour the order was placed', () => {
      const log = eventLog();
      const then = given(
        ...log(
          orderPlaced({ at: '2026-03-01T10:50:00.000Z' }),
          orderConfirmed({ paid: eur(2500), at: '2026-03-01T11:05:00.000Z' }),
        ),
      );
      then.thenDocument('hour:2026-03-01T10', (doc) => {
        expect(doc).to.include({ ordersPlaced: 1, ordersConfirmed: 0 });
      });
      then.thenDocument('hour:2026-03-01T11', (doc) => {
        expect(doc).to.include({ ordersPlaced: 0, ordersConfirmed: 1, unitsOrdered: 0 });
      });
    });
  });

  describe('when payments are captured', () => {
    it('adds what was captured to the revenue of its currency, in the hour of the capture', () => {
      const log = eventLog();
      const then = given(
        ...log(
          paymentCaptured({ orderId: 'o-1', amount: eur(2500), at: '2026-03-01T10:05:00.000Z' }),
          paymentCaptured({ orderId: 'o-2', amount: eur(1000), at: '2026-03-01T10:06:00.000Z' }),
          paymentCaptured({ orderId: 'o-3', amount: usd(700), at: '2026-03-01T11:07:00.000Z' }),
        ),
      );
      then.thenDocument('hour:2026-03-01T10', (doc) => {
        expect(doc.revenue).to.deep.equal({ EUR: 3500 });
      });
      then.thenDocument('day:2026-03-01', (doc) => {
        expect(doc.revenue).to.deep.equal({ EUR: 3500, [USD]: 700 });
      });
    });

    it('counts a capture that landed after the order was cancelled, and the refund that paid it back', () => {
      const log = eventLog();
      const events = log(
        orderPlaced(),
        orderCancelled({ reason: 'changed my mind' }),
        paymentCaptured({ amount: eur(2500) }),
        paymentRefunded({ refundId: 'order-cancellation', amount: eur(2500) }),
      );
      given(...events).thenDocument('day:2026-03-01', (doc) => {
        expect(doc).to.include({ ordersConfirmed: 0, ordersCancelled: 1, refundCount: 1 });
        expect(doc.revenue).to.deep.equal({ EUR: 2500 });
        expect(doc.refunds).to.deep.equal({ EUR: 2500 });
      });
    });
  });

  describe('when orders are cancelled', () => {
    it('counts them per reason', () => {
      const log = eventLog();
      const events = log(
        orderCancelled({ orderId: 'o-1', reason: 'payment declined' }),
        orderCancelled({ orderId: 'o-2', reason: 'payment declined' }),
        orderCancelled({ orderId: 'o-3', reason: 'out of stock' }),
      );
      given(...events).thenDocument('day:2026-03-01', (doc) => {
        expect(doc.ordersCancelled).to.equal(3);
        expect(doc.cancelledByReason).to.deep.equal({ 'payment declined': 2, 'out of stock': 1 });
      });
    });

    it(`keeps at most ${MAX_CANCEL_REASONS} reasons and counts the rest under '${OTHER_REASON}'`, () => {
      const log = eventLog();
      const reasons = Array.from({ length: 25 }, (_, i) => `reason ${String(i).padStart(2, '0')}`);
      const events = log(
        ...reasons.map((reason, i) => orderCancelled({ orderId: `o-${i}`, reason })),
        orderCancelled({ orderId: 'o-again', reason: 'reason 00' }),
      );
      given(...events).thenDocument('day:2026-03-01', (doc) => {
        const keys = Object.keys(doc.cancelledByReason);
        expect(keys).to.have.length(MAX_CANCEL_REASONS);
        expect(doc.cancelledByReason[OTHER_REASON]).to.equal(25 - (MAX_CANCEL_REASONS - 1));
        // a reason already held keeps counting under its own name
        expect(doc.cancelledByReason['reason 00']).to.equal(2);
        expect(Object.values(doc.cancelledByReason).reduce((a, b) => a + b, 0)).to.equal(26);
      });
    });

    it('counts reasons that look like object internals as plain text', () => {
      const log = eventLog();
      const events = log(
        orderCancelled({ orderId: 'o-1', reason: '__proto__' }),
        orderCancelled({ orderId: 'o-2', reason: '__proto__' }),
        orderCancelled({ orderId: 'o-3', reason: 'constructor' }),
      );
      given(...events).thenDocument('day:2026-03-01', (doc) => {
        expect(Object.entries(doc.cancelledByReason)).to.deep.equal([
          ['__proto__', 2],
          ['constructor', 1],
        ]);
      });
    });
  });

  describe('when refunds are paid out', () => {
    it('sums them per currency and counts them', () => {
      const log = eventLog();
      const events = log(
        paymentRefunded({ orderId: 'o-1', amount: eur(1000) }),
        paymentRefunded({ orderId: 'o-2', amount: eur(500) }),
        paymentRefunded({ orderId: 'o-3', amount: usd(300) }),
      );
      given(...events).thenDocument('day:2026-03-01', (doc) => {
        expect(doc.refundCount).to.equal(3);
        expect(doc.refunds).to.deep.equal({ EUR: 1500, USD: 300 });
      });
    });

    it('counts the payout of a cancelled paid order, which the order centre never records as a refund', () => {
      const log = eventLog();
      const events = log(
        orderConfirmed({ paid: eur(2500) }),
        paymentCaptured({ amount: eur(2500) }),
        orderCancelled({ reason: 'changed my mind', wasPaid: eur(2500) }),
        paymentRefunded({ refundId: 'order-cancellation', amount: eur(2500) }),
      );
      given(...events).thenDocument('day:2026-03-01', (doc) => {
        expect(doc).to.include({ ordersCancelled: 1, refundCount: 1 });
        expect(doc.revenue).to.deep.equal({ EUR: 2500 });
        expect(doc.refunds).to.deep.equal({ EUR: 2500 });
      });
    });

    it('counts a customer refund once: at the payout, not again when the order marks it completed', () => {
      const log = eventLog();
      const events = log(
        refundRequested({ amount: eur(500) }),
        paymentRefunded({ amount: eur(500) }),
        refundCompleted({ amount: eur(500) }),
      );
      given(...events).thenDocument('day:2026-03-01', (doc) => {
        expect(doc.refundCount).to.equal(1);
        expect(doc.refunds).to.deep.equal({ EUR: 500 });
      });
    });
  });

  describe('its top SKUs', () => {
    it(`keeps the ${TOP_SKUS} SKUs with the most units ordered after each order, ties broken by SKU`, () => {
      const log = eventLog();
      // sku-00 … sku-24 with 1 unit each (the ties keep sku-00 … sku-19), then more units for sku-24 and sku-23
      const skus = Array.from({ length: 25 }, (_, i) => `sku-${String(i).padStart(2, '0')}`);
      const events = log(
        orderPlaced({ orderId: 'o-1', lines: skus.map((s) => ({ sku: s, quantity: 1, unitPrice: 100 })) }),
        orderPlaced({
          orderId: 'o-2',
          lines: [
            { sku: 'sku-24', quantity: 5, unitPrice: 100 },
            { sku: 'sku-23', quantity: 3, unitPrice: 100 },
          ],
        }),
      );
      given(...events).thenDocument('day:2026-03-01', (doc) => {
        expect(Object.keys(doc.topSkus)).to.have.length(TOP_SKUS);
        // sku-23 and sku-24 were trimmed after the first order, so they restart from this order's units
        expect(doc.topSkus['sku-24']).to.equal(5);
        expect(doc.topSkus['sku-23']).to.equal(3);
        const ones = Object.keys(doc.topSkus).filter((s) => doc.topSkus[s] === 1);
        expect(ones.sort()).to.deep.equal(skus.slice(0, TOP_SKUS - 2));
        // the units ordered are exact even when the ranking is trimmed
        expect(doc.unitsOrdered).to.equal(33);
      });
    });
  });

  describe('with promotions', () => {
    const discounted = (orderId: string, at: string) =>
      orderPlaced({
        orderId,
        promotions: [
          { promotionId: P1, amount: 250 },
          { promotionId: P2, amount: 100, viaCoupon: true },
        ],
        at,
      });

    it('adds each discounted order’s discount per currency and per promotion to the buckets of its placement', () => {
      const log = eventLog();
      const events = log(
        discounted('o-1', '2026-03-01T10:05:00.000Z'),
        discounted('o-2', '2026-03-01T11:05:00.000Z'),
        orderPlaced({ orderId: 'o-3', at: '2026-03-01T11:06:00.000Z' }),
      );
      const then = given(...events);
      then.thenDocument('hour:2026-03-01T10', (doc) => {
        expect(doc).to.include({ ordersPlaced: 1, ordersDiscounted: 1 });
        expect(doc.discounts).to.deep.equal({ EUR: 350 });
        expect(doc.discountsByPromotion).to.deep.equal({ [P1]: 250, [P2]: 100 });
      });
      then.thenDocument('day:2026-03-01', (doc) => {
        expect(doc).to.include({ ordersPlaced: 3, ordersDiscounted: 2 });
        expect(doc.discounts).to.deep.equal({ EUR: 700 });
        expect(doc.discountsByPromotion).to.deep.equal({ [P1]: 500, [P2]: 200 });
        expect(doc.discountsCancelled).to.deep.equal({});
      });
    });

    it('takes a cancelled order’s discount back in the buckets of the cancellation, as its payout counts in refunds', () => {
      const log = eventLog();
      const placed = discounted('o-1', '2026-03-01T10:05:00.000Z');
      const events = log(
        placed,
        orderCancelled({ orderId: 'o-1', pricing: placed.pricing, at: '2026-03-01T12:00:00.000Z' }),
      );
      const then = given(...events);
      then.thenDocument('hour:2026-03-01T10', (doc) => {
        expect(doc.discounts).to.deep.equal({ EUR: 350 });
        expect(doc.discountsCancelled).to.deep.equal({});
      });
      then.thenDocument('hour:2026-03-01T12', (doc) => {
        expect(doc).to.include({ ordersCancelled: 1, ordersDiscounted: 0 });
        expect(doc.discounts).to.deep.equal({});
        expect(doc.discountsCancelled).to.deep.equal({ EUR: 350 });
        expect(doc.discountsCancelledByPromotion).to.deep.equal({ [P1]: 250, [P2]: 100 });
      });
      then.thenDocument('day:2026-03-01', (doc) => {
        expect(doc.discounts).to.deep.equal({ EUR: 350 });
        expect(doc.discountsCancelled).to.deep.equal({ EUR: 350 });
      });
    });

    it('stores no discount fields in a bucket that never saw a discount, so buckets of older histories stay as they were', () => {
      const log = eventLog();
      const events = log(orderPlaced(), orderCancelled(), orderPlaced({ orderId: 'o-2', promotions: [] }));
      given(...events).thenDocument('day:2026-03-01', (doc) => {
        expect(doc).not.to.have.any.keys(
          'discounts',
          'discountsCancelled',
          'discountsByPromotion',
          'discountsCancelledByPromotion',
          'ordersDiscounted',
        );
        // …and the read API answers them empty
        expect(withDiscounts(doc)).to.deep.include({
          discounts: {},
          discountsCancelled: {},
          discountsByPromotion: {},
          discountsCancelledByPromotion: {},
          ordersDiscounted: 0,
        });
      });
    });
  });

  describe('when other events arrive', () => {
    it('ignores shipments, the order side of refunds, authorizations and failed payouts', () => {
      const log = eventLog();
      const events = log(
        orderShipped(),
        refundRequested(),
        refundCompleted(),
        paymentAuthorized({ orderId: orderId('o-9') }),
        paymentRefundFailed(),
      );
      for (const e of events) expect(salesProjection.documentIds(e)).to.deep.equal([]);
    });
  });
});
