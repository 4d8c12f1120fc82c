import { expect } from 'chai';
import * as E from 'fp-ts/Either';
import {
  canAuthorize,
  canRefund,
  isCashPayment,
  paymentDecider,
  paymentEvents,
  type AuthorizationOutcome,
  type AuthorizePayment,
  type CapturePayment,
  type CashCollected,
  type ChargePart,
  type PaymentAuthorized,
  type PaymentCaptured,
  type PaymentDeclined,
  type PaymentEvent,
  type PaymentRefunded,
  type PaymentState,
  type RecordCashPayment,
  type RefundOutcome,
  type RefundPayment,
  type VoidPayment,
} from '../../domain/payment';
import {
  currency,
  fold,
  money,
  orderId,
  reason,
  refundId,
  timestamp,
  type Money,
  type RefundId,
} from '../../domain/shared';
import { givenDecider } from '../decider-spec';

const order = orderId('order-7');
const eur = (amount: number): Money => money(amount, currency('EUR'));
const at = timestamp('2026-03-01T10:00:00.000Z');
const r1 = refundId('refund-1');

const approved = (id: string): AuthorizationOutcome => ({ result: 'approved', authorizationId: id });
const declined: AuthorizationOutcome = { result: 'declined', declineCode: 'card_declined' };
const providerError: AuthorizationOutcome = { result: 'provider_error', message: 'gateway timeout' };

const authorize = (part: ChargePart, amount: Money, outcome: AuthorizationOutcome): AuthorizePayment => ({
  type: 'AuthorizePayment',
  orderId: order,
  amount,
  token: 'tok_visa',
  outcome,
  part,
  at,
});
const capture = (part: ChargePart | undefined, amount: Money): CapturePayment => ({
  type: 'CapturePayment',
  orderId: order,
  amount,
  ...(part === undefined ? {} : { part }),
  at,
});
const voidBalance: VoidPayment = {
  type: 'VoidPayment',
  orderId: order,
  reason: reason('balance_late'),
  part: 'balance',
  at,
};
const refund = (id: RefundId, amount: Money, outcome: RefundOutcome): RefundPayment => ({
  type: 'RefundPayment',
  orderId: order,
  refundId: id,
  amount,
  outcome,
  at,
});
const cash = (amount: Money): RecordCashPayment => ({ type: 'RecordCashPayment', orderId: order, amount, at });

const authorized = (part: ChargePart | undefined, amount: Money, id: string): PaymentAuthorized => ({
  type: 'PaymentAuthorized',
  orderId: order,
  amount,
  authorizationId: id,
  ...(part === undefined ? {} : { part }),
  at,
});
const captured = (part: ChargePart | undefined, amount: Money): PaymentCaptured => ({
  type: 'PaymentCaptured',
  orderId: order,
  amount,
  ...(part === undefined ? {} : { part }),
  at,
});
const balanceDeclined: PaymentDeclined = {
  type: 'PaymentDeclined',
  orderId: order,
  amount: eur(7000),
  declineCode: 'card_declined',
  part: 'balance',
  at,
};
const refunded = (id: RefundId, amount: Money, providerRefundId = 're_1'): PaymentRefunded => ({
  type: 'PaymentRefunded',
  orderId: order,
  refundId: id,
  amount,
  providerRefundId,
  at,
});
const collected = (amount: Money): CashCollected => ({ type: 'CashCollected', orderId: order, amount, at });

const given = givenDecider(paymentDecider);
const stateAfter = (...events: PaymentEvent[]): PaymentState => fold(paymentDecider, events);

/** A pre-sale of 100.00 EUR: 30.00 deposit, 70.00 balance. */
const depositCaptured = [authorized('deposit', eur(3000), 'auth-d'), captured('deposit', eur(3000))] as const;
const balanceAuthorized = [...depositCaptured, authorized('balance', eur(7000), 'auth-b')] as const;
const bothCaptured = [...balanceAuthorized, captured('balance', eur(7000))] as const;

