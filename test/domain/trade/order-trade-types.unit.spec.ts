import { expect } from 'chai';
import {
  orderDecider,
  orderEvents,
  paymentToken,
  type OrderCommand,
  type OrderEvent,
  type OrderPlaced,
  type OrderTerms,
  type TradeType,
} from '../../../domain/order';
import * as E from 'fp-ts/Either';
import {
  currency,
  customerId,
  money,
  nonNegativeInt,
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
const A = sku('A');
const T0 = Date.parse('2026-06-01T00:00:00.000Z');
const day = 86_400_000;
const atDay = (days: number): Timestamp => timestamp(new Date(T0 + days * day).toISOString());

const baseTerms = {
  paymentTimeoutMs: 15 * 60_000,
  reservationTtlMs: 30 * 60_000,
  partialRefunds: true,
  refundWindowMs: null,
};
const presaleTerms = {
  ...baseTerms,
  presale: {
    depositBasisPoints: 3000,
    balanceFrom: atDay(10),
    balanceUntil: atDay(20),
    lateBalance: 'keepDeposit',
  },
} as OrderTerms;
const codTerms = { ...baseTerms, cod: { maxAmount: 100_000, currency: EUR } } as OrderTerms;

/** 100.00 EUR: one line of A × 2 at 50.00. */
const placed = (tradeType: TradeType, terms: OrderTerms): OrderPlaced => ({
  type: 'OrderPlaced',
  orderId: id,
  customerId: customerId('c-1'),
  currency: EUR,
  lines: [{ sku: A, quantity: quantity(2), unitPrice: eur(5000), lineTotal: eur(10000) }],
  total: eur(10000),
  paymentToken: paymentToken('tok_visa'),
  tradeType,
  terms,
  at: atDay(0),
});
const presale = placed('presale', presaleTerms);
const cod = placed('cod', codTerms);
const standard = placed('standard', baseTerms as OrderTerms);

const depositPaid: OrderEvent = { type: 'DepositPaid', orderId: id, amount: eur(3000), at: atDay(0) };
const balanceRequested = (attempt: number, days = 11): OrderEvent => ({
  type: 'BalanceRequested',
  orderId: id,
  amount: eur(7000),
  paymentToken: paymentToken('tok_balance'),
  attempt: nonNegativeInt(attempt),
  at: atDay(days),
});
const confirmed = (paid: number): OrderEvent => ({
  type: 'OrderConfirmed',
  orderId: id,
  paid: eur(paid),
  at: atDay(1),
});
const shipped: OrderEvent = { type: 'OrderShipped', orderId: id, at: atDay(2) };
const delivered: OrderEvent = { type: 'OrderDelivered', orderId: id, collected: eur(10000), at: atDay(3) };

const recordDeposit = (paid: number): OrderCommand => ({
  type: 'RecordDeposit',
  orderId: id,
  paid: eur(paid),
  at: atDay(0),
});
const payBalance = (days: number): OrderCommand => ({
  type: 'PayBalance',
  orderId: id,
  paymentToken: paymentToken('tok_balance'),
  at: atDay(days),
});
const confirm = (paid: number): OrderCommand => ({ type: 'ConfirmOrder', orderId: id, paid: eur(paid), at: atDay(1) });
const deliver = (collected: number): OrderCommand => ({
  type: 'DeliverOrder',
  orderId: id,
  collected: eur(collected),
  at: atDay(3),
});
const refuse: OrderCommand = { type: 'RefuseDelivery', orderId: id, reason: reason('not at home'), at: atDay(3) };
const cancel: OrderCommand = { type: 'CancelOrder', orderId: id, reason: reason('changed my mind'), at: atDay(5) };

describe('the order centre with trade types', () => {
  describe('a pre-sale', () => {
    it('records the deposit the saga captured and waits for the balance', () => {
      given(presale)
        .when(recordDeposit(3000))
        .thenState((state, events) => {
          expect(events).to.deep.equal([depositPaid]);
          expect(state.status).to.equal('AwaitingBalance');
        });
    });

    it('refuses a deposit of nothing or of the whole total', () => {
      given(presale).when(recordDeposit(10000)).thenFails('DepositOutOfRange');
    });

    it('takes the same deposit again as a repeat, another as a conflict', () => {
      given(presale, depositPaid).when(recordDeposit(3000)).then();
      given(presale, depositPaid).when(recordDeposit(2000)).thenFails('DepositAlreadyPaid');
    });

    it('refuses the balance before the deposit is paid', () => {
      given(presale).when(payBalance(11)).thenFails('DepositNotPaid');
    });

    it('refuses the balance before its window opens and once it closed', () => {
      given(presale, depositPaid).when(payBalance(9)).thenFails('BalanceWindowNotOpen');
      given(presale, depositPaid).when(payBalance(20)).thenFails('BalanceWindowClosed');
    });

    it('asks for the balance (total less deposit) in the window, numbering each try', () => {
      given(presale, depositPaid).when(payBalance(11)).then(balanceRequested(1));
      given(presale, depositPaid, balanceRequested(1)).when(payBalance(12)).then(balanceRequested(2, 12));
    });

    it('is confirmed with deposit and balance paid', () => {
      given(presale, depositPaid, balanceRequested(1))
        .when(confirm(10000))
        .thenState((state) => {
          expect(state.status).to.equal('Confirmed');
          expect(state.status === 'Confirmed' && state.paid).to.deep.equal(eur(10000));
        });
    });

    it('refuses a confirmation for no more than the deposit', () => {
      given(presale, depositPaid).when(confirm(3000)).thenFails('PaymentExceedsTotal');
    });

    it('refuses the balance once paid', () => {
      given(presale, depositPaid, balanceRequested(1), confirmed(10000))
        .when(payBalance(12))
        .thenFails('BalanceAlreadyPaid');
    });

    it('is cancelled with the deposit as what was paid, and refuses a refund while waiting', () => {
      given(presale, depositPaid)
        .when(cancel)
        .thenState((state, events) => {
          expect(events[0]).to.include({ type: 'OrderCancelled' });
          expect(state.status === 'Cancelled' && state.wasPaid).to.deep.equal(eur(3000));
        });
      given(presale, depositPaid)
        .when({
          type: 'RequestRefund',
          orderId: id,
          refundId: refundId('r-1'),
          reason: reason('x'),
          restock: false,
          at: atDay(5),
        })
        .thenFails('OrderNotConfirmed');
    });

    it('refuses pre-sale commands on an order of another trade type', () => {
      given(standard).when(recordDeposit(3000)).thenFails('NotAPresale');
      given(cod).when(payBalance(11)).thenFails('NotAPresale');
    });
  });

  describe('cash on delivery', () => {
    it('is confirmed with nothing paid', () => {
      given(cod)
        .when(confirm(0))
        .thenState((state) => {
          expect(state.status).to.equal('Confirmed');
          expect(state.status === 'Confirmed' && state.paid).to.deep.equal(eur(0));
        });
    });

    it('still refuses a confirmation with nothing paid for a standard order', () => {
      given(standard).when(confirm(0)).thenFails('ZeroPayment');
    });

    it('records the delivery with the cash collected, shipped first or not', () => {
      given(cod, confirmed(0))
        .when(deliver(10000))
        .thenState((state, events) => {
          expect(events).to.deep.equal([delivered]);
          expect(state.status).to.equal('Delivered');
          expect(state.status === 'Delivered' && state.paid).to.deep.equal(eur(10000));
        });
      given(cod, confirmed(0), shipped)
        .when(deliver(10000))
        .thenState((state) => expect(state.status === 'Delivered' && state.shippedAt).to.equal(atDay(2)));
    });

    it('refuses a collected amount other than the total', () => {
      given(cod, confirmed(0)).when(deliver(9999)).thenFails('CollectedAmountMismatch');
    });

    it('refuses a delivery before the confirmation', () => {
      given(cod).when(deliver(10000)).thenFails('OrderNotConfirmed');
    });

    it('takes the same delivery again as a repeat, and the COD confirmation re-sent after it', () => {
      given(cod, confirmed(0), delivered).when(deliver(10000)).then();
      given(cod, confirmed(0), delivered).when(confirm(0)).then();
    });

    it('closes the order when the delivery is refused, shipped or not', () => {
      for (const history of [
        [cod, confirmed(0)],
        [cod, confirmed(0), shipped],
      ]) {
        given(...history)
          .when(refuse)
          .thenState((state, events) => {
            expect(events).to.deep.equal([
              { type: 'DeliveryRefused', orderId: id, reason: reason('not at home'), at: atDay(3) },
            ]);
            expect(state.status).to.equal('Cancelled');
            expect(state.status === 'Cancelled' && state.reason).to.equal('delivery_refused');
          });
      }
    });

    it('takes a refusal again as a repeat, and refuses one after delivery', () => {
      const refused: OrderEvent = { type: 'DeliveryRefused', orderId: id, reason: reason('not at home'), at: atDay(3) };
      given(cod, confirmed(0), refused).when(refuse).then();
      given(cod, confirmed(0), delivered).when(refuse).thenFails('OrderAlreadyDelivered');
    });

    it('refunds the cash collected after delivery, at most what was collected', () => {
      const request = (amount: number): OrderCommand => ({
        type: 'RequestRefund',
        orderId: id,
        refundId: refundId('r-1'),
        reason: reason('broken'),
        restock: false,
        amount: eur(amount),
        at: atDay(4),
      });
      given(cod, confirmed(0), delivered)
        .when(request(4000))
        .thenState((_, events) => expect(events[0]).to.include({ type: 'RefundRequested' }));
      given(cod, confirmed(0), delivered).when(request(10001)).thenFails('RefundExceedsPaid');
      given(cod, confirmed(0)).when(request(1)).thenFails('RefundExceedsPaid');
    });

    it('refuses a delivery of an order that is not cash on delivery', () => {
      given(standard, confirmed(10000)).when(deliver(10000)).thenFails('NotCashOnDelivery');
      given(presale).when(refuse).thenFails('NotCashOnDelivery');
    });
  });

  it('round-trips the trade types events through the registry as version 1', () => {
    for (const event of [depositPaid, balanceRequested(2), delivered]) {
      const stored = orderEvents.encode(event);
      expect(stored.type).to.equal(`${event.type}.v1`);
      const data = JSON.parse(JSON.stringify(stored.data)) as unknown;
      expect(orderEvents.decode({ type: stored.type, data })).to.deep.equal(E.right(event));
    }
  });
});
