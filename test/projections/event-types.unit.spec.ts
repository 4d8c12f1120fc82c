import { expect } from 'chai';
import { centres } from '../../domain/centres';
import { allProjections } from '../../projections';
import type { DomainEvent } from '../../projections/projection';
import { eventLog } from '../projection-spec';
import * as f from './fixtures';

/** An order priced with a promotion: its events name the promotion too. */
const discounted = f.orderPlaced({ promotions: [{ promotionId: f.P1, amount: 250 }] });

/** One event of every domain type, each naming an order (and a promotion) where its type can. */
const everyType: readonly DomainEvent[] = [
  discounted,
  f.orderConfirmed(),
  f.orderShipped(),
  f.shipmentsPlanned(),
  f.shipmentShipped(),
  f.orderCancelled({ pricing: discounted.pricing }),
  f.refundRequested(),
  f.refundCompleted(),
  f.refundFailed(),
  f.depositPaid(),
  f.balanceRequested(),
  f.orderDelivered(),
  f.deliveryRefused(),
  f.paymentAuthorized(),
  f.paymentDeclined(),
  f.paymentAuthorizationFailed(),
  f.paymentCaptured(),
  f.paymentVoided(),
  f.paymentRefunded(),
  f.paymentRefundFailed(),
  f.cashCollected(),
  f.skuDefined(),
  f.skuUpdated(),
  f.stockRestocked({ onHand: 5, orderId: f.O1 }),
  f.stockAdjusted({ delta: 1, onHand: 6 }),
  f.stockReserved({ quantity: 1, available: 4 }),
  f.reservationReleased({ quantity: 1 }),
  f.reservationCommitted({ quantity: 1, onHand: 4 }),
  f.reservationExpired({ quantity: 1 }),
  f.purchaseLimitSet(),
  f.purchaseReturned(),
  f.promotionDefined(),
  f.promotionEnded(),
  f.couponDefined(),
  f.couponReserved(),
  f.couponRedeemed(),
  f.couponReleased(),
  f.channelDefined(),
];

describe('the event types a projection declares (a rebuild reads only those)', () => {
  it('the fixtures cover every domain event type', () => {
    const registered = centres.flatMap((centre) => centre.events.storedTypes.map((t) => t.split('.')[0]));
    expect([...new Set(everyType.map((e) => e.type))].sort()).to.deep.equal(registered.sort());
  });

  for (const projection of allProjections) {
    it(`${projection.name}: no event of an undeclared type changes a document, and every declared type can`, () => {
      const declared = new Set<string>(projection.eventTypes);
      for (const e of eventLog()(...everyType)) {
        const ids = projection.documentIds(e);
        if (!declared.has(e.event.type)) expect(ids, e.event.type).to.deep.equal([]);
        else expect(ids, e.event.type).to.not.deep.equal([]);
      }
    });
  }
});
