import { expect } from 'chai';
import type { RefundRequested } from '../../domain/order';
import { sagaInputsFor, type DomainEvent } from '../../domain/sagas';
import { name, reason, refundId } from '../../domain/shared';
import {
  A,
  SAVE10,
  at,
  authorized,
  captured,
  couponReserved,
  customerCancelled,
  eur,
  order,
  placed,
  refunded,
  reserved,
} from './fixtures';

const sagasFed = (event: DomainEvent): string[] => sagaInputsFor(event).map((r) => `${r.saga} ${r.sagaId}`);

describe('routing domain events to sagas', () => {
  it('feeds the order, its reservations (stock and coupon) and its payment to the fulfilment saga of the order', () => {
    for (const event of [placed, reserved(A), couponReserved(), authorized(), captured(), customerCancelled()]) {
      expect(sagasFed(event), event.type).to.deep.equal(['fulfilment saga-fulfilment-o-1']);
    }
  });

  it('passes the event itself as the input', () => {
    expect(sagaInputsFor(placed)[0]?.input).to.equal(placed);
  });

  it('starts a refund saga per refund of an order', () => {
    const requested: RefundRequested = {
      type: 'RefundRequested',
      orderId: order,
      refundId: refundId('r-7'),
      scope: 'Amount',
      amount: eur(100),
      lines: [],
      reason: reason('late delivery'),
      restock: false,
      at: at(0),
    };
    expect(sagasFed(requested)).to.deep.equal(['refund saga-refund-o-1/r-7']);
  });

  it('feeds refund outcomes to both sagas, each of which ignores refunds not its own', () => {
    expect(sagasFed(refunded())).to.deep.equal([
      'fulfilment saga-fulfilment-o-1',
      'refund saga-refund-o-1/order-cancellation',
    ]);
  });

  it('feeds no saga the facts no saga waits for', () => {
    const quiet: DomainEvent[] = [
      { type: 'PaymentVoided', orderId: order, reason: reason('payment_timeout'), at: at(0) },
      { type: 'SkuDefined', sku: A, name: name('Anvil'), unitPrice: eur(100), at: at(0) },
      {
        type: 'ReservationReleased',
        sku: A,
        orderId: order,
        quantity: reserved(A).quantity,
        reason: reason('x'),
        at: at(0),
      },
      { type: 'RefundCompleted', orderId: order, refundId: refundId('r-7'), amount: eur(100), at: at(0) },
      { type: 'CouponRedeemed', code: SAVE10, orderId: order, at: at(0) },
      { type: 'CouponReleased', code: SAVE10, orderId: order, reason: reason('x'), at: at(0) },
      { type: 'PurchaseLimitSet', sku: A, perCustomer: null, at: at(0) },
    ];
    for (const event of quiet) expect(sagasFed(event), event.type).to.deep.equal([]);
  });
});
