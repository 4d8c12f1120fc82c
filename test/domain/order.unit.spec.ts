import { expect } from 'chai';
import * as E from 'fp-ts/Either';
import {
  couponCode,
  currency,
  customerId,
  fieldErrors,
  name,
  promotionId,
  money,
  orderId,
  quantity,
  reason,
  refundId,
  sku,
  timestamp,
  type Money,
  type Sku,
} from '../../domain/shared';
import {
  OrderCommand,
  orderDecider,
  orderErrorCategories,
  orderEvents,
  orderStreamId,
  paymentToken,
  type CancelOrder,
  type CompleteRefund,
  type ConfirmOrder,
  type FailRefund,
  type OrderCommand as OrderCommandType,
  type OrderEvent,
  type OrderPricing,
  type OrderState,
  type PlaceOrder,
  type RefundRequested,
  type RequestRefund,
  type ShipOrder,
} from '../../domain/order';
import { givenDecider } from '../decider-spec';

const EUR = currency('EUR');
const USD = currency('USD');
const eur = (amount: number): Money => money(amount, EUR);

const id = orderId('o-1');
const customer = customerId('c-1');
const A = sku('A-1');
const B = sku('B-2');
const C = sku('C-3');
const at = (minute: number) => timestamp(`2026-01-01T00:${String(minute).padStart(2, '0')}:00.000Z`);
const r1 = refundId('r-1');
const r2 = refundId('r-2');
const r3 = refundId('r-3');

const given = givenDecider(orderDecider);

// Two of A at 10.00 and one of B at 5.00: 25.00 in all
const place: PlaceOrder = {
  type: 'PlaceOrder',
  orderId: id,
  customerId: customer,
  currency: EUR,
  lines: [
    { sku: A, quantity: quantity(2), unitPrice: eur(1000) },
    { sku: B, quantity: quantity(1), unitPrice: eur(500) },
  ],
  paymentToken: paymentToken('tok_visa'),
  at: at(0),
};

const placed: OrderEvent = {
  type: 'OrderPlaced',
  orderId: id,
  customerId: customer,
  currency: EUR,
  lines: [
    { sku: A, quantity: quantity(2), unitPrice: eur(1000), lineTotal: eur(2000) },
    { sku: B, quantity: quantity(1), unitPrice: eur(500), lineTotal: eur(500) },
  ],
  total: eur(2500),
  paymentToken: paymentToken('tok_visa'),
  at: at(0),
};

const confirm = (paid: Money = eur(2500)): ConfirmOrder => ({ type: 'ConfirmOrder', orderId: id, paid, at: at(1) });
const confirmed = (paid: Money = eur(2500)): OrderEvent => ({ type: 'OrderConfirmed', orderId: id, paid, at: at(1) });
const ship: ShipOrder = { type: 'ShipOrder', orderId: id, at: at(2) };
const shipped: OrderEvent = { type: 'OrderShipped', orderId: id, at: at(2) };
const cancel: CancelOrder = { type: 'CancelOrder', orderId: id, reason: reason('customer changed mind'), at: at(3) };
const cancelled = (wasPaid: Money): OrderEvent => ({
  type: 'OrderCancelled',
  orderId: id,
  reason: reason('customer changed mind'),
  wasPaid,
  at: at(3),
});

const refund = (
  refund: RequestRefund['refundId'],
  options: { lines?: readonly { sku: Sku; quantity: number }[]; amount?: Money; restock?: boolean } = {},
): RequestRefund => ({
  type: 'RequestRefund',
  orderId: id,
  refundId: refund,
  reason: reason('damaged'),
  restock: options.restock ?? false,
  at: at(4),
  ...(options.lines === undefined
    ? {}
    : { lines: options.lines.map((l) => ({ sku: l.sku, quantity: quantity(l.quantity) })) }),
  ...(options.amount === undefined ? {} : { amount: options.amount }),
});

const refundRequested = (
  refund: RefundRequested['refundId'],
  scope: RefundRequested['scope'],
  amount: Money,
  lines: readonly { sku: Sku; quantity: number }[],
  restock = false,
): OrderEvent => ({
  type: 'RefundRequested',
  orderId: id,
  refundId: refund,
  scope,
  amount,
  lines: lines.map((l) => ({ sku: l.sku, quantity: quantity(l.quantity) })),
  reason: reason('damaged'),
  restock,
  customerId: customer,
  at: at(4),
});

const complete = (refund: CompleteRefund['refundId']): CompleteRefund => ({
  type: 'CompleteRefund',
  orderId: id,
  refundId: refund,
  at: at(5),
});
const completed = (refund: CompleteRefund['refundId'], amount: Money): OrderEvent => ({
  type: 'RefundCompleted',
  orderId: id,
  refundId: refund,
  amount,
  at: at(5),
});
const failRefund = (refund: FailRefund['refundId']): FailRefund => ({
  type: 'FailRefund',
  orderId: id,
  refundId: refund,
  reason: reason('card expired'),
  at: at(6),
});
const refundFailed = (refund: FailRefund['refundId']): OrderEvent => ({
  type: 'RefundFailed',
  orderId: id,
  refundId: refund,
  reason: reason('card expired'),
  at: at(6),
});

const allButPlace: readonly OrderCommandType[] = [confirm(), ship, cancel, refund(r1), complete(r1), failRefund(r1)];

const expectStatus = (expected: OrderState['status']) => (state: OrderState) => {
  expect(state.status).to.equal(expected);
};

