import { expect } from 'chai';
import * as fc from 'fast-check';
import { money, timestamp, type Money } from '../../domain/shared';
import { allProjections } from '../../projections';
import { couponsProjection } from '../../projections/coupons/projection';
import { ordersProjection } from '../../projections/orders/projection';
import { paymentsProjection } from '../../projections/payments/projection';
import type { DomainEvent, ProjectedEvent, Projection } from '../../projections/projection';
import { promotionsProjection } from '../../projections/promotions/projection';
import { salesProjection } from '../../projections/sales/projection';
import { skusProjection } from '../../projections/skus/projection';
import { eventLog, foldBatches } from '../projection-spec';
import {
  EUR,
  USD,
  couponDefined,
  couponRedeemed,
  couponReleased,
  couponReserved,
  orderCancelled,
  orderConfirmed,
  orderPlaced,
  orderShipped,
  paymentAuthorizationFailed,
  paymentAuthorized,
  paymentCaptured,
  paymentDeclined,
  paymentRefunded,
  paymentRefundFailed,
  paymentVoided,
  pricingOf,
  promotionDefined,
  promotionEnded,
  refundCompleted,
  refundFailed,
  refundRequested,
  reservationCommitted,
  reservationExpired,
  reservationReleased,
  skuDefined,
  skuUpdated,
  stockAdjusted,
  stockReserved,
  stockRestocked,
} from './fixtures';

// Few ids and close instants, so random events pile onto the same documents and cross hour and day boundaries.
const orderArb = fc.constantFrom('o-1', 'o-2', 'o-3');
const skuArb = fc.constantFrom('A-1', 'B-2', 'C-3');
const refundArb = fc.constantFrom('r-1', 'r-2');
const start = Date.parse('2026-03-01T22:30:00.000Z');
const atArb = fc.integer({ min: 0, max: 3 * 3600 }).map((s) => timestamp(new Date(start + s * 1000).toISOString()));
const moneyArb: fc.Arbitrary<Money> = fc
  .record({ amount: fc.integer({ min: 0, max: 5000 }), cur: fc.constantFrom(EUR, USD) })
  .map(({ amount, cur }) => money(amount, cur));
const unitsArb = fc.integer({ min: 1, max: 20 });
const promotionArb = fc.constantFrom('p-1', 'p-2');
const codeArb = fc.constantFrom('CODE-1', 'CODE-2');
/** none, or one or two promotions' parts of an order's discount */
const promotionsArb = fc.option(
  fc.uniqueArray(fc.record({ promotionId: promotionArb, amount: fc.integer({ min: 1, max: 300 }) }), {
    selector: (p) => p.promotionId,
    maxLength: 2,
  }),
  { nil: undefined },
);
const levelArb = fc.integer({ min: 0, max: 30 });

const eventArb: fc.Arbitrary<DomainEvent> = fc.oneof(
  fc
    .record({
      orderId: orderArb,
      lines: fc.uniqueArray(
        fc.record({ sku: skuArb, quantity: unitsArb, unitPrice: fc.integer({ min: 1, max: 900 }) }),
        {
          selector: (l) => l.sku,
          minLength: 1,
          maxLength: 3,
        },
      ),
      cur: fc.constantFrom(EUR, USD),
      promotions: promotionsArb,
      at: atArb,
    })
    .map(({ promotions, ...o }) => orderPlaced(promotions === undefined ? o : { ...o, promotions })),
  fc.record({ orderId: orderArb, paid: moneyArb, at: atArb }).map((o) => orderConfirmed(o)),
  fc.record({ orderId: orderArb, at: atArb }).map((o) => orderShipped(o)),
  fc
    .record({
      orderId: orderArb,
      reason: fc.constantFrom('declined', 'no stock', '__proto__'),
      promotions: promotionsArb,
      at: atArb,
    })
    .map(({ promotions, ...o }) =>
      orderCancelled(promotions === undefined ? o : { ...o, pricing: pricingOf(EUR, 5000, promotions) }),
    ),
  fc
    .record({
      orderId: orderArb,
      refundId: refundArb,
      amount: moneyArb,
      lines: fc.option(fc.uniqueArray(fc.record({ sku: skuArb, quantity: unitsArb }), { selector: (l) => l.sku }), {
        nil: undefined,
      }),
      at: atArb,
    })
    .map((o) => refundRequested(o)),
  fc.record({ orderId: orderArb, refundId: refundArb, amount: moneyArb, at: atArb }).map((o) => refundCompleted(o)),
  fc.record({ orderId: orderArb, refundId: refundArb, at: atArb }).map((o) => refundFailed(o)),
  fc.record({ orderId: orderArb, amount: moneyArb, at: atArb }).map((o) => paymentAuthorized(o)),
  fc.record({ orderId: orderArb, amount: moneyArb, at: atArb }).map((o) => paymentDeclined(o)),
  fc
    .record({ orderId: orderArb, amount: moneyArb, attempt: fc.integer({ min: 1, max: 4 }), at: atArb })
    .map((o) => paymentAuthorizationFailed(o)),
  fc.record({ orderId: orderArb, amount: moneyArb, at: atArb }).map((o) => paymentCaptured(o)),
  fc.record({ orderId: orderArb, at: atArb }).map((o) => paymentVoided(o)),
  fc.record({ orderId: orderArb, refundId: refundArb, amount: moneyArb, at: atArb }).map((o) => paymentRefunded(o)),
  fc
    .record({
      orderId: orderArb,
      refundId: refundArb,
      amount: moneyArb,
      attempt: fc.integer({ min: 1, max: 3 }),
      at: atArb,
    })
    .map((o) => paymentRefundFailed(o)),
  fc.record({ sku: skuArb, at: atArb }).map((o) => skuDefined(o)),
  fc.record({ sku: skuArb, at: atArb }).map((o) => skuUpdated(o)),
  fc
    .record({
      sku: skuArb,
      quantity: unitsArb,
      onHand: levelArb,
      orderId: fc.option(orderArb, { nil: undefined }),
      at: atArb,
    })
    .map((o) => stockRestocked(o)),
  fc
    .record({ sku: skuArb, delta: fc.integer({ min: -5, max: 5 }).filter((n) => n !== 0), onHand: levelArb, at: atArb })
    .map((o) => stockAdjusted(o)),
  fc
    .record({ sku: skuArb, orderId: orderArb, quantity: unitsArb, available: levelArb, at: atArb })
    .map((o) => stockReserved(o)),
  fc.record({ sku: skuArb, orderId: orderArb, quantity: unitsArb, at: atArb }).map((o) => reservationReleased(o)),
  fc
    .record({ sku: skuArb, orderId: orderArb, quantity: unitsArb, onHand: levelArb, at: atArb })
    .map((o) => reservationCommitted(o)),
  fc.record({ sku: skuArb, orderId: orderArb, quantity: unitsArb, at: atArb }).map((o) => reservationExpired(o)),
  fc
    .record({
      promotionId: promotionArb,
      validFrom: atArb,
      exclusive: fc.boolean(),
      at: atArb,
    })
    .map((o) => promotionDefined(o)),
  fc.record({ promotionId: promotionArb, at: atArb }).map((o) => promotionEnded(o)),
  fc
    .record({ code: codeArb, promotionId: promotionArb, totalLimit: fc.integer({ min: 1, max: 4 }), at: atArb })
    .map((o) => couponDefined(o)),
  fc.record({ code: codeArb, orderId: orderArb, at: atArb }).map((o) => couponReserved(o)),
  fc.record({ code: codeArb, orderId: orderArb, at: atArb }).map((o) => couponRedeemed(o)),
  fc.record({ code: codeArb, orderId: orderArb, at: atArb }).map((o) => couponReleased(o)),
);

