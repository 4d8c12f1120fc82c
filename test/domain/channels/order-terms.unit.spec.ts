import { expect } from 'chai';
import * as E from 'fp-ts/Either';
import {
  OrderPlaced,
  orderDecider,
  paymentToken,
  type OrderCommand,
  type OrderEvent,
  type OrderTerms,
  type PlaceOrder,
  type RequestRefund,
} from '../../../domain/order';
import {
  channelId,
  currency,
  customerId,
  money,
  orderId,
  quantity,
  reason,
  refundId,
  sku,
  timestamp,
  type Money,
  type Timestamp,
} from '../../../domain/shared';
import { givenDecider } from '../../decider-spec';

const given = givenDecider(orderDecider);
const EUR = currency('EUR');
const eur = (amount: number): Money => money(amount, EUR);
const id = orderId('o-1');
const A = sku('A-1');
const B = sku('B-2');
const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const day = 86_400_000;
const atDay = (days: number): Timestamp => timestamp(new Date(T0 + days * day).toISOString());

const strictTerms = {
  paymentTimeoutMs: 5 * 60_000,
  reservationTtlMs: 10 * 60_000,
  partialRefunds: false,
  refundWindowMs: 7 * day,
} as OrderTerms;

const place = (terms?: OrderTerms): PlaceOrder => ({
  type: 'PlaceOrder',
  orderId: id,
  customerId: customerId('c-1'),
  currency: EUR,
  lines: [
    { sku: A, quantity: quantity(2), unitPrice: eur(1000) },
    { sku: B, quantity: quantity(1), unitPrice: eur(500) },
  ],
  paymentToken: paymentToken('tok_visa'),
  channel: channelId('pos'),
  tradeType: 'standard',
  ...(terms === undefined ? {} : { terms }),
  at: atDay(0),
});

const placedWith = (terms?: OrderTerms): OrderEvent => {
  const result = orderDecider.decide(place(terms), orderDecider.initialState);
  if (E.isLeft(result) || result.right[0] === undefined) throw new Error('placement failed');
  return result.right[0];
};
const confirmed: OrderEvent = { type: 'OrderConfirmed', orderId: id, paid: eur(2500), at: atDay(0) };
const shipped: OrderEvent = { type: 'OrderShipped', orderId: id, at: atDay(1) };

const refund = (
  days: number,
  options: { lines?: { sku: typeof A; quantity: number }[]; amount?: Money } = {},
): OrderCommand => {
  const command: RequestRefund = {
    type: 'RequestRefund',
    orderId: id,
    refundId: refundId(`r-${days}`),
    reason: reason('damaged'),
    restock: false,
    ...(options.lines === undefined
      ? {}
      : { lines: options.lines.map((l) => ({ sku: l.sku, quantity: quantity(l.quantity) })) }),
    ...(options.amount === undefined ? {} : { amount: options.amount }),
    at: atDay(days),
  };
  return command;
};

describe("an order placed through a channel carries the channel's terms", () => {
  it('records channel, trade type and terms on OrderPlaced, and keeps them on its state', () => {
    const event = placedWith(strictTerms);
    expect(OrderPlaced.is(event)).to.equal(true);
    expect(event).to.include({ channel: 'pos', tradeType: 'standard' });
    expect(event).to.have.deep.property('terms', strictTerms);
    given(event)
      .when({ type: 'ShipOrder', orderId: id, at: atDay(1) })
      .thenFails('OrderNotConfirmed');
  });

  it('takes a retry with the same channel as the same order, and another channel as a different one', () => {
    given(placedWith(strictTerms)).when(place(strictTerms)).then();
    given(placedWith(strictTerms))
      .when({ ...place(strictTerms), channel: channelId('mall') })
      .thenFails('OrderAlreadyExists');
  });

  describe('when its channel allows no partial refunds', () => {
    const history = (): OrderEvent[] => [placedWith(strictTerms), confirmed];

    it('refuses a refund of some lines', () => {
      const error = given(...history())
        .when(refund(1, { lines: [{ sku: A, quantity: 1 }] }))
        .thenFails('PartialRefundNotAllowed');
      expect(error.category).to.equal('rule_violation');
    });

    it('refuses a refund of an amount below what is left', () => {
      given(...history())
        .when(refund(1, { amount: eur(100) }))
        .thenFails('PartialRefundNotAllowed');
    });

    it('takes a refund of the whole order', () => {
      given(...history())
        .when(refund(1))
        .thenState((state) => expect(state.status).to.equal('Confirmed'));
    });

    it('takes lines or an amount that come to everything still refundable', () => {
      given(...history())
        .when(
          refund(1, {
            lines: [
              { sku: A, quantity: 2 },
              { sku: B, quantity: 1 },
            ],
          }),
        )
        .thenState((_, events) => expect(events[0]).to.include({ scope: 'Lines' }));
      given(...history())
        .when(refund(1, { amount: eur(2500) }))
        .thenState((_, events) => expect(events[0]).to.include({ scope: 'Amount' }));
    });
  });

  describe('when its channel has a refund window of 7 days after shipment', () => {
    const history = (): OrderEvent[] => [placedWith(strictTerms), confirmed, shipped];

    it('takes a refund inside the window', () => {
      given(...history())
        .when(refund(8))
        .thenState((_, events) => expect(events).to.have.length(1));
    });

    it('refuses a refund once the window closed', () => {
      const error = given(...history())
        .when(refund(9))
        .thenFails('RefundWindowClosed');
      expect(error.details).to.include({ closedAt: atDay(8) });
    });

    it('puts no window on refunds before shipment', () => {
      given(placedWith(strictTerms), confirmed)
        .when(refund(30))
        .thenState((_, events) => expect(events).to.have.length(1));
    });
  });

  describe('when an order carries no terms (placed before channels, or through the built-in default)', () => {
    it('allows partial refunds at any time after shipment, as before', () => {
      given(placedWith(), confirmed, shipped)
        .when(refund(400, { lines: [{ sku: A, quantity: 1 }] }))
        .thenState((_, events) => expect(events[0]).to.include({ scope: 'Lines' }));
    });
  });
});