describe('the order decider', () => {
  it('keeps each order in its own stream', () => {
    expect(orderStreamId(id)).to.equal('order-o-1');
  });

  it('gives every error code a fixed category', () => {
    expect(orderErrorCategories.OrderNotFound).to.equal('not_found');
    expect(orderErrorCategories.OrderAlreadyExists).to.equal('conflict');
    expect(orderErrorCategories.RefundExceedsPaid).to.equal('rule_violation');
    expect(orderErrorCategories.CurrencyMismatch).to.equal('rule_violation');
  });

  describe('when no order exists', () => {
    it('places an order with line totals and a total priced from the given unit prices', () => {
      given().when(place).then(placed);
    });

    it('holds the placed order with its lines, total and customer', () => {
      given()
        .when(place)
        .thenState((state) => {
          if (state.status !== 'Placed') return expect.fail(`expected Placed, got ${state.status}`);
          expect(state.total).to.deep.equal(eur(2500));
          expect(state.customerId).to.equal(customer);
          expect(state.lines.map((l) => l.sku)).to.deep.equal([A, B]);
          expect(state.placedAt).to.equal(at(0));
        });
    });

    for (const command of allButPlace) {
      it(`rejects ${command.type} as the order is not found`, () => {
        const error = given().when(command).thenFails('OrderNotFound');
        expect(error.category).to.equal('not_found');
      });
    }

    it('rejects a line priced in another currency than the order', () => {
      const error = given()
        .when({ ...place, lines: [{ sku: A, quantity: quantity(1), unitPrice: money(1000, USD) }] })
        .thenFails('CurrencyMismatch');
      expect(error.category).to.equal('rule_violation');
      expect(error.details).to.deep.include({ sku: A, expected: EUR, actual: USD });
    });

    it('rejects an order without lines', () => {
      given()
        .when({ ...place, lines: [] })
        .thenFails('EmptyOrder');
    });

    it('rejects an order with more than 100 lines', () => {
      const lines = Array.from({ length: 101 }, (_, i) => ({
        sku: sku(`S-${i}`),
        quantity: quantity(1),
        unitPrice: eur(1),
      }));
      given()
        .when({ ...place, lines })
        .thenFails('TooManyOrderLines');
    });

    it('accepts an order with exactly 100 lines', () => {
      const lines = Array.from({ length: 100 }, (_, i) => ({
        sku: sku(`S-${i}`),
        quantity: quantity(1),
        unitPrice: eur(1),
      }));
      given()
        .when({ ...place, lines })
        .thenState((state) => {
          expect(state.status).to.equal('Placed');
          if (state.status === 'Placed') expect(state.total).to.deep.equal(eur(100));
        });
    });

    it('rejects an order that lists a sku twice', () => {
      const line = { sku: A, quantity: quantity(1), unitPrice: eur(100) };
      const error = given()
        .when({ ...place, lines: [line, line] })
        .thenFails('DuplicateOrderLine');
      expect(error.details).to.deep.equal({ skus: [A] });
    });

    it('rejects an order that costs nothing', () => {
      given()
        .when({ ...place, lines: [{ sku: A, quantity: quantity(3), unitPrice: eur(0) }] })
        .thenFails('OrderTotalZero');
    });

    it('accepts a free line beside a priced one', () => {
      given()
        .when({
          ...place,
          lines: [
            { sku: A, quantity: quantity(1), unitPrice: eur(0) },
            { sku: B, quantity: quantity(1), unitPrice: eur(700) },
          ],
        })
        .thenState((state) => {
          if (state.status !== 'Placed') return expect.fail(state.status);
          expect(state.total).to.deep.equal(eur(700));
        });
    });

    it('rejects a total too large to count exactly in minor units', () => {
      given()
        .when({ ...place, lines: [{ sku: A, quantity: quantity(1000), unitPrice: eur(2 ** 50) }] })
        .thenFails('AmountTooLarge');
    });
  });

  describe('when the order is placed', () => {
    it('accepts an identical placement again without new events, whatever the line order or token', () => {
      given(placed)
        .when({ ...place, lines: [...place.lines].reverse(), paymentToken: paymentToken('tok_retry'), at: at(9) })
        .then();
    });

    it('rejects a placement with different lines as the order already exists', () => {
      const error = given(placed)
        .when({ ...place, lines: [{ sku: A, quantity: quantity(1), unitPrice: eur(1000) }] })
        .thenFails('OrderAlreadyExists');
      expect(error.category).to.equal('conflict');
    });

    it('rejects a placement for another customer as the order already exists', () => {
      given(placed)
        .when({ ...place, customerId: customerId('c-2') })
        .thenFails('OrderAlreadyExists');
    });

    it('rejects a placement at other prices as the order already exists', () => {
      given(placed)
        .when({
          ...place,
          lines: [
            { sku: A, quantity: quantity(2), unitPrice: eur(999) },
            { sku: B, quantity: quantity(1), unitPrice: eur(500) },
          ],
        })
        .thenFails('OrderAlreadyExists');
    });

    it('confirms the order when the whole total was captured', () => {
      given(placed).when(confirm()).then(confirmed());
    });

    it('confirms the order on a partial capture', () => {
      given(placed)
        .when(confirm(eur(1)))
        .thenState((state) => {
          if (state.status !== 'Confirmed') return expect.fail(state.status);
          expect(state.paid).to.deep.equal(eur(1));
          expect(state.refunded).to.deep.equal(eur(0));
          expect(state.pending).to.deep.equal(eur(0));
        });
    });

    it('rejects a payment above the total', () => {
      const error = given(placed)
        .when(confirm(eur(2501)))
        .thenFails('PaymentExceedsTotal');
      expect(error.category).to.equal('rule_violation');
    });

    it('rejects a payment of nothing', () => {
      given(placed)
        .when(confirm(eur(0)))
        .thenFails('ZeroPayment');
    });

    it('rejects a payment in another currency', () => {
      given(placed)
        .when(confirm(money(2500, USD)))
        .thenFails('CurrencyMismatch');
    });

    it('rejects shipping as the order is not paid yet', () => {
      given(placed).when(ship).thenFails('OrderNotConfirmed');
    });

    it('cancels the order with nothing paid', () => {
      given(placed)
        .when(cancel)
        .then(cancelled(eur(0)));
    });

    it('rejects a refund request as nothing was paid', () => {
      given(placed).when(refund(r1)).thenFails('OrderNotConfirmed');
    });

    it('rejects completing or failing a refund that does not exist', () => {
      expect(given(placed).when(complete(r1)).thenFails('RefundNotFound').category).to.equal('not_found');
      given(placed).when(failRefund(r1)).thenFails('RefundNotFound');
    });
  });

  describe('when the order is confirmed', () => {
    const history = [placed, confirmed()];

    it('ships the order', () => {
      given(...history)
        .when(ship)
        .then(shipped);
    });

    it('accepts the same confirmation again without new events', () => {
      given(...history)
        .when(confirm())
        .then();
    });

    it('rejects a confirmation with another amount', () => {
      given(...history)
        .when(confirm(eur(2000)))
        .thenFails('OrderAlreadyConfirmed');
    });

    it('cancels the order and reports what was paid', () => {
      given(placed, confirmed(eur(2000)))
        .when(cancel)
        .then(cancelled(eur(2000)));
    });

    it('rejects a cancellation while a refund is pending', () => {
      given(...history, refundRequested(r1, 'Amount', eur(100), []))
        .when(cancel)
        .thenFails('RefundInProgress');
    });

    it('cancels again once the pending refund failed', () => {
      given(...history, refundRequested(r1, 'Amount', eur(100), []), refundFailed(r1))
        .when(cancel)
        .then(cancelled(eur(2500)));
    });

    it('refunds the whole remaining amount and every unit when neither lines nor amount are given', () => {
      given(...history)
        .when(refund(r1, { restock: true }))
        .then(
          refundRequested(
            r1,
            'Whole',
            eur(2500),
            [
              { sku: A, quantity: 2 },
              { sku: B, quantity: 1 },
            ],
            true,
          ),
        );
    });

    it('prices a refund of lines at unit price times quantity', () => {
      given(...history)
        .when(refund(r1, { lines: [{ sku: A, quantity: 1 }], restock: true }))
        .then(refundRequested(r1, 'Lines', eur(1000), [{ sku: A, quantity: 1 }], true));
    });

    it('caps a refund of lines at what was paid', () => {
      given(placed, confirmed(eur(800)))
        .when(refund(r1, { lines: [{ sku: A, quantity: 1 }] }))
        .then(refundRequested(r1, 'Lines', eur(800), [{ sku: A, quantity: 1 }]));
    });

    it('refunds a given amount without lines', () => {
      given(...history)
        .when(refund(r1, { amount: eur(300) }))
        .then(refundRequested(r1, 'Amount', eur(300), []));
    });

    it('holds the requested refund as pending with its units', () => {
      given(...history)
        .when(refund(r1, { lines: [{ sku: A, quantity: 2 }] }))
        .thenState((state) => {
          if (state.status !== 'Confirmed') return expect.fail(state.status);
          expect(state.pending).to.deep.equal(eur(2000));
          expect(state.refunded).to.deep.equal(eur(0));
          expect(state.requestedQuantities.get(A)).to.equal(2);
          expect(state.refunds.get(r1)?.status).to.equal('Pending');
        });
    });

    it('rejects a refund that names both lines and an amount', () => {
      given(...history)
        .when(refund(r1, { lines: [{ sku: A, quantity: 1 }], amount: eur(100) }))
        .thenFails('AmbiguousRefund');
    });

    it('rejects a refund above the paid amount', () => {
      const error = given(placed, confirmed(eur(2000)))
        .when(refund(r1, { amount: eur(2001) }))
        .thenFails('RefundExceedsPaid');
      expect(error.category).to.equal('rule_violation');
      expect(error.details).to.deep.include({ requested: 2001, refundable: 2000 });
    });

    it('rejects a refund above what is paid minus what is pending', () => {
      given(...history, refundRequested(r1, 'Amount', eur(2000), []))
        .when(refund(r2, { amount: eur(501) }))
        .thenFails('RefundExceedsPaid');
    });

    it('accepts a refund of exactly what is paid minus what is pending', () => {
      given(...history, refundRequested(r1, 'Amount', eur(2000), []))
        .when(refund(r2, { amount: eur(500) }))
        .then(refundRequested(r2, 'Amount', eur(500), []));
    });

    it('rejects a refund of a sku that is not on the order', () => {
      const error = given(...history)
        .when(refund(r1, { lines: [{ sku: C, quantity: 1 }] }))
        .thenFails('UnknownOrderLine');
      expect(error.category).to.equal('rule_violation');
    });

    it('rejects a refund of more units than were ordered', () => {
      given(...history)
        .when(refund(r1, { lines: [{ sku: A, quantity: 3 }] }))
        .thenFails('RefundQuantityExceeded');
    });

    it('rejects a refund of units already being refunded', () => {
      const error = given(...history, refundRequested(r1, 'Lines', eur(1000), [{ sku: A, quantity: 1 }]))
        .when(refund(r2, { lines: [{ sku: A, quantity: 2 }] }))
        .thenFails('RefundQuantityExceeded');
      expect(error.details).to.deep.equal({ sku: A, requested: 2, available: 1 });
    });

    it('rejects a refund that names a sku twice', () => {
      given(...history)
        .when(
          refund(r1, {
            lines: [
              { sku: A, quantity: 1 },
              { sku: A, quantity: 1 },
            ],
          }),
        )
        .thenFails('DuplicateRefundLine');
    });

    it('rejects a refund of nothing', () => {
      given(...history)
        .when(refund(r1, { amount: eur(0) }))
        .thenFails('NothingToRefund');
      given(...history)
        .when(refund(r1, { lines: [] }))
        .thenFails('NothingToRefund');
    });

    it('rejects a whole-order refund when everything paid is already being refunded', () => {
      given(...history, refundRequested(r1, 'Amount', eur(2500), []))
        .when(refund(r2))
        .thenFails('NothingToRefund');
    });

    it('rejects a refund of free lines as there is nothing to pay back', () => {
      const freePlaced: OrderEvent = {
        ...placed,
        type: 'OrderPlaced',
        lines: [
          { sku: A, quantity: quantity(1), unitPrice: eur(0), lineTotal: eur(0) },
          { sku: B, quantity: quantity(1), unitPrice: eur(500), lineTotal: eur(500) },
        ],
        total: eur(500),
      };
      given(freePlaced, confirmed(eur(500)))
        .when(refund(r1, { lines: [{ sku: A, quantity: 1 }] }))
        .thenFails('NothingToRefund');
    });

    it('rejects restocking on a refund by amount', () => {
      given(...history)
        .when(refund(r1, { amount: eur(100), restock: true }))
        .thenFails('RestockNeedsLines');
    });

    describe('and every unit is taken while money remains', () => {
      // r1 held 500 back, so the refund of every unit was capped at 2000; then r1 failed and freed its 500
      const allUnitsTaken = [
        ...history,
        refundRequested(r1, 'Amount', eur(500), []),
        refundRequested(r2, 'Lines', eur(2000), [
          { sku: A, quantity: 2 },
          { sku: B, quantity: 1 },
        ]),
        refundFailed(r1),
      ];

      it('refunds the remaining money of a whole-order refund without units', () => {
        given(...allUnitsTaken)
          .when(refund(r3))
          .then(refundRequested(r3, 'Whole', eur(500), []));
      });

      it('rejects restocking on a whole-order refund', () => {
        given(...allUnitsTaken)
          .when(refund(r3, { restock: true }))
          .thenFails('RestockNeedsLines');
      });
    });

    it('rejects a refund amount in another currency', () => {
      given(...history)
        .when(refund(r1, { amount: money(100, USD) }))
        .thenFails('CurrencyMismatch');
    });

    it('accepts the same refund request again without new events', () => {
      given(...history, refundRequested(r1, 'Lines', eur(1000), [{ sku: A, quantity: 1 }]))
        .when(refund(r1, { lines: [{ sku: A, quantity: 1 }] }))
        .then();
    });

    it('accepts a repeated whole-order refund request without new events', () => {
      given(
        ...history,
        refundRequested(r1, 'Whole', eur(2500), [
          { sku: A, quantity: 2 },
          { sku: B, quantity: 1 },
        ]),
      )
        .when(refund(r1))
        .then();
    });

    it('rejects a refund id reused for a different request', () => {
      const error = given(...history, refundRequested(r1, 'Lines', eur(1000), [{ sku: A, quantity: 1 }]))
        .when(refund(r1, { lines: [{ sku: A, quantity: 2 }] }))
        .thenFails('RefundIdReused');
      expect(error.category).to.equal('conflict');
      given(...history, refundRequested(r1, 'Amount', eur(100), []))
        .when(refund(r1, { amount: eur(101) }))
        .thenFails('RefundIdReused');
    });
  });

  describe('when a refund is pending', () => {
    const history = [placed, confirmed(), refundRequested(r1, 'Lines', eur(1000), [{ sku: A, quantity: 1 }])];

    it('completes it with the requested amount', () => {
      given(...history)
        .when(complete(r1))
        .then(completed(r1, eur(1000)));
    });

    it('becomes partially refunded when money remains', () => {
      given(...history)
        .when(complete(r1))
        .thenState((state) => {
          if (state.status !== 'PartiallyRefunded') return expect.fail(state.status);
          expect(state.refunded).to.deep.equal(eur(1000));
          expect(state.pending).to.deep.equal(eur(0));
          expect(state.refundedQuantities.get(A)).to.equal(1);
          expect(state.shippedAt).to.equal(null);
        });
    });

    it('becomes refunded when everything paid came back', () => {
      given(placed, confirmed(eur(1000)), refundRequested(r1, 'Amount', eur(1000), []))
        .when(complete(r1))
        .thenState(expectStatus('Refunded'));
    });

    it('fails it and makes its money and units refundable again', () => {
      given(...history)
        .when(failRefund(r1))
        .thenState((state, events) => {
          expect(events).to.deep.equal([refundFailed(r1)]);
          if (state.status !== 'Confirmed') return expect.fail(state.status);
          expect(state.pending).to.deep.equal(eur(0));
          expect(state.requestedQuantities.has(A)).to.equal(false);
        });
      given(...history, refundFailed(r1))
        .when(refund(r2, { lines: [{ sku: A, quantity: 2 }] }))
        .then(refundRequested(r2, 'Lines', eur(2000), [{ sku: A, quantity: 2 }]));
    });

    it('accepts a repeated completion without new events', () => {
      given(...history, completed(r1, eur(1000)))
        .when(complete(r1))
        .then();
    });

    it('accepts a repeated failure without new events', () => {
      given(...history, refundFailed(r1))
        .when(failRefund(r1))
        .then();
    });

    it('rejects failing a refund that already completed', () => {
      given(...history, completed(r1, eur(1000)))
        .when(failRefund(r1))
        .thenFails('RefundAlreadyCompleted');
    });

    it('rejects completing a refund that already failed', () => {
      given(...history, refundFailed(r1))
        .when(complete(r1))
        .thenFails('RefundAlreadyFailed');
    });

    it('rejects completing an unknown refund', () => {
      given(...history)
        .when(complete(r2))
        .thenFails('RefundNotFound');
    });

    it('still ships the order', () => {
      given(...history)
        .when(ship)
        .then(shipped);
    });
  });

  describe('when the order is shipped', () => {
    const history = [placed, confirmed(), shipped];

    it('accepts shipping again without new events', () => {
      given(...history)
        .when(ship)
        .then();
    });

    it('rejects a cancellation as the goods are gone', () => {
      given(...history)
        .when(cancel)
        .thenFails('OrderAlreadyShipped');
    });

    it('accepts a refund request', () => {
      given(...history)
        .when(refund(r1, { lines: [{ sku: B, quantity: 1 }], restock: true }))
        .then(refundRequested(r1, 'Lines', eur(500), [{ sku: B, quantity: 1 }], true));
    });

    it('accepts the same confirmation again without new events', () => {
      given(...history)
        .when(confirm())
        .then();
    });

    it('stays shipped once partially refunded', () => {
      given(...history, refundRequested(r1, 'Amount', eur(100), []))
        .when(complete(r1))
        .thenState((state) => {
          if (state.status !== 'PartiallyRefunded') return expect.fail(state.status);
          expect(state.shippedAt).to.equal(at(2));
        });
    });
  });

  describe('when the order is partially refunded', () => {
    const shippedThenRefunded = [
      placed,
      confirmed(),
      shipped,
      refundRequested(r1, 'Lines', eur(2000), [{ sku: A, quantity: 2 }]),
      completed(r1, eur(2000)),
    ];
    const refundedBeforeShipping = [
      placed,
      confirmed(),
      refundRequested(r1, 'Lines', eur(2000), [{ sku: A, quantity: 2 }]),
      completed(r1, eur(2000)),
    ];

    it('refunds the rest of the order', () => {
      given(...shippedThenRefunded)
        .when(refund(r2))
        .then(refundRequested(r2, 'Whole', eur(500), [{ sku: B, quantity: 1 }]));
    });

    it('rejects a refund above what remains', () => {
      given(...shippedThenRefunded)
        .when(refund(r2, { amount: eur(501) }))
        .thenFails('RefundExceedsPaid');
    });

    it('rejects refunding units already refunded', () => {
      given(...shippedThenRefunded)
        .when(refund(r2, { lines: [{ sku: A, quantity: 1 }] }))
        .thenFails('RefundQuantityExceeded');
    });

    it('rejects a cancellation of a shipped order as already shipped', () => {
      given(...shippedThenRefunded)
        .when(cancel)
        .thenFails('OrderAlreadyShipped');
    });

    it('rejects a cancellation of an unshipped order as already refunded', () => {
      given(...refundedBeforeShipping)
        .when(cancel)
        .thenFails('OrderRefunded');
    });

    it('rejects shipping an order refunded before it shipped', () => {
      given(...refundedBeforeShipping)
        .when(ship)
        .thenFails('OrderRefunded');
    });

    it('accepts shipping again without new events when it had shipped', () => {
      given(...shippedThenRefunded)
        .when(ship)
        .then();
    });
  });

  describe('when the order is fully refunded', () => {
    const history = [
      placed,
      confirmed(),
      shipped,
      refundRequested(r1, 'Whole', eur(2500), [
        { sku: A, quantity: 2 },
        { sku: B, quantity: 1 },
      ]),
      completed(r1, eur(2500)),
    ];

    it('is refunded with everything paid given back', () => {
      given(...history)
        .when(complete(r1))
        .thenState((state) => {
          if (state.status !== 'Refunded') return expect.fail(state.status);
          expect(state.refunded).to.deep.equal(state.paid);
          expect(state.refundedAt).to.equal(at(5));
        });
    });

    it('rejects a new refund', () => {
      given(...history)
        .when(refund(r2, { amount: eur(1) }))
        .thenFails('OrderFullyRefunded');
    });

    it('accepts the last refund request again without new events', () => {
      given(...history)
        .when(refund(r1))
        .then();
    });

    it('rejects a cancellation', () => {
      given(...history)
        .when(cancel)
        .thenFails('OrderAlreadyShipped');
    });
  });

  describe('when the order is cancelled', () => {
    const history = [placed, confirmed(), cancelled(eur(2500))];

    it('accepts cancelling again without new events', () => {
      given(...history)
        .when(cancel)
        .then();
    });

    it('holds the reason and what was paid', () => {
      given(...history)
        .when(cancel)
        .thenState((state) => {
          if (state.status !== 'Cancelled') return expect.fail(state.status);
          expect(state.reason).to.equal('customer changed mind');
          expect(state.wasPaid).to.deep.equal(eur(2500));
        });
    });

    const afterCancel: readonly [string, OrderCommandType][] = [
      ['a confirmation', confirm()],
      ['shipping', ship],
      ['a whole-order refund', refund(r1)],
      ['a refund by amount', refund(r3, { amount: eur(1) })],
      ['completing a refund', complete(r1)],
      ['failing a refund', failRefund(r1)],
    ];
    for (const [what, command] of afterCancel) {
      it(`rejects ${what} as the order is cancelled`, () => {
        const error = given(...history)
          .when(command)
          .thenFails('OrderCancelled');
        expect(error.category).to.equal('conflict');
      });
    }

    it('answers an identical placement without new events and a different one as already existing', () => {
      given(...history)
        .when(place)
        .then();
      given(...history)
        .when({ ...place, customerId: customerId('c-9') })
        .thenFails('OrderAlreadyExists');
    });
  });
});

