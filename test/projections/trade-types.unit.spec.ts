import { expect } from 'chai';
import type { OrderPlaced, OrderTerms } from '../../domain/order';
import { ordersProjection, type OrderDoc, type PlacedOrderDoc } from '../../projections/orders/projection';
import { paymentsProjection } from '../../projections/payments/projection';
import { salesProjection } from '../../projections/sales/projection';
import { timestamp } from '../../domain/shared';
import { eventLog, givenProjection } from '../projection-spec';
import * as f from './fixtures';

const placedDoc = (doc: OrderDoc): PlacedOrderDoc => {
  if (doc.status === null) return expect.fail('the order is not placed');
  return doc;
};

const terms = {
  paymentTimeoutMs: 900_000,
  reservationTtlMs: 1_800_000,
  partialRefunds: true,
  refundWindowMs: null,
};
const presale: OrderPlaced = {
  ...f.orderPlaced({ tradeType: 'presale' }),
  terms: {
    ...terms,
    presale: {
      depositBasisPoints: 3000,
      balanceFrom: timestamp('2026-06-02T00:00:00.000Z'),
      balanceUntil: timestamp('2026-06-10T00:00:00.000Z'),
      lateBalance: 'refundDeposit',
    },
  } as OrderTerms,
};
const cod: OrderPlaced = { ...f.orderPlaced({ tradeType: 'cod' }), terms: terms as OrderTerms };

describe('the read models with trade types', () => {
  describe('the orders read model', () => {
    it('shows a pre-sale awaiting its balance with the window and the deposit paid', () => {
      givenProjection(ordersProjection)(...eventLog()(presale, f.depositPaid(), f.balanceRequested())).thenDocument(
        f.O1,
        (doc) => {
          const order = placedDoc(doc);
          expect(order.status).to.equal('AwaitingBalance');
          expect(order.tradeType).to.equal('presale');
          expect(order.paid).to.deep.equal(f.eur(750));
          expect(order.presale).to.deep.include({
            balanceFrom: '2026-06-02T00:00:00.000Z',
            balanceUntil: '2026-06-10T00:00:00.000Z',
            lateBalance: 'refundDeposit',
            deposit: f.eur(750),
            balanceRequests: 1,
          });
        },
      );
    });

    it('confirms a pre-sale from awaiting its balance, and cancels one', () => {
      const log = eventLog();
      givenProjection(ordersProjection)(
        ...log(presale, f.depositPaid(), f.orderConfirmed({ paid: f.eur(2500) })),
      ).thenDocument(f.O1, (doc) => expect(placedDoc(doc).status).to.equal('Confirmed'));
      givenProjection(ordersProjection)(
        ...eventLog()(presale, f.depositPaid(), f.orderCancelled({ reason: 'balance_not_paid' })),
      ).thenDocument(f.O1, (doc) => expect(placedDoc(doc).cancelReason).to.equal('balance_not_paid'));
    });

    it('shows a cash-on-delivery order delivered with the cash collected as paid', () => {
      givenProjection(ordersProjection)(
        ...eventLog()(cod, f.orderConfirmed({ paid: f.eur(0) }), f.orderDelivered(), f.cashCollected()),
      ).thenDocument(f.O1, (doc) => {
        const order = placedDoc(doc);
        expect(order.status).to.equal('Delivered');
        expect(order.paid).to.deep.equal(f.eur(2500));
        expect(order.payment).to.include({ status: 'Captured', method: 'cash' });
        expect(order.timeline.map((t) => t.summary)).to.include('Delivered, 25.00 EUR collected in cash');
      });
    });

    it('closes a refused delivery as cancelled, delivery_refused, with the customer words', () => {
      givenProjection(ordersProjection)(
        ...eventLog()(cod, f.orderConfirmed({ paid: f.eur(0) }), f.orderShipped(), f.deliveryRefused()),
      ).thenDocument(f.O1, (doc) => {
        const order = placedDoc(doc);
        expect(order.status).to.equal('Cancelled');
        expect(order.cancelReason).to.equal('delivery_refused');
        expect(order.deliveryRefusal).to.equal('not at home');
      });
    });
  });

  it('counts cash collected as revenue and a refused delivery as a cancellation', () => {
    const { documents } = givenProjection(salesProjection)(
      ...eventLog()(cod, f.cashCollected({ at: f.at(10) }), f.deliveryRefused({ at: f.at(10) })),
    );
    const day = [...documents.values()].find((d) => d.granularity === 'day');
    expect(day?.revenue).to.deep.include({ EUR: 2500 });
    expect(day?.ordersCancelled).to.equal(1);
    expect(day?.cancelledByReason).to.deep.include({ delivery_refused: 1 });
  });

  it('adds a pre-sale balance to the payment captured', () => {
    const depositAuthorized = { ...f.paymentAuthorized({ amount: f.eur(750) }), part: 'deposit' as const };
    const depositCaptured = { ...f.paymentCaptured({ amount: f.eur(750) }), part: 'deposit' as const };
    const balanceAuthorized = { ...f.paymentAuthorized({ amount: f.eur(1750) }), part: 'balance' as const };
    const balanceCaptured = { ...f.paymentCaptured({ amount: f.eur(1750) }), part: 'balance' as const };
    givenProjection(paymentsProjection)(
      ...eventLog()(depositAuthorized, depositCaptured, balanceAuthorized, balanceCaptured),
    ).thenDocument(f.O1, (doc) => {
      expect(doc.status).to.equal('Captured');
      expect(doc.captured).to.deep.equal(f.eur(2500));
      expect(doc.authorized).to.deep.equal(f.eur(2500));
    });
  });
});
