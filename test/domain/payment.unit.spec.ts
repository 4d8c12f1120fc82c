import { expect } from 'chai';
import * as E from 'fp-ts/Either';
import {
  PaymentCommand,
  canAuthorize,
  canRefund,
  paymentDecider,
  paymentEvents,
  paymentStreamId,
  type AuthorizationOutcome,
  type AuthorizePayment,
  type CapturePayment,
  type PaymentAuthorizationFailed,
  type PaymentAuthorized,
  type PaymentCaptured,
  type PaymentDeclined,
  type PaymentEvent,
  type PaymentRefunded,
  type PaymentRefundFailed,
  type PaymentState,
  type PaymentVoided,
  type RefundOutcome,
  type RefundPayment,
  type VoidPayment,
} from '../../domain/payment';
import {
  currency,
  describeErrors,
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

const order = orderId('order-42');
const eur = (amount: number): Money => money(amount, currency('EUR'));
const usd = (amount: number): Money => money(amount, currency('USD'));
const at = timestamp('2026-03-01T10:00:00.000Z');
const later = timestamp('2026-03-02T10:00:00.000Z');
const r1 = refundId('refund-1');
const r2 = refundId('refund-2');

const approved: AuthorizationOutcome = { result: 'approved', authorizationId: 'auth-1' };
const declined: AuthorizationOutcome = { result: 'declined', declineCode: 'card_declined' };
const providerError: AuthorizationOutcome = { result: 'provider_error', message: 'gateway timeout' };
const refunded = (providerRefundId = 're_1'): RefundOutcome => ({ result: 'refunded', providerRefundId });
const refundFailed: RefundOutcome = { result: 'failed', message: 'provider unavailable' };

const authorize = (amount = eur(1000), outcome: AuthorizationOutcome = approved): AuthorizePayment => ({
  type: 'AuthorizePayment',
  orderId: order,
  amount,
  token: 'tok_visa',
  outcome,
  at,
});
const capture = (amount = eur(1000)): CapturePayment => ({ type: 'CapturePayment', orderId: order, amount, at: later });
const voidIt: VoidPayment = { type: 'VoidPayment', orderId: order, reason: reason('payment timed out'), at: later };
const refund = (id: RefundId, amount: Money, outcome: RefundOutcome = refunded()): RefundPayment => ({
  type: 'RefundPayment',
  orderId: order,
  refundId: id,
  amount,
  outcome,
  at: later,
});

const authorized = (amount = eur(1000)): PaymentAuthorized => ({
  type: 'PaymentAuthorized',
  orderId: order,
  amount,
  authorizationId: 'auth-1',
  at,
});
const wasDeclined: PaymentDeclined = {
  type: 'PaymentDeclined',
  orderId: order,
  amount: eur(1000),
  declineCode: 'card_declined',
  at,
};
const failed = (attempt: number, amount = eur(1000)): PaymentAuthorizationFailed => ({
  type: 'PaymentAuthorizationFailed',
  orderId: order,
  amount,
  message: 'gateway timeout',
  attempt,
  at,
});
const captured = (amount = eur(1000)): PaymentCaptured => ({
  type: 'PaymentCaptured',
  orderId: order,
  amount,
  at: later,
});
const voided: PaymentVoided = { type: 'PaymentVoided', orderId: order, reason: reason('payment timed out'), at: later };
const wasRefunded = (id: RefundId, amount: Money, providerRefundId = 're_1'): PaymentRefunded => ({
  type: 'PaymentRefunded',
  orderId: order,
  refundId: id,
  amount,
  providerRefundId,
  at: later,
});
const refundWasFailed = (id: RefundId, amount: Money, attempt: number): PaymentRefundFailed => ({
  type: 'PaymentRefundFailed',
  orderId: order,
  refundId: id,
  amount,
  message: 'provider unavailable',
  attempt,
  at: later,
});

const given = givenDecider(paymentDecider);
const stateAfter = (...events: PaymentEvent[]): PaymentState => fold(paymentDecider, events);

describe('the payment centre', () => {
  it('names the stream after the order', () => {
    expect(paymentStreamId(order)).to.equal('payment-order-42');
  });

  describe('when no payment was started', () => {
    it('records an approved authorization', () => {
      given().when(authorize()).then(authorized());
    });

    it('records a decline', () => {
      given()
        .when(authorize(eur(1000), declined))
        .then(wasDeclined);
    });

    it('records a provider error as the first failed attempt and becomes pending', () => {
      given()
        .when(authorize(eur(1000), providerError))
        .thenState((state, events) => {
          expect(events).to.deep.equal([failed(1)]);
          expect(state.status).to.equal('Pending');
        });
    });

    it('rejects an authorization of zero', () => {
      const error = given()
        .when(authorize(eur(0)))
        .thenFails('AmountNotPositive');
      expect(error.category).to.equal('rule_violation');
    });

    it('rejects a capture because there is no payment', () => {
      const error = given().when(capture()).thenFails('PaymentNotFound');
      expect(error.category).to.equal('not_found');
      expect(error.message).to.contain('order-42');
    });

    it('rejects a void because there is no payment', () => {
      expect(given().when(voidIt).thenFails('PaymentNotFound').category).to.equal('not_found');
    });

    it('rejects a refund because there is no payment', () => {
      expect(
        given()
          .when(refund(r1, eur(100)))
          .thenFails('PaymentNotFound').category,
      ).to.equal('not_found');
    });
  });

  describe('when only provider errors happened so far', () => {
    it('counts every further failure', () => {
      given(failed(1))
        .when(authorize(eur(1000), providerError))
        .then(failed(2));
    });

    it('authorizes on a retry and remembers the failed attempts', () => {
      given(failed(1), failed(2))
        .when(authorize())
        .thenState((state, events) => {
          expect(events).to.deep.equal([authorized()]);
          expect(state).to.include({ status: 'Authorized', failedAttempts: 2 });
        });
    });

    it('records a decline on a retry', () => {
      given(failed(1))
        .when(authorize(eur(1000), declined))
        .then(wasDeclined);
    });

    it('rejects a retry for a different amount', () => {
      const error = given(failed(1))
        .when(authorize(eur(900)))
        .thenFails('AmountMismatch');
      expect(error.category).to.equal('conflict');
    });

    it('rejects a retry in another currency', () => {
      const error = given(failed(1))
        .when(authorize(usd(1000)))
        .thenFails('CurrencyMismatch');
      expect(error.category).to.equal('rule_violation');
    });

    it('voids the payment so compensation can always finish', () => {
      given(failed(1))
        .when(voidIt)
        .thenState((state, events) => {
          expect(events).to.deep.equal([voided]);
          expect(state).to.include({ status: 'Voided', authorized: null, authorizationId: null });
        });
    });

    it('rejects a capture because nothing is authorized', () => {
      given(failed(1)).when(capture()).thenFails('PaymentNotAuthorized');
    });

    it('rejects a refund because nothing was captured', () => {
      given(failed(1))
        .when(refund(r1, eur(100)))
        .thenFails('PaymentNotCaptured');
    });
  });

  describe('when the payment is authorized', () => {
    it('ignores a repeated authorization for the same amount', () => {
      given(authorized()).when(authorize()).then();
    });

    it('keeps the authorization when a repeated attempt reports a decline', () => {
      given(authorized())
        .when(authorize(eur(1000), declined))
        .then();
    });

    it('rejects a repeated authorization for a different amount', () => {
      given(authorized())
        .when(authorize(eur(1001)))
        .thenFails('AmountMismatch');
    });

    it('captures the full amount', () => {
      given(authorized())
        .when(capture())
        .thenState((state, events) => {
          expect(events).to.deep.equal([captured()]);
          expect(state).to.deep.include({ status: 'Captured', captured: eur(1000), refunded: eur(0) });
        });
    });

    it('captures part of the amount and keeps what was authorized', () => {
      given(authorized())
        .when(capture(eur(600)))
        .thenState((state, events) => {
          expect(events).to.deep.equal([captured(eur(600))]);
          expect(state).to.deep.include({ status: 'Captured', captured: eur(600), authorized: eur(1000) });
        });
    });

    it('rejects a capture above the authorized amount', () => {
      const error = given(authorized())
        .when(capture(eur(1001)))
        .thenFails('CaptureExceedsAuthorized');
      expect(error.category).to.equal('rule_violation');
    });

    it('rejects a capture of zero', () => {
      given(authorized())
        .when(capture(eur(0)))
        .thenFails('AmountNotPositive');
    });

    it('rejects a capture in another currency', () => {
      given(authorized())
        .when(capture(usd(500)))
        .thenFails('CurrencyMismatch');
    });

    it('voids the authorization', () => {
      given(authorized())
        .when(voidIt)
        .thenState((state, events) => {
          expect(events).to.deep.equal([voided]);
          expect(state).to.deep.include({ status: 'Voided', authorized: eur(1000), authorizationId: 'auth-1' });
        });
    });

    it('rejects a refund because nothing was captured', () => {
      given(authorized())
        .when(refund(r1, eur(100)))
        .thenFails('PaymentNotCaptured');
    });
  });

  describe('when the payment was declined', () => {
    it('rejects another authorization', () => {
      const error = given(wasDeclined).when(authorize()).thenFails('PaymentDeclined');
      expect(error.category).to.equal('conflict');
    });

    it('rejects another authorization for a different amount as declined', () => {
      given(wasDeclined)
        .when(authorize(eur(5)))
        .thenFails('PaymentDeclined');
    });

    it('rejects a capture', () => {
      given(wasDeclined).when(capture()).thenFails('PaymentDeclined');
    });

    it('accepts a void without events because nothing is held', () => {
      given(wasDeclined)
        .when(voidIt)
        .thenState((state, events) => {
          expect(events).to.deep.equal([]);
          expect(state.status).to.equal('Declined');
        });
    });

    it('rejects a refund', () => {
      given(wasDeclined)
        .when(refund(r1, eur(100)))
        .thenFails('PaymentDeclined');
    });
  });

  describe('when the payment was voided', () => {
    it('ignores a repeated void', () => {
      given(authorized(), voided).when(voidIt).then();
    });

    it('rejects an authorization', () => {
      given(failed(1), voided).when(authorize()).thenFails('PaymentVoided');
    });

    it('rejects a capture', () => {
      given(authorized(), voided).when(capture()).thenFails('PaymentVoided');
    });

    it('rejects a refund', () => {
      given(authorized(), voided)
        .when(refund(r1, eur(100)))
        .thenFails('PaymentVoided');
    });
  });

  describe('when the payment is captured', () => {
    it('ignores a repeated capture of the same amount', () => {
      given(authorized(), captured(eur(600)))
        .when(capture(eur(600)))
        .then();
    });

    it('rejects a second capture of another amount', () => {
      const error = given(authorized(), captured(eur(600)))
        .when(capture(eur(400)))
        .thenFails('AlreadyCaptured');
      expect(error.category).to.equal('conflict');
    });

    it('rejects a void', () => {
      given(authorized(), captured()).when(voidIt).thenFails('AlreadyCaptured');
    });

    it('ignores a repeated authorization for the same amount', () => {
      given(authorized(), captured()).when(authorize()).then();
    });

    it('refunds part of the captured amount', () => {
      given(authorized(), captured())
        .when(refund(r1, eur(300)))
        .thenState((state, events) => {
          expect(events).to.deep.equal([wasRefunded(r1, eur(300))]);
          expect(state).to.deep.include({ status: 'PartiallyRefunded', refunded: eur(300) });
        });
    });

    it('refunds the whole captured amount', () => {
      given(authorized(), captured())
        .when(refund(r1, eur(1000)))
        .thenState((state) => {
          expect(state).to.deep.include({ status: 'Refunded', refunded: eur(1000) });
        });
    });

    it('rejects a refund above the captured amount even when it is within the authorized amount', () => {
      const error = given(authorized(), captured(eur(600)))
        .when(refund(r1, eur(601)))
        .thenFails('RefundExceedsCaptured');
      expect(error.category).to.equal('rule_violation');
    });

    it('rejects a refund of zero', () => {
      given(authorized(), captured())
        .when(refund(r1, eur(0)))
        .thenFails('AmountNotPositive');
    });

    it('rejects a refund in another currency', () => {
      given(authorized(), captured())
        .when(refund(r1, usd(100)))
        .thenFails('CurrencyMismatch');
    });

    it('records a failed refund without moving money', () => {
      given(authorized(), captured())
        .when(refund(r1, eur(300), refundFailed))
        .thenState((state, events) => {
          expect(events).to.deep.equal([refundWasFailed(r1, eur(300), 1)]);
          expect(state).to.deep.include({ status: 'Captured', refunded: eur(0) });
        });
    });

    it('counts further failures of the same refund id', () => {
      given(authorized(), captured(), refundWasFailed(r1, eur(300), 1))
        .when(refund(r1, eur(300), refundFailed))
        .then(refundWasFailed(r1, eur(300), 2));
    });

    it('refunds on a retry of a failed refund id', () => {
      given(authorized(), captured(), refundWasFailed(r1, eur(300), 1))
        .when(refund(r1, eur(300)))
        .thenState((state, events) => {
          expect(events).to.deep.equal([wasRefunded(r1, eur(300))]);
          expect(state).to.deep.include({ status: 'PartiallyRefunded', refunded: eur(300) });
        });
    });

    it('rejects a retry of a failed refund id for another amount', () => {
      given(authorized(), captured(), refundWasFailed(r1, eur(300), 1))
        .when(refund(r1, eur(200)))
        .thenFails('RefundAmountMismatch');
    });
  });

  describe('when the payment is partially refunded', () => {
    const history = [authorized(), captured(), wasRefunded(r1, eur(300))];

    it('ignores a repeated refund with the same refund id', () => {
      given(...history)
        .when(refund(r1, eur(300), refunded('re_other')))
        .then();
    });

    it('rejects the same refund id for another amount', () => {
      const error = given(...history)
        .when(refund(r1, eur(400)))
        .thenFails('RefundAmountMismatch');
      expect(error.category).to.equal('conflict');
    });

    it('refunds the rest under a new refund id and becomes fully refunded', () => {
      given(...history)
        .when(refund(r2, eur(700), refunded('re_2')))
        .thenState((state, events) => {
          expect(events).to.deep.equal([wasRefunded(r2, eur(700), 're_2')]);
          expect(state).to.deep.include({ status: 'Refunded', refunded: eur(1000) });
        });
    });

    it('rejects a refund above what is left', () => {
      given(...history)
        .when(refund(r2, eur(701)))
        .thenFails('RefundExceedsCaptured');
    });
  });

  describe('when the payment is fully refunded', () => {
    const history = [authorized(), captured(eur(800)), wasRefunded(r1, eur(800))];

    it('rejects a refund under a new refund id', () => {
      given(...history)
        .when(refund(r2, eur(1)))
        .thenFails('PaymentFullyRefunded');
    });

    it('ignores a repeated refund with the same refund id', () => {
      given(...history)
        .when(refund(r1, eur(800)))
        .then();
    });

    it('ignores a repeated capture of the same amount', () => {
      given(...history)
        .when(capture(eur(800)))
        .then();
    });

    it('rejects a void', () => {
      given(...history)
        .when(voidIt)
        .thenFails('AlreadyCaptured');
    });
  });

  describe('its pre-provider checks', () => {
    it('lets the first authorization call the provider', () => {
      expect(canAuthorize(stateAfter(), eur(1000))).to.deep.equal(E.right('proceed'));
    });

    it('lets a retry after a provider error call the provider', () => {
      expect(canAuthorize(stateAfter(failed(1)), eur(1000))).to.deep.equal(E.right('proceed'));
    });

    it('tells the handler not to call the provider again once authorized', () => {
      expect(canAuthorize(stateAfter(authorized()), eur(1000))).to.deep.equal(E.right('already_authorized'));
      expect(canAuthorize(stateAfter(authorized(), captured()), eur(1000))).to.deep.equal(
        E.right('already_authorized'),
      );
    });

    it('refuses to call the provider for a declined payment', () => {
      const result = canAuthorize(stateAfter(wasDeclined), eur(1000));
      expect(E.isLeft(result) && result.left.code).to.equal('PaymentDeclined');
    });

    it('names the order in an error for a payment that was never started', () => {
      const result = canAuthorize(stateAfter(), eur(0), order);
      expect(E.isLeft(result) && result.left.message).to.contain('order-42');
    });

    it('lets a new refund call the provider', () => {
      expect(canRefund(stateAfter(authorized(), captured()), r1, eur(100))).to.deep.equal(E.right('proceed'));
    });

    it('tells the handler a refund id was already paid out', () => {
      const state = stateAfter(authorized(), captured(), wasRefunded(r1, eur(100)));
      expect(canRefund(state, r1, eur(100))).to.deep.equal(E.right('already_refunded'));
    });

    it('refuses to call the provider for a refund above what is left', () => {
      const result = canRefund(stateAfter(authorized(), captured(eur(500))), r1, eur(501));
      expect(E.isLeft(result) && result.left.code).to.equal('RefundExceedsCaptured');
    });
  });

  describe('its evolve', () => {
    it('keeps the state when a stored refund would exceed the captured amount', () => {
      const before = stateAfter(authorized(), captured(eur(500)));
      expect(paymentDecider.evolve(before, wasRefunded(r1, eur(501)))).to.equal(before);
    });

    it('keeps the state when a refund id would be refunded twice', () => {
      const before = stateAfter(authorized(), captured(), wasRefunded(r1, eur(100)));
      expect(paymentDecider.evolve(before, wasRefunded(r1, eur(100)))).to.equal(before);
    });

    it('keeps the state when a stored capture exceeds the authorization', () => {
      const before = stateAfter(authorized(eur(500)));
      expect(paymentDecider.evolve(before, captured(eur(501)))).to.equal(before);
    });
  });

  describe('its event codecs', () => {
    const samples: PaymentEvent[] = [
      authorized(),
      wasDeclined,
      failed(3),
      captured(eur(600)),
      voided,
      wasRefunded(r1, eur(300)),
      refundWasFailed(r2, eur(200), 2),
    ];

    for (const event of samples) {
      it(`round-trips ${event.type} through the registry as version 1`, () => {
        const stored = paymentEvents.encode(event);
        expect(stored.type).to.equal(`${event.type}.v1`);
        // through JSON, as a store would keep it
        const data = JSON.parse(JSON.stringify(stored.data)) as unknown;
        expect(paymentEvents.decode({ type: stored.type, data })).to.deep.equal(E.right(event));
      });
    }

    it('stores every event type at version 1', () => {
      expect([...paymentEvents.storedTypes].sort()).to.deep.equal(
        [
          'CashCollected.v1',
          'PaymentAuthorizationFailed.v1',
          'PaymentAuthorized.v1',
          'PaymentCaptured.v1',
          'PaymentDeclined.v1',
          'PaymentRefundFailed.v1',
          'PaymentRefunded.v1',
          'PaymentVoided.v1',
        ].sort(),
      );
    });

    it('names the bad field when stored data has a negative amount', () => {
      const data = { ...captured(), amount: { amount: -1, currency: 'EUR' } };
      const result = paymentEvents.decode({ type: 'PaymentCaptured.v1', data });
      expect(E.isLeft(result) && result.left).to.contain('amount.amount');
    });

    it('names the missing field when stored data lacks the refund id', () => {
      const { refundId: _dropped, ...data } = wasRefunded(r1, eur(1));
      const result = paymentEvents.decode({ type: 'PaymentRefunded.v1', data });
      expect(E.isLeft(result) && result.left).to.contain('refundId');
    });

    it('names the bad attempt count', () => {
      const result = paymentEvents.decode({
        type: 'PaymentAuthorizationFailed.v1',
        data: { ...failed(1), attempt: 0 },
      });
      expect(E.isLeft(result) && result.left).to.contain('attempt');
    });

    it('never stores the card token', () => {
      expect(JSON.stringify(paymentEvents.encode(authorized()))).not.to.contain('tok_');
    });
  });

  describe('its command codec', () => {
    const body = {
      type: 'AuthorizePayment',
      orderId: 'order-42',
      amount: { amount: 1000, currency: 'EUR' },
      token: 'tok_visa',
      outcome: { result: 'approved', authorizationId: 'auth-1' },
      at: '2026-03-01T10:00:00.000Z',
    };

    it('decodes an authorization', () => {
      expect(PaymentCommand.decode(body)).to.deep.equal(E.right(authorize()));
    });

    it('names the amount when it is zero', () => {
      const result = PaymentCommand.decode({ ...body, amount: { amount: 0, currency: 'EUR' } });
      expect(E.isLeft(result) && describeErrors(result.left)).to.contain('amount: must be above zero');
    });

    it('names the outcome when it is unknown', () => {
      const result = PaymentCommand.decode({ ...body, outcome: { result: 'maybe' } });
      expect(E.isLeft(result) && describeErrors(result.left)).to.contain('outcome');
    });

    it('names a blank token', () => {
      const result = PaymentCommand.decode({ ...body, token: '  ' });
      expect(E.isLeft(result) && describeErrors(result.left)).to.contain('token');
    });

    it('decodes a refund with its outcome', () => {
      const result = PaymentCommand.decode({
        type: 'RefundPayment',
        orderId: 'order-42',
        refundId: 'refund-1',
        amount: { amount: 300, currency: 'EUR' },
        outcome: { result: 'refunded', providerRefundId: 're_1' },
        at: '2026-03-02T10:00:00.000Z',
      });
      expect(result).to.deep.equal(E.right(refund(r1, eur(300))));
    });
  });
});