// Three of T at 10.00 with 10.00 off the line (5.00 spring sale, 5.00 from coupon SPRING10), one of B at 5.00:
// 30.00 listed + 5.00, 25.00 paid. T's units were paid 6.67, 6.67 and 6.66.
const T = sku('T-3');
const SPRING = couponCode('SPRING10');
const pricing: OrderPricing = {
  listTotal: eur(3500),
  discount: eur(1000),
  promotions: [
    { promotionId: promotionId('spring'), name: name('Spring sale'), amount: eur(500), viaCoupon: false },
    { promotionId: promotionId('coupon-10'), name: name('10 off with SPRING10'), amount: eur(500), viaCoupon: true },
  ],
  couponCode: SPRING,
};
const placeDiscounted: PlaceOrder = {
  ...place,
  lines: [
    { sku: T, quantity: quantity(3), unitPrice: eur(1000), discount: eur(1000) },
    { sku: B, quantity: quantity(1), unitPrice: eur(500) },
  ],
  pricing,
};
const placedDiscounted: OrderEvent = {
  type: 'OrderPlaced',
  orderId: id,
  customerId: customer,
  currency: EUR,
  lines: [
    { sku: T, quantity: quantity(3), unitPrice: eur(1000), discount: eur(1000), lineTotal: eur(2000) },
    { sku: B, quantity: quantity(1), unitPrice: eur(500), lineTotal: eur(500) },
  ],
  total: eur(2500),
  paymentToken: paymentToken('tok_visa'),
  pricing,
  at: at(0),
};

