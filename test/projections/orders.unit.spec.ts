import { expect } from 'chai';
import * as fc from 'fast-check';
import {
  CANCELLATION_REFUND_REASON,
  ordersProjection,
  type OrderDoc,
  type PlacedOrderDoc,
  type UnplacedOrderDoc,
} from '../../projections/orders/projection';
import { formatMoney, TIMELINE_LIMIT } from '../../projections/orders/timeline';
import type { ProjectedEvent } from '../../projections/projection';
import { eventLog, foldBatches, givenProjection } from '../projection-spec';
import {
  A,
  B,
  O1,
  O2,
  R1,
  R2,
  at,
  eur,
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
  refundCompleted,
  refundFailed,
  refundRequested,
  reservationCommitted,
  reservationExpired,
  reservationReleased,
  skuDefined,
  stockAdjusted,
  stockReserved,
  stockRestocked,
} from './fixtures';

const given = givenProjection(ordersProjection);

const placedDoc = (doc: OrderDoc): PlacedOrderDoc => {
  if (doc.status === null) return expect.fail('expected a placed order document');
  return doc;
};

const unplacedDoc = (doc: OrderDoc): UnplacedOrderDoc => {
  if (doc.status !== null) return expect.fail(`expected an unplaced order document, got status ${doc.status}`);
  return doc;
};

