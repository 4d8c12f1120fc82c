import { expect } from 'chai';
import { OPEN_END, promotionsProjection, type PromotionDoc } from '../../projections/promotions/projection';
import { eventLog, foldBatches, givenProjection } from '../projection-spec';
import {
  P1,
  P2,
  at,
  buyTwoGetOne,
  couponReserved,
  orderCancelled,
  orderConfirmed,
  orderPlaced,
  promotionDefined,
  promotionEnded,
  tenPercentOff,
} from './fixtures';

const given = givenProjection(promotionsProjection);

const stats = (doc: PromotionDoc) => ({
  orders: doc.orders,
  discountTotal: doc.discountTotal.amount,
  ordersCancelled: doc.ordersCancelled,
  discountCancelled: doc.discountCancelled.amount,
});

describe('the promotions projection', () => {
  describe('when a promotion is defined', () => {
    it('shows its definition, open-ended, with no orders yet', () => {
      const log = eventLog();
      given(...log(promotionDefined({ at: at(8) }))).thenDocument(P1, (doc) => {
        expect(doc).to.deep.equal({
          promotionId: P1,
          name: 'Spring sale',
          currency: 'EUR',
          rule: tenPercentOff,
          priority: 10,
          exclusive: false,
          requiresCoupon: false,
          validFrom: '2026-03-01T00:00:00.000Z',
          validUntil: null,
          endedAt: null,
          activeUntil: OPEN_END,
          definedAt: at(8),
          updatedAt: at(8),
          orders: 0,
          discountTotal: { amount: 0, currency: 'EUR' },
          ordersCancelled: 0,
          discountCancelled: { amount: 0, currency: 'EUR' },
        });
      });
    });

    it('declares the id and the window fields as indexes (the read API filters and sorts on them)', () => {
      expect(promotionsProjection.indexes).to.deep.equal(['promotionId', 'validFrom', 'activeUntil']);
    });

    it('stores the window in the one fixed-width form, so text order is time order', () => {
      const log = eventLog();
      const events = log(promotionDefined({ validFrom: '2026-03-01T10:00:00Z', validUntil: '2026-03-02T10:00:00.5Z' }));
      given(...events).thenDocument(P1, (doc) => {
        expect(doc).to.include({
          validFrom: '2026-03-01T10:00:00.000Z',
          validUntil: '2026-03-02T10:00:00.500Z',
          activeUntil: '2026-03-02T10:00:00.500Z',
        });
      });
    });

    it('takes a redefinition whole: new name, rule and window; an early end no longer holds; orders stay counted', () => {
      const log = eventLog();
      const events = log(
        promotionDefined(),
        orderPlaced({ promotions: [{ promotionId: P1, amount: 250 }] }),
        promotionEnded({ at: at(12) }),
        promotionDefined({
          name: 'Spring sale, again',
          rule: buyTwoGetOne,
          exclusive: true,
          validUntil: '2026-04-01T00:00:00.000Z',
          at: at(13),
        }),
      );
      given(...events).thenDocument(P1, (doc) => {
        expect(doc).to.deep.include({
          name: 'Spring sale, again',
          rule: buyTwoGetOne,
          exclusive: true,
          endedAt: null,
          validUntil: '2026-04-01T00:00:00.000Z',
          activeUntil: '2026-04-01T00:00:00.000Z',
          definedAt: at(8),
          updatedAt: at(13),
        });
        expect(stats(doc)).to.deep.equal({ orders: 1, discountTotal: 250, ordersCancelled: 0, discountCancelled: 0 });
      });
    });
  });

  describe('when a promotion is ended', () => {
    it('ends it at that moment', () => {
      const log = eventLog();
      const events = log(promotionDefined(), promotionEnded({ at: at(16) }));
      given(...events).thenDocument(P1, (doc) => {
        expect(doc).to.include({ endedAt: at(16), validUntil: at(16), activeUntil: at(16), updatedAt: at(16) });
      });
    });

    it('keeps the definition’s own end when that came first', () => {
      const log = eventLog();
      const events = log(promotionDefined({ validUntil: '2026-03-01T12:00:00.000Z' }), promotionEnded({ at: at(16) }));
      given(...events).thenDocument(P1, (doc) => {
        expect(doc).to.include({ endedAt: at(16), validUntil: at(12), activeUntil: at(12) });
      });
    });
  });

  describe('when orders are placed with its discount', () => {
    it('counts each order and what the promotion took off it', () => {
      const log = eventLog();
      const events = log(
        promotionDefined(),
        orderPlaced({ orderId: 'o-1', promotions: [{ promotionId: P1, amount: 250 }] }),
        orderPlaced({ orderId: 'o-2', promotions: [{ promotionId: P1, amount: 100 }], at: at(10, 30) }),
      );
      given(...events).thenDocument(P1, (doc) => {
        expect(stats(doc)).to.deep.equal({ orders: 2, discountTotal: 350, ordersCancelled: 0, discountCancelled: 0 });
        expect(doc.discountTotal.currency).to.equal('EUR');
        expect(doc.updatedAt).to.equal(at(10, 30));
      });
    });

    it('gives each promotion of a stacked order its own part, the coupon’s included', () => {
      const log = eventLog();
      const events = log(
        promotionDefined({ promotionId: P1 }),
        promotionDefined({ promotionId: P2, name: 'Mug coupon', requiresCoupon: true }),
        orderPlaced({
          promotions: [
            { promotionId: P1, amount: 250 },
            { promotionId: P2, amount: 500, viaCoupon: true },
          ],
          coupon: 'SPRING-10',
        }),
      );
      const then = given(...events);
      then.thenDocument(P1, (doc) => expect(stats(doc)).to.include({ orders: 1, discountTotal: 250 }));
      then.thenDocument(P2, (doc) => expect(stats(doc)).to.include({ orders: 1, discountTotal: 500 }));
    });

    it('counts an order once when its breakdown names the promotion twice, with both parts', () => {
      const log = eventLog();
      const events = log(
        orderPlaced({
          promotions: [
            { promotionId: P1, amount: 100 },
            { promotionId: P1, amount: 50 },
          ],
        }),
      );
      given(...events).thenDocument(P1, (doc) => expect(stats(doc)).to.include({ orders: 1, discountTotal: 150 }));
    });

    it('changes no promotion for an order without a discount, or placed before promotions existed', () => {
      const log = eventLog();
      for (const e of log(orderPlaced(), orderPlaced({ orderId: 'o-2', promotions: [] }))) {
        expect(promotionsProjection.documentIds(e)).to.deep.equal([]);
      }
    });

    it('counts an order projected before the promotion’s definition (the book travels on another topic)', () => {
      const log = eventLog();
      const [placed, defined] = log(
        orderPlaced({ promotions: [{ promotionId: P1, amount: 250 }] }),
        promotionDefined({ at: at(8) }),
      );
      if (placed === undefined || defined === undefined) throw new Error('two events');
      const early = foldBatches(promotionsProjection, [[placed]]).get(P1);
      expect(early).to.deep.include({ name: null, validFrom: null, activeUntil: null, orders: 1 });
      expect(early?.discountTotal).to.deep.equal({ amount: 250, currency: 'EUR' });
      const later = foldBatches(promotionsProjection, [[placed], [defined]]).get(P1);
      expect(later).to.deep.include({ name: 'Spring sale', activeUntil: OPEN_END, orders: 1, definedAt: at(8) });
      expect(later?.discountTotal).to.deep.equal({ amount: 250, currency: 'EUR' });
    });
  });

  describe('when an order with its discount is cancelled', () => {
    it('takes the order and its discount back out, and counts them as cancelled', () => {
      const log = eventLog();
      const first = orderPlaced({ orderId: 'o-1', promotions: [{ promotionId: P1, amount: 250 }] });
      const events = log(
        promotionDefined(),
        first,
        orderPlaced({ orderId: 'o-2', promotions: [{ promotionId: P1, amount: 100 }] }),
        orderConfirmed({ orderId: 'o-1' }),
        orderCancelled({ orderId: 'o-1', pricing: first.pricing, at: at(12) }),
      );
      given(...events).thenDocument(P1, (doc) => {
        expect(stats(doc)).to.deep.equal({
          orders: 1,
          discountTotal: 100,
          ordersCancelled: 1,
          discountCancelled: 250,
        });
        expect(doc.updatedAt).to.equal(at(12));
      });
    });

    it('changes nothing for a cancelled order without a breakdown (placed before promotions existed)', () => {
      const log = eventLog();
      for (const e of log(orderCancelled())) expect(promotionsProjection.documentIds(e)).to.deep.equal([]);
    });
  });

  it('gives the same documents whichever batches the events come in', () => {
    const log = eventLog();
    const placed = (n: number) =>
      orderPlaced({
        orderId: `o-${n}`,
        promotions: [{ promotionId: P1, amount: 100 + n }, ...(n % 2 === 0 ? [{ promotionId: P2, amount: 10 }] : [])],
        at: at(10, n),
      });
    const orders = Array.from({ length: 12 }, (_, n) => placed(n));
    const events = log(
      promotionDefined({ promotionId: P1 }),
      promotionDefined({ promotionId: P2 }),
      ...orders,
      ...orders
        .filter((_, n) => n % 3 === 0)
        .map((o) => orderCancelled({ orderId: o.orderId, pricing: o.pricing, at: at(11) })),
      promotionEnded({ promotionId: P2, at: at(12) }),
    );
    const whole = foldBatches(promotionsProjection, [events]);
    for (const size of [1, 4, 9]) {
      const batches = [];
      for (let i = 0; i < events.length; i += size) batches.push(events.slice(i, i + size));
      expect(foldBatches(promotionsProjection, batches), `batches of ${size}`).to.deep.equal(whole);
    }
    const p1 = whole.get(P1);
    expect(p1 && stats(p1)).to.deep.equal({
      orders: 8,
      discountTotal: [1, 2, 4, 5, 7, 8, 10, 11].reduce((sum, n) => sum + 100 + n, 0),
      ordersCancelled: 4,
      discountCancelled: [0, 3, 6, 9].reduce((sum, n) => sum + 100 + n, 0),
    });
    const p2 = whole.get(P2);
    expect(p2 && stats(p2)).to.deep.equal({ orders: 4, discountTotal: 40, ordersCancelled: 2, discountCancelled: 20 });
  });

  it('reads the promotion book and the orders’ breakdowns only', () => {
    expect([...promotionsProjection.eventTypes].sort()).to.deep.equal(
      ['OrderCancelled', 'OrderPlaced', 'PromotionDefined', 'PromotionEnded'].sort(),
    );
    const log = eventLog();
    for (const e of log(couponReserved(), orderConfirmed())) {
      expect(promotionsProjection.documentIds(e), e.event.type).to.deep.equal([]);
    }
  });
});