describe('an order priced with promotions', () => {
  const withPricing = (change: Partial<OrderPricing>): PlaceOrder => ({
    ...placeDiscounted,
    pricing: { ...pricing, ...change },
  });
  const failsOn = (command: PlaceOrder, code: string, field: string) => {
    const error = given().when(command).thenFails(code);
    expect(error.category).to.equal('rule_violation');
    expect(error.details?.field).to.equal(field);
    expect(error.message).to.contain(field);
  };

  describe('when it is placed', () => {
    it('charges each line its list total less its discount, and carries the breakdown', () => {
      given().when(placeDiscounted).then(placedDiscounted);
    });

    it('holds the breakdown', () => {
      given()
        .when(placeDiscounted)
        .thenState((state) => {
          if (state.status !== 'Placed') return expect.fail(state.status);
          expect(state.pricing).to.deep.equal(pricing);
          expect(state.total).to.deep.equal(eur(2500));
        });
    });

    it('accepts a breakdown without any discount', () => {
      const none: OrderPricing = { listTotal: eur(2500), discount: eur(0), promotions: [] };
      given()
        .when({ ...place, pricing: none })
        .then({ ...placed, pricing: none });
    });

    it('accepts a line discounted to nothing beside one that costs something', () => {
      const free = {
        ...placeDiscounted,
        lines: [
          { sku: T, quantity: quantity(1), unitPrice: eur(1000), discount: eur(1000) },
          { sku: B, quantity: quantity(1), unitPrice: eur(500) },
        ],
        pricing: { ...pricing, listTotal: eur(1500) },
      };
      given()
        .when(free)
        .thenState((state) => expect(state.status === 'Placed' && state.total).to.deep.equal(eur(500)));
    });

    it('rejects an order its discounts make free', () => {
      given()
        .when({
          ...placeDiscounted,
          lines: [{ sku: T, quantity: quantity(1), unitPrice: eur(1000), discount: eur(1000) }],
          pricing: { ...pricing, listTotal: eur(1000) },
        })
        .thenFails('OrderTotalZero');
    });

    it('rejects a discount above the line list total, naming the line', () => {
      failsOn(
        {
          ...placeDiscounted,
          lines: [
            { sku: T, quantity: quantity(3), unitPrice: eur(1000) },
            { sku: B, quantity: quantity(1), unitPrice: eur(500), discount: eur(501) },
          ],
          pricing: { ...pricing, discount: eur(501) },
        },
        'DiscountExceedsLine',
        'lines[1].discount',
      );
    });

    it('rejects a discount in another currency, naming the line', () => {
      failsOn(
        {
          ...placeDiscounted,
          lines: [
            { sku: T, quantity: quantity(3), unitPrice: eur(1000), discount: money(1000, USD) },
            { sku: B, quantity: quantity(1), unitPrice: eur(500) },
          ],
        },
        'CurrencyMismatch',
        'lines[0].discount',
      );
    });

    it('rejects discounted lines without the breakdown that explains them', () => {
      const { pricing: _, ...bare } = placeDiscounted;
      failsOn(bare, 'InconsistentPricing', 'pricing');
    });

    it('rejects a list total that is not the sum of the lines', () => {
      failsOn(withPricing({ listTotal: eur(3000) }), 'InconsistentPricing', 'pricing.listTotal');
    });

    it('rejects a discount that is not the sum of the line discounts', () => {
      failsOn(
        withPricing({
          discount: eur(900),
          promotions: [
            { promotionId: promotionId('spring'), name: name('Spring sale'), amount: eur(900), viaCoupon: false },
          ],
          couponCode: SPRING,
        }),
        'InconsistentPricing',
        'pricing.discount',
      );
    });

    it('rejects promotions whose amounts do not sum to the discount', () => {
      failsOn(withPricing({ promotions: pricing.promotions.slice(0, 1) }), 'InconsistentPricing', 'pricing.promotions');
    });

    it('rejects a promotion amount in another currency, naming it', () => {
      const [first, second] = pricing.promotions;
      if (!first || !second) return expect.fail('two promotions');
      failsOn(
        withPricing({ promotions: [first, { ...second, amount: money(500, USD) }] }),
        'CurrencyMismatch',
        'pricing.promotions[1].amount',
      );
    });

    it('rejects a promotion that came with a coupon when no coupon is named', () => {
      const { couponCode: _, ...withoutCoupon } = pricing;
      failsOn({ ...placeDiscounted, pricing: withoutCoupon }, 'InconsistentPricing', 'pricing.promotions[1].viaCoupon');
    });
  });

  describe('when it is placed already', () => {
    it('accepts the identical placement again without new events', () => {
      given(placedDiscounted).when(placeDiscounted).then();
    });

    it('rejects the same lines at another discount or breakdown as the order already exists', () => {
      given(placedDiscounted)
        .when(withPricing({ couponCode: couponCode('OTHER10') }))
        .thenFails('OrderAlreadyExists');
      given(placed)
        .when({ ...place, pricing: { listTotal: eur(2500), discount: eur(0), promotions: [] } })
        .thenFails('OrderAlreadyExists');
    });

    it('repeats the breakdown on its cancellation, so read models can take the discounts back', () => {
      given(placedDiscounted)
        .when(cancel)
        .then({ type: 'OrderCancelled', orderId: id, reason: cancel.reason, wasPaid: eur(0), pricing, at: at(3) });
    });
  });

  describe('when it is paid and refunded', () => {
    const paid = [placedDiscounted, confirmed()];
    const refundT = (r: RequestRefund['refundId'], units: number) =>
      refund(r, { lines: [{ sku: T, quantity: units }] });
    const requestedT = (r: RequestRefund['refundId'], amount: number, units: number) =>
      refundRequested(r, 'Lines', eur(amount), [{ sku: T, quantity: units }]);

    it('returns what one discounted unit was paid', () => {
      given(...paid)
        .when(refundT(r1, 1))
        .then(requestedT(r1, 667, 1));
    });

    it('returns the next units at what they were paid, so the refunds of the line sum to its total', () => {
      given(...paid, requestedT(r1, 667, 1), completed(r1, eur(667)))
        .when(refundT(r2, 2))
        .then(requestedT(r2, 1333, 2));
    });

    it('returns the list price of a line without a discount', () => {
      given(...paid)
        .when(refund(r1, { lines: [{ sku: B, quantity: 1 }] }))
        .then(refundRequested(r1, 'Lines', eur(500), [{ sku: B, quantity: 1 }]));
    });

    it('gives a failed refund its units back, and refunds them again at their own price', () => {
      // r1 holds unit 1 (6.67) and r2 unit 2 (6.67); r1 fails, so the next refund takes unit 1 again, then unit 3
      const history = [...paid, requestedT(r1, 667, 1), requestedT(r2, 667, 1), refundFailed(r1)];
      given(...history)
        .when(refundT(r3, 1))
        .then(requestedT(r3, 667, 1));
      given(...history, requestedT(r3, 667, 1))
        .when(refundT(refundId('r-4'), 1))
        .then(requestedT(refundId('r-4'), 666, 1));
    });

    it('refunds what is still refundable on a whole-order refund after a line refund', () => {
      given(...paid, requestedT(r1, 667, 1), completed(r1, eur(667)))
        .when(refund(r2))
        .then(
          refundRequested(r2, 'Whole', eur(1833), [
            { sku: T, quantity: 2 },
            { sku: B, quantity: 1 },
          ]),
        );
    });

    it('names the customer on the refund, so the refund saga can free purchase limits', () => {
      given(...paid)
        .when(refundT(r1, 1))
        .thenState((_, events) =>
          expect(events[0]?.type === 'RefundRequested' && events[0].customerId).to.equal(customer),
        );
    });
  });
});