describe('the orders projection', () => {
  describe('when an order is placed', () => {
    it('shows what promotions and a coupon took off: the line discount and the breakdown', () => {
      const log = eventLog();
      const promotions = [
        { promotionId: 'mugs-10', amount: 200 },
        { promotionId: 'spring-20', amount: 360, viaCoupon: true },
      ];
      given(...log(orderPlaced({ promotions, coupon: 'SPRING-20' }))).thenDocument(O1, (doc) => {
        const placed = placedDoc(doc);
        expect(placed.lines[0]).to.deep.include({ lineTotal: eur(1440), discount: eur(560) });
        expect(placed.lines[1]).not.to.have.property('discount');
        expect(placed.total).to.deep.equal(eur(1940));
        expect(placed.pricing).to.deep.include({ listTotal: eur(2500), discount: eur(560), couponCode: 'SPRING-20' });
        expect(placed.pricing?.promotions.map((p) => [p.promotionId, p.amount.amount, p.viaCoupon])).to.deep.equal([
          ['mugs-10', 200, false],
          ['spring-20', 360, true],
        ]);
      });
    });

    it('shows the order with its lines, totals at zero and the placement as the first timeline entry', () => {
      const log = eventLog();
      given(...log(orderPlaced())).thenDocument(O1, (doc) => {
        expect(doc).to.deep.equal({
          orderId: O1,
          status: 'Placed',
          customerId: 'c-1',
          channel: 'default',
          tradeType: 'standard',
          currency: 'EUR',
          lines: [
            { sku: A, quantity: 2, unitPrice: eur(1000), lineTotal: eur(2000), refundedQuantity: 0 },
            { sku: B, quantity: 1, unitPrice: eur(500), lineTotal: eur(500), refundedQuantity: 0 },
          ],
          total: eur(2500),
          paid: eur(0),
          refunded: eur(0),
          refundsPending: eur(0),
          placedAt: at(10),
          updatedAt: at(10),
          refunds: [],
          payment: null,
          timeline: [
            {
              at: at(10),
              type: 'OrderPlaced',
              position: 1,
              streamId: 'order-o-1',
              summary: 'Placed by c-1: 3 units on 2 lines, 25.00 EUR',
            },
          ],
        });
      });
    });

    it('declares the fields the read API filters and sorts on as indexes', () => {
      expect(ordersProjection.indexes).to.deep.equal(['status', 'customerId', 'placedAt', 'channel', 'tradeType']);
    });

    it('stores the placement time in one fixed-width form, so it sorts as text', () => {
      const log = eventLog();
      given(...log(orderPlaced({ at: '2026-03-01T10:00:00Z' }))).thenDocument(O1, (doc) => {
        expect(doc.placedAt).to.equal('2026-03-01T10:00:00.000Z');
      });
    });

    it('keeps each order in its own document', () => {
      const log = eventLog();
      const then = given(...log(orderPlaced(), orderPlaced({ orderId: O2, customer: 'c-2' })));
      then.thenDocument(O2, (doc) => expect(doc.customerId).to.equal('c-2'));
      expect([...then.documents.keys()]).to.have.members([O1, O2]);
    });
  });

  describe('when the order is confirmed', () => {
    it('records what was paid and when', () => {
      const log = eventLog();
      given(...log(orderPlaced(), orderConfirmed({ paid: eur(2500), at: at(10, 5) }))).thenDocument(O1, (doc) => {
        const order = placedDoc(doc);
        expect(order.status).to.equal('Confirmed');
        expect(order.paid).to.deep.equal(eur(2500));
        expect(order.confirmedAt).to.equal(at(10, 5));
        expect(order.updatedAt).to.equal(at(10, 5));
        expect(order.timeline.map((t) => t.summary)).to.deep.equal([
          'Placed by c-1: 3 units on 2 lines, 25.00 EUR',
          'Confirmed, 25.00 EUR paid',
        ]);
      });
    });

    it('stays as it is when its OrderPlaced is delivered again', () => {
      const log = eventLog();
      const placement = log(orderPlaced());
      const confirmation = log(orderConfirmed());
      const once = given(...placement, ...confirmation).thenDocument(O1, () => undefined);
      given(...placement, ...confirmation, ...placement).thenDocument(O1, (doc) => expect(doc).to.deep.equal(once));
    });
  });

  describe('when the order is shipped', () => {
    it('is Shipped with its shipping time', () => {
      const log = eventLog();
      given(...log(orderPlaced(), orderConfirmed(), orderShipped({ at: at(12) }))).thenDocument(O1, (doc) => {
        const order = placedDoc(doc);
        expect(order.status).to.equal('Shipped');
        expect(order.shippedAt).to.equal(at(12));
      });
    });

    it('ignores a shipment of an unpaid order but still lists it in the timeline', () => {
      const log = eventLog();
      given(...log(orderPlaced(), orderShipped())).thenDocument(O1, (doc) => {
        expect(doc.status).to.equal('Placed');
        expect(doc).not.to.have.property('shippedAt');
        expect(doc.timeline.map((t) => t.type)).to.deep.equal(['OrderPlaced', 'OrderShipped']);
      });
    });
  });

  describe('when the order is cancelled', () => {
    it('is Cancelled with the reason and time', () => {
      const log = eventLog();
      given(...log(orderPlaced(), orderCancelled({ reason: 'out of stock', at: at(11) }))).thenDocument(O1, (doc) => {
        const order = placedDoc(doc);
        expect(order.status).to.equal('Cancelled');
        expect(order.cancelReason).to.equal('out of stock');
        expect(order.cancelledAt).to.equal(at(11));
        expect(order.timeline.at(-1)?.summary).to.equal('Cancelled: out of stock');
      });
    });

    describe('after it was paid, and the fulfilment saga pays the capture back', () => {
      const paidThenCancelled = (log = eventLog()): ProjectedEvent[] =>
        log(
          orderPlaced(),
          paymentAuthorized({ amount: eur(2500) }),
          paymentCaptured({ amount: eur(2500) }),
          orderConfirmed({ paid: eur(2500) }),
          orderCancelled({ reason: 'changed my mind', wasPaid: eur(2500), at: at(11) }),
          reservationReleased({ sku: A, quantity: 2 }),
          paymentRefundFailed({ refundId: 'order-cancellation', amount: eur(2500), at: at(11, 1) }),
          paymentRefunded({ refundId: 'order-cancellation', amount: eur(2500), at: at(11, 5) }),
        );

      it('lists the payout as a completed refund and counts it as refunded, as its payment does', () => {
        given(...paidThenCancelled()).thenDocument(O1, (doc) => {
          const order = placedDoc(doc);
          expect(order.status).to.equal('Cancelled');
          expect(order.refunded).to.deep.equal(eur(2500));
          expect(order.refunded).to.deep.equal(order.payment?.refunded);
          expect(order.refundsPending).to.deep.equal(eur(0));
          expect(order.refunds).to.deep.equal([
            {
              refundId: 'order-cancellation',
              amount: eur(2500),
              status: 'Completed',
              reason: CANCELLATION_REFUND_REASON,
              lines: [],
              requestedAt: at(11, 1),
              settledAt: at(11, 5),
            },
          ]);
          // the stock was released, not returned
          expect(order.lines.map((l) => l.refundedQuantity)).to.deep.equal([0, 0]);
        });
      });

      it('shows the payout pending, with the provider message, while an attempt failed', () => {
        const events = paidThenCancelled().slice(0, -1);
        given(...events).thenDocument(O1, (doc) => {
          const order = placedDoc(doc);
          expect(order.refunded).to.deep.equal(eur(0));
          expect(order.refundsPending).to.deep.equal(eur(2500));
          expect(order.refunds[0]).to.include({ status: 'Pending', failureReason: 'provider unavailable' });
        });
      });

      it('keeps the payout when it is projected before the order was placed', () => {
        const history = paidThenCancelled();
        const payment = history.filter((e) => e.streamId.startsWith('payment-'));
        const rest = history.filter((e) => !e.streamId.startsWith('payment-'));
        given(...payment, ...rest).thenDocument(O1, (doc) => {
          const order = placedDoc(doc);
          expect(order.refunded).to.deep.equal(eur(2500));
          expect(order.refunds.map((r) => r.status)).to.deep.equal(['Completed']);
        });
      });

      it('ends in the same document whatever order the streams are delivered in', () => {
        const history = paidThenCancelled();
        const expected = foldBatches(ordersProjection, [history]).get(O1);
        fc.assert(
          fc.property(fc.array(fc.nat(), { minLength: history.length, maxLength: history.length }), (choices) => {
            expect(foldBatches(ordersProjection, [interleave(history, choices)]).get(O1)).to.deep.equal(expected);
          }),
          { numRuns: 100 },
        );
      });

      it('counts a payout of the same refund delivered twice once', () => {
        const log = eventLog();
        const history = paidThenCancelled(log);
        const again = log(paymentRefunded({ refundId: 'order-cancellation', amount: eur(2500), at: at(11, 6) }));
        given(...history, ...again).thenDocument(O1, (doc) => {
          expect(placedDoc(doc).refunded).to.deep.equal(eur(2500));
        });
      });
    });

    it('stays Shipped when a cancellation arrives after shipping (the aggregate never records one)', () => {
      const log = eventLog();
      given(...log(orderPlaced(), orderConfirmed(), orderShipped(), orderCancelled())).thenDocument(O1, (doc) => {
        expect(doc.status).to.equal('Shipped');
        expect(doc).not.to.have.property('cancelReason');
      });
    });
  });

  describe('when a refund is requested', () => {
    it('lists it as Pending and counts its amount as pending', () => {
      const log = eventLog();
      const events = log(
        orderPlaced(),
        orderConfirmed(),
        refundRequested({ amount: eur(1000), lines: [{ sku: A, quantity: 1 }], at: at(13) }),
      );
      given(...events).thenDocument(O1, (doc) => {
        const order = placedDoc(doc);
        expect(order.status).to.equal('Confirmed');
        expect(order.refundsPending).to.deep.equal(eur(1000));
        expect(order.refunds).to.deep.equal([
          {
            refundId: R1,
            amount: eur(1000),
            status: 'Pending',
            reason: 'damaged',
            lines: [{ sku: A, quantity: 1 }],
            requestedAt: at(13),
          },
        ]);
      });
    });

    it('ignores a refund request on an order that was never paid', () => {
      const log = eventLog();
      given(...log(orderPlaced(), refundRequested())).thenDocument(O1, (doc) => {
        const order = placedDoc(doc);
        expect(order.refunds).to.deep.equal([]);
        expect(order.refundsPending).to.deep.equal(eur(0));
      });
    });
  });

  describe('when a refund completes', () => {
    it('is PartiallyRefunded while less than the paid amount went back, and counts returned units per line', () => {
      const log = eventLog();
      const events = log(
        orderPlaced(),
        orderConfirmed({ paid: eur(2500) }),
        refundRequested({ amount: eur(1000), lines: [{ sku: A, quantity: 1 }] }),
        refundCompleted({ amount: eur(1000), at: at(14) }),
      );
      given(...events).thenDocument(O1, (doc) => {
        const order = placedDoc(doc);
        expect(order.status).to.equal('PartiallyRefunded');
        expect(order.refunded).to.deep.equal(eur(1000));
        expect(order.refundsPending).to.deep.equal(eur(0));
        expect(order.lines.map((l) => [l.sku, l.refundedQuantity])).to.deep.equal([
          [A, 1],
          [B, 0],
        ]);
        expect(order.refunds[0]).to.include({ status: 'Completed', settledAt: at(14) });
      });
    });

    it('is Refunded once the refunds reach the paid amount', () => {
      const log = eventLog();
      const events = log(
        orderPlaced(),
        orderConfirmed({ paid: eur(2500) }),
        refundRequested({ refundId: R1, amount: eur(1000) }),
        refundCompleted({ refundId: R1 }),
        refundRequested({ refundId: R2, amount: eur(1500) }),
        refundCompleted({ refundId: R2 }),
      );
      given(...events).thenDocument(O1, (doc) => {
        const order = placedDoc(doc);
        expect(order.status).to.equal('Refunded');
        expect(order.refunded).to.deep.equal(eur(2500));
        expect(order.refunds.map((r) => r.status)).to.deep.equal(['Completed', 'Completed']);
      });
    });
  });

  describe('when a refund fails', () => {
    it('marks it Failed with the reason and releases the pending amount', () => {
      const log = eventLog();
      const events = log(
        orderPlaced(),
        orderConfirmed(),
        refundRequested({ amount: eur(1000) }),
        refundFailed({ reason: 'card expired', at: at(14) }),
      );
      given(...events).thenDocument(O1, (doc) => {
        const order = placedDoc(doc);
        expect(order.status).to.equal('Confirmed');
        expect(order.refundsPending).to.deep.equal(eur(0));
        expect(order.refunded).to.deep.equal(eur(0));
        expect(order.refunds[0]).to.include({ status: 'Failed', failureReason: 'card expired', settledAt: at(14) });
        expect(order.timeline.at(-1)?.summary).to.equal('Refund r-1 failed: card expired');
      });
    });
  });

  describe('when payment events of the order arrive', () => {
    it('summarises the payment: authorized, captured, refunded', () => {
      const log = eventLog();
      const events = log(
        orderPlaced(),
        paymentAuthorized({ amount: eur(2500) }),
        paymentCaptured({ amount: eur(2500) }),
        paymentRefunded({ amount: eur(1000) }),
      );
      given(...events).thenDocument(O1, (doc) => {
        expect(doc.payment).to.deep.equal({
          status: 'PartiallyRefunded',
          currency: 'EUR',
          authorized: eur(2500),
          captured: eur(2500),
          refunded: eur(1000),
          failedAttempts: 0,
        });
      });
    });

    it('shows a decline code and the last provider error', () => {
      const log = eventLog();
      given(
        ...log(orderPlaced(), paymentAuthorizationFailed({ message: 'gateway timeout' }), paymentDeclined()),
      ).thenDocument(O1, (doc) => {
        expect(doc.payment).to.include({
          status: 'Declined',
          declineCode: 'card_declined',
          lastError: 'gateway timeout',
          failedAttempts: 1,
        });
      });
    });
  });

  describe('when the order, its payment and its stock reservations are projected together', () => {
    it('lists every event of the order in the timeline in store order, with the stream it came from', () => {
      const log = eventLog();
      const events = log(
        orderPlaced({ at: at(10) }),
        stockReserved({ sku: A, quantity: 2, available: 8, at: at(10, 1) }),
        stockReserved({ sku: B, quantity: 1, available: 4, at: at(10, 1) }),
        paymentAuthorized({ at: at(10, 2) }),
        paymentCaptured({ at: at(10, 3) }),
        orderConfirmed({ at: at(10, 4) }),
        reservationCommitted({ sku: A, quantity: 2, onHand: 8, at: at(12) }),
        reservationReleased({ sku: B, quantity: 1, at: at(12) }),
        reservationExpired({ orderId: O1, sku: A, quantity: 1, at: at(12, 30) }),
        stockRestocked({ sku: A, quantity: 1, onHand: 9, orderId: O1, at: at(15) }),
        orderShipped({ at: at(12, 1) }),
      );
      given(...events).thenDocument(O1, (doc) => {
        expect(doc.timeline.map((t) => [t.position, t.streamId, t.type])).to.deep.equal([
          [1, 'order-o-1', 'OrderPlaced'],
          [2, 'sku-A-1', 'StockReserved'],
          [3, 'sku-B-2', 'StockReserved'],
          [4, 'payment-o-1', 'PaymentAuthorized'],
          [5, 'payment-o-1', 'PaymentCaptured'],
          [6, 'order-o-1', 'OrderConfirmed'],
          [7, 'sku-A-1', 'ReservationCommitted'],
          [8, 'sku-B-2', 'ReservationReleased'],
          [9, 'sku-A-1', 'ReservationExpired'],
          [10, 'sku-A-1', 'StockRestocked'],
          [11, 'order-o-1', 'OrderShipped'],
        ]);
        expect(doc.timeline[1]?.summary).to.equal('Reserved 2 units of A-1');
        expect(doc.status).to.equal('Shipped');
        expect(doc.payment?.status).to.equal('Captured');
        // the latest event time, not the last one delivered
        expect(doc.updatedAt).to.equal(at(15));
      });
    });

    it('ignores stock events that name no order', () => {
      const log = eventLog();
      const events = log(skuDefined(), stockRestocked({ onHand: 10 }), stockAdjusted({ delta: -1, onHand: 9 }));
      for (const e of events) expect(ordersProjection.documentIds(e)).to.deep.equal([]);
    });

    it('keeps an order known only from its payment and stock events unplaced until OrderPlaced arrives', () => {
      const log = eventLog();
      const placement = log(orderPlaced());
      const others = log(stockReserved({ quantity: 2, available: 3 }), paymentAuthorized());
      const early = given(...others).thenDocument(O1, (doc) => {
        const order = unplacedDoc(doc);
        expect(order.customerId).to.equal(null);
        expect(order.placedAt).to.equal(null);
        expect(order.payment?.status).to.equal('Authorized');
      });
      expect(early.timeline).to.have.length(2);

      given(...others, ...placement).thenDocument(O1, (doc) => {
        const order = placedDoc(doc);
        expect(order.status).to.equal('Placed');
        expect(order.payment?.status).to.equal('Authorized');
        expect(order.timeline.map((t) => t.type)).to.deep.equal(['OrderPlaced', 'StockReserved', 'PaymentAuthorized']);
      });
    });

    it('ends in the same document whatever order the streams are delivered in', () => {
      const log = eventLog();
      const history = log(
        orderPlaced(),
        stockReserved({ sku: A, quantity: 2, available: 8 }),
        paymentAuthorizationFailed(),
        paymentAuthorized(),
        paymentCaptured(),
        orderConfirmed(),
        refundRequested({ amount: eur(500), lines: [{ sku: B, quantity: 1 }] }),
        paymentRefunded({ amount: eur(500) }),
        refundCompleted({ amount: eur(500) }),
        reservationCommitted({ sku: A, quantity: 2, onHand: 8 }),
        stockRestocked({ sku: B, quantity: 1, onHand: 5, orderId: O1 }),
      );
      const expected = foldBatches(ordersProjection, [history]).get(O1);
      fc.assert(
        fc.property(fc.array(fc.nat(), { minLength: history.length, maxLength: history.length }), (choices) => {
          const shuffled = interleave(history, choices);
          expect(foldBatches(ordersProjection, [shuffled]).get(O1)).to.deep.equal(expected);
        }),
        { numRuns: 100 },
      );
    });
  });

  describe('when more events arrive than the timeline holds', () => {
    it(`keeps the latest ${TIMELINE_LIMIT} entries in store order`, () => {
      const log = eventLog();
      const failures = Array.from({ length: TIMELINE_LIMIT + 4 }, (_, i) =>
        paymentAuthorizationFailed({ attempt: i + 1, at: at(10, 1) }),
      );
      given(...log(orderPlaced(), ...failures)).thenDocument(O1, (doc) => {
        expect(doc.timeline).to.have.length(TIMELINE_LIMIT);
        expect(doc.timeline[0]?.position).to.equal(6);
        expect(doc.timeline.at(-1)?.position).to.equal(TIMELINE_LIMIT + 5);
        // the placement fell out of the timeline, not out of the document
        expect(doc.status).to.equal('Placed');
        expect(doc.payment?.failedAttempts).to.equal(TIMELINE_LIMIT + 4);
      });
    });

    it('shortens long free-text reasons in summaries', () => {
      const log = eventLog();
      given(...log(orderPlaced(), orderCancelled({ reason: 'x'.repeat(500) }))).thenDocument(O1, (doc) => {
        expect(doc.timeline.at(-1)?.summary.length).to.be.at.most(160);
      });
    });
  });

  describe('its money text', () => {
    it('uses the currency’s own number of decimals', () => {
      expect(formatMoney({ amount: 5, currency: 'EUR' })).to.equal('0.05 EUR');
      expect(formatMoney({ amount: 1500, currency: 'JPY' })).to.equal('1500 JPY');
      expect(formatMoney({ amount: 1500, currency: 'KWD' })).to.equal('1.500 KWD');
    });
  });
});

/** A delivery order that keeps each stream's own order, as Kafka does per partition; `choices` pick the stream. */
const interleave = (events: readonly ProjectedEvent[], choices: readonly number[]): ProjectedEvent[] => {
  const queues = new Map<string, ProjectedEvent[]>();
  for (const e of events) queues.set(e.streamId, [...(queues.get(e.streamId) ?? []), e]);
  const out: ProjectedEvent[] = [];
  for (const choice of choices) {
    const open = [...queues.values()].filter((q) => q.length > 0);
    const next = open[choice % Math.max(open.length, 1)]?.shift();
    if (next !== undefined) out.push(next);
  }
  return out;
};