/** Consecutive batches of the given sizes (cycled); whatever is left forms the last batch. */
const split = (events: readonly ProjectedEvent[], sizes: readonly number[]): ProjectedEvent[][] => {
  const batches: ProjectedEvent[][] = [];
  let from = 0;
  for (let i = 0; from < events.length; i++) {
    const size = sizes.length === 0 ? events.length : (sizes[i % sizes.length] ?? 1);
    batches.push(events.slice(from, from + size));
    from += size;
  }
  return batches;
};

const byId = <Doc>(docs: ReadonlyMap<string, Doc>): [string, Doc][] =>
  [...docs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

const foldsAlikeInAnyBatches = <Doc>(projection: Projection<Doc>): void => {
  fc.assert(
    fc.property(
      fc.array(eventArb, { maxLength: 60 }),
      fc.array(fc.integer({ min: 1, max: 7 }), { maxLength: 10 }),
      (events, sizes) => {
        const history = eventLog()(...events);
        const inOne = foldBatches(projection, [history]);
        const inMany = foldBatches(projection, split(history, sizes));
        expect(byId(inMany)).to.deep.equal(byId(inOne));
      },
    ),
    { numRuns: 100 },
  );
};

describe('every projection', () => {
  describe('when the same events are folded in one batch or split into consecutive batches', () => {
    it('gives identical orders documents', () => {
      foldsAlikeInAnyBatches(ordersProjection);
    });

    it('gives identical skus documents', () => {
      foldsAlikeInAnyBatches(skusProjection);
    });

    it('gives identical payments documents', () => {
      foldsAlikeInAnyBatches(paymentsProjection);
    });

    it('gives identical sales documents', () => {
      foldsAlikeInAnyBatches(salesProjection);
    });

    it('gives identical promotions documents', () => {
      foldsAlikeInAnyBatches(promotionsProjection);
    });

    it('gives identical coupons documents', () => {
      foldsAlikeInAnyBatches(couponsProjection);
    });
  });

  describe('as listed for the worker', () => {
    it('is one of six read models with distinct names', () => {
      expect(allProjections.map((p) => p.name)).to.deep.equal([
        'orders',
        'skus',
        'payments',
        'sales',
        'promotions',
        'coupons',
      ]);
    });

    it('folds documents the way the typed projections do', () => {
      const history = eventLog()(
        promotionDefined(),
        orderPlaced({ promotions: [{ promotionId: 'spring-10', amount: 250 }] }),
        paymentAuthorized(),
        stockReserved({ quantity: 1, available: 2 }),
        couponDefined(),
      );
      const typed = [
        byId(foldBatches(ordersProjection, [history])),
        byId(foldBatches(skusProjection, [history])),
        byId(foldBatches(paymentsProjection, [history])),
        byId(foldBatches(salesProjection, [history])),
        byId(foldBatches(promotionsProjection, [history])),
        byId(foldBatches(couponsProjection, [history])),
      ];
      expect(allProjections.map((p) => byId(foldBatches(p, [history])))).to.deep.equal(typed);
      expect(typed.map((docs) => docs.length)).to.deep.equal([1, 1, 1, 2, 1, 1]);
    });
  });
});