describe('the order events', () => {
  const samples: readonly OrderEvent[] = [
    placed,
    confirmed(),
    shipped,
    cancelled(eur(0)),
    refundRequested(r1, 'Lines', eur(1000), [{ sku: A, quantity: 1 }], true),
    completed(r1, eur(1000)),
    refundFailed(r1),
    placedDiscounted,
    { type: 'OrderCancelled', orderId: id, reason: cancel.reason, wasPaid: eur(0), pricing, at: at(3) },
  ];

  it('reads events stored before promotions and customer ids on refunds unchanged', () => {
    const { customerId: _, ...oldRefund } = refundRequested(r1, 'Whole', eur(2500), []) as RefundRequested;
    for (const old of [placed, cancelled(eur(0)), oldRefund]) {
      const stored = JSON.parse(JSON.stringify(old)) as Record<string, unknown>;
      expect(orderEvents.decode({ type: `${old.type}.v1`, data: stored })).to.deep.equal(E.right(old));
    }
  });

  it('registers every event at version 1', () => {
    expect([...orderEvents.storedTypes].sort()).to.deep.equal(
      [
        'OrderCancelled.v1',
        'OrderConfirmed.v1',
        'OrderPlaced.v1',
        'OrderShipped.v1',
        'RefundCompleted.v1',
        'RefundFailed.v1',
        'RefundRequested.v1',
        'DepositPaid.v1',
        'BalanceRequested.v1',
        'OrderDelivered.v1',
        'DeliveryRefused.v1',
        'ShipmentsPlanned.v1',
        'ShipmentShipped.v1',
      ].sort(),
    );
  });

  for (const event of samples) {
    it(`round-trips ${event.type} through its stored form`, () => {
      const stored = orderEvents.encode(event);
      expect(stored.type).to.equal(`${event.type}.v1`);
      // through JSON, as the store keeps it
      const decoded = orderEvents.decode({ type: stored.type, data: JSON.parse(JSON.stringify(stored.data)) });
      expect(decoded).to.deep.equal(E.right(event));
    });
  }

  it('names the bad field when stored data is broken', () => {
    const stored = orderEvents.encode(placed);
    const data = JSON.parse(JSON.stringify(stored.data)) as { lines: { quantity: number }[] };
    const first = data.lines[0];
    if (first) first.quantity = 0;
    const decoded = orderEvents.decode({ type: stored.type, data });
    if (E.isRight(decoded)) return expect.fail('expected a decode failure');
    expect(decoded.left).to.contain('OrderPlaced.v1').and.contain('lines.0.quantity');
  });

  it('names a missing field', () => {
    const decoded = orderEvents.decode({ type: 'OrderConfirmed.v1', data: { orderId: 'o-1', at: at(1) } });
    if (E.isRight(decoded)) return expect.fail('expected a decode failure');
    expect(decoded.left).to.contain('paid');
  });

  it('rejects an unknown stored type', () => {
    expect(E.isLeft(orderEvents.decode({ type: 'OrderTeleported.v1', data: {} }))).to.equal(true);
  });
});