describe('the payment centre taking two charges on one order (pre-sale)', () => {
  describe('when the deposit is authorized', () => {
    it('records the deposit as such', () => {
      given()
        .when(authorize('deposit', eur(3000), approved('auth-d')))
        .then(authorized('deposit', eur(3000), 'auth-d'));
    });

    it('refuses the balance before the deposit is captured', () => {
      given(authorized('deposit', eur(3000), 'auth-d'))
        .when(authorize('balance', eur(7000), approved('auth-b')))
        .thenFails('DepositNotCaptured');
    });
  });

  describe('when the deposit is captured', () => {
    it('authorizes the balance as a second charge', () => {
      given(...depositCaptured)
        .when(authorize('balance', eur(7000), approved('auth-b')))
        .then(authorized('balance', eur(7000), 'auth-b'));
    });

    it('records a declined balance and lets the customer try again for the same amount', () => {
      given(...depositCaptured)
        .when(authorize('balance', eur(7000), declined))
        .then(balanceDeclined);
      expect(canAuthorize(stateAfter(...depositCaptured, balanceDeclined), eur(7000), order, 'balance')).to.deep.equal(
        E.right('proceed'),
      );
      given(...depositCaptured, balanceDeclined)
        .when(authorize('balance', eur(7000), approved('auth-b2')))
        .then(authorized('balance', eur(7000), 'auth-b2'));
    });

    it('numbers provider errors of the balance on their own', () => {
      given(...depositCaptured)
        .when(authorize('balance', eur(7000), providerError))
        .thenState((state, events) => {
          expect(events[0]).to.include({ type: 'PaymentAuthorizationFailed', attempt: 1, part: 'balance' });
          expect(state.status).to.equal('Captured');
        });
    });

    it('refuses a balance of another amount after a first try', () => {
      given(...depositCaptured, balanceDeclined)
        .when(authorize('balance', eur(6000), approved('auth-b')))
        .thenFails('AmountMismatch');
    });

    it('keeps the deposit captured while the balance is only authorized', () => {
      const state = stateAfter(...balanceAuthorized);
      expect(state.status).to.equal('Captured');
      expect(state.status === 'Captured' && state.captured).to.deep.equal(eur(3000));
    });

    it('treats a redelivered deposit capture as a repeat', () => {
      given(...bothCaptured)
        .when(capture('deposit', eur(3000)))
        .then();
    });
  });

  describe('when the balance is authorized', () => {
    it('captures it, adding to the deposit', () => {
      given(...balanceAuthorized)
        .when(capture('balance', eur(7000)))
        .thenState((state, events) => {
          expect(events).to.deep.equal([captured('balance', eur(7000))]);
          expect(state.status === 'Captured' && state.captured).to.deep.equal(eur(10000));
        });
    });

    it('refuses to capture more than the balance authorized', () => {
      given(...balanceAuthorized)
        .when(capture('balance', eur(7001)))
        .thenFails('CaptureExceedsAuthorized');
    });

    it('answers a repeated balance authorization as already authorized', () => {
      expect(canAuthorize(stateAfter(...balanceAuthorized), eur(7000), order, 'balance')).to.deep.equal(
        E.right('already_authorized'),
      );
      given(...balanceAuthorized)
        .when(authorize('balance', eur(7000), approved('auth-x')))
        .then();
    });

    it('voids only the balance, keeping the deposit', () => {
      given(...balanceAuthorized)
        .when(voidBalance)
        .thenState((state, events) => {
          expect(events).to.have.length(1);
          expect(events[0]).to.include({ type: 'PaymentVoided', part: 'balance' });
          expect(state.status === 'Captured' && state.balance?.status).to.equal('Voided');
          expect(state.status === 'Captured' && state.captured).to.deep.equal(eur(3000));
        });
    });

    it('refuses another balance after the balance was voided', () => {
      given(...balanceAuthorized, {
        type: 'PaymentVoided',
        orderId: order,
        reason: reason('late'),
        part: 'balance',
        at,
      })
        .when(authorize('balance', eur(7000), approved('auth-b3')))
        .thenFails('PaymentVoided');
    });
  });

  describe('when both charges are captured', () => {
    it('treats a redelivered balance capture as a repeat and a third capture as an error', () => {
      given(...bothCaptured)
        .when(capture('balance', eur(7000)))
        .then();
      given(...bothCaptured)
        .when(capture('balance', eur(100)))
        .thenFails('AlreadyCaptured');
    });

    it('refunds up to the total captured, across both charges', () => {
      expect(canRefund(stateAfter(...bothCaptured), r1, eur(10000))).to.deep.equal(E.right('proceed'));
      given(...bothCaptured)
        .when(refund(r1, eur(10000), { result: 'refunded', providerRefundId: 're_1' }))
        .thenState((state) => expect(state.status).to.equal('Refunded'));
    });

    it('refuses a refund above the total captured', () => {
      given(...bothCaptured)
        .when(refund(r1, eur(10001), { result: 'refunded', providerRefundId: 're_1' }))
        .thenFails('RefundExceedsCaptured');
    });

    it('refuses to void the captured balance', () => {
      given(...bothCaptured)
        .when(voidBalance)
        .thenFails('AlreadyCaptured');
    });
  });

  describe('when only the deposit was captured and the order is cancelled', () => {
    it('refunds at most the deposit', () => {
      given(...depositCaptured)
        .when(refund(r1, eur(3001), { result: 'refunded', providerRefundId: 're_1' }))
        .thenFails('RefundExceedsCaptured');
      given(...depositCaptured)
        .when(refund(r1, eur(3000), { result: 'refunded', providerRefundId: 're_1' }))
        .thenState((state) => expect(state.status).to.equal('Refunded'));
    });

    it('refuses a balance after the deposit was refunded', () => {
      given(...depositCaptured, refunded(r1, eur(3000)))
        .when(authorize('balance', eur(7000), approved('auth-b')))
        .thenFails('DepositRefunded');
    });

    it('accepts a void of a balance never asked for, changing nothing', () => {
      given(...depositCaptured)
        .when(voidBalance)
        .then();
    });
  });

  describe('when the order was a single charge', () => {
    it('refuses a balance', () => {
      given(authorized(undefined, eur(3000), 'auth-1'), captured(undefined, eur(3000)))
        .when(authorize('balance', eur(7000), approved('auth-b')))
        .thenFails('NotAPresalePayment');
    });
  });
});