describe('the order commands', () => {
  const json = {
    type: 'PlaceOrder',
    orderId: 'o-1',
    customerId: 'c-1',
    currency: 'EUR',
    lines: [
      { sku: 'A-1', quantity: 2, unitPrice: { amount: 1000, currency: 'EUR' } },
      { sku: 'B-2', quantity: 1, unitPrice: { amount: 500, currency: 'EUR' } },
    ],
    paymentToken: 'tok_visa',
    at: '2026-01-01T00:00:00.000Z',
  };

  it('decodes a placement from JSON', () => {
    expect(OrderCommand.decode(json)).to.deep.equal(E.right(place));
  });

  it('rejects a placement that lists a sku twice, naming the lines', () => {
    const line = json.lines[0];
    const decoded = OrderCommand.decode({ ...json, lines: [line, line] });
    if (E.isRight(decoded)) return expect.fail('expected a decode failure');
    expect(fieldErrors(decoded.left)).to.deep.include({ field: 'lines', message: 'lists sku A-1 more than once' });
  });

  it('decodes a placement with line discounts and a price breakdown, naming a bad field in it', () => {
    const discounted = {
      ...json,
      lines: [
        {
          sku: 'T-3',
          quantity: 3,
          unitPrice: { amount: 1000, currency: 'EUR' },
          discount: { amount: 1000, currency: 'EUR' },
        },
        { sku: 'B-2', quantity: 1, unitPrice: { amount: 500, currency: 'EUR' } },
      ],
      pricing: JSON.parse(JSON.stringify(pricing)) as unknown,
    };
    expect(OrderCommand.decode(discounted)).to.deep.equal(E.right(placeDiscounted));
    const broken = OrderCommand.decode({
      ...discounted,
      pricing: { ...pricing, discount: { amount: -1, currency: 'EUR' } },
    });
    if (E.isRight(broken)) return expect.fail('expected a decode failure');
    expect(fieldErrors(broken.left).map((e) => e.field)).to.include('pricing.discount.amount');
  });

  it('rejects a placement without lines or with a blank payment token', () => {
    expect(E.isLeft(OrderCommand.decode({ ...json, lines: [] }))).to.equal(true);
    expect(E.isLeft(OrderCommand.decode({ ...json, paymentToken: '' }))).to.equal(true);
    expect(E.isLeft(OrderCommand.decode({ ...json, paymentToken: 'x'.repeat(201) }))).to.equal(true);
  });

  it('decodes a refund request with and without lines or amount', () => {
    const base = {
      type: 'RequestRefund',
      orderId: 'o-1',
      refundId: 'r-1',
      reason: 'damaged',
      restock: false,
      at: '2026-01-01T00:04:00.000Z',
    };
    expect(OrderCommand.decode(base)).to.deep.equal(E.right(refund(r1)));
    expect(OrderCommand.decode({ ...base, amount: { amount: 300, currency: 'EUR' } })).to.deep.equal(
      E.right(refund(r1, { amount: eur(300) })),
    );
    expect(OrderCommand.decode({ ...base, lines: [{ sku: 'A-1', quantity: 1 }] })).to.deep.equal(
      E.right(refund(r1, { lines: [{ sku: A, quantity: 1 }] })),
    );
  });
});