describe('the payment centre recording cash on delivery', () => {
  it('records the cash collected as captured at once', () => {
    given()
      .when(cash(eur(2500)))
      .thenState((state, events) => {
        expect(events).to.deep.equal([collected(eur(2500))]);
        expect(state.status).to.equal('Captured');
        expect(isCashPayment(state)).to.equal(true);
      });
  });

  it('treats the same cash recorded again as a repeat, and other cash as an error', () => {
    given(collected(eur(2500)))
      .when(cash(eur(2500)))
      .then();
    given(collected(eur(2500)))
      .when(cash(eur(2400)))
      .thenFails('CashPaymentNotExpected');
  });

  it('refuses cash on an order paid through the provider', () => {
    given(authorized(undefined, eur(2500), 'auth-1'))
      .when(cash(eur(2500)))
      .thenFails('CashPaymentNotExpected');
  });

  it('refunds cash by hand, naming the refund instead of a provider id', () => {
    given(collected(eur(2500)))
      .when(refund(r1, eur(1000), { result: 'refunded_in_cash' }))
      .then(refunded(r1, eur(1000), 'cash:refund-1'));
  });

  it('refuses a provider refund of cash, and a cash refund of a card payment', () => {
    given(collected(eur(2500)))
      .when(refund(r1, eur(1000), { result: 'refunded', providerRefundId: 're_1' }))
      .thenFails('RefundMethodMismatch');
    given(authorized(undefined, eur(2500), 'auth-1'), captured(undefined, eur(2500)))
      .when(refund(r1, eur(1000), { result: 'refunded_in_cash' }))
      .thenFails('RefundMethodMismatch');
  });

  it('bounds cash refunds by the cash collected', () => {
    given(collected(eur(2500)), refunded(r1, eur(2000), 'cash:refund-1'))
      .when(refund(refundId('refund-2'), eur(501), { result: 'refunded_in_cash' }))
      .thenFails('RefundExceedsCaptured');
  });

  it('round-trips CashCollected and a charge part through the registry', () => {
    for (const event of [collected(eur(2500)), authorized('balance', eur(7000), 'auth-b')]) {
      const stored = paymentEvents.encode(event);
      const data = JSON.parse(JSON.stringify(stored.data)) as unknown;
      expect(paymentEvents.decode({ type: stored.type, data })).to.deep.equal(E.right(event));
    }
  });
});
