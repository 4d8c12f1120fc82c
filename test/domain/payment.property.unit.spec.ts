import { expect } from 'chai';
import * as fc from 'fast-check';
import * as E from 'fp-ts/Either';
import {
  canAuthorize,
  canRefund,
  paymentDecider,
  type AuthorizationOutcome,
  type PaymentCommand,
  type PaymentEvent,
  type PaymentState,
  type RefundOutcome,
} from '../../domain/payment';
import { currency, money, orderId, reason, refundId, timestamp, type Money } from '../../domain/shared';

const order = orderId('order-prop');
const at = timestamp('2026-03-01T10:00:00.000Z');
const NUM_RUNS = 400;

// Mostly one currency and a few round amounts, so sequences reach capture and refunds instead of mismatches.
const amountArb: fc.Arbitrary<Money> = fc
  .tuple(
    fc.oneof(fc.constantFrom(0, 100, 250, 400, 500, 1000), fc.integer({ min: 0, max: 1500 })),
    fc.constantFrom('EUR', 'EUR', 'EUR', 'EUR', 'USD'),
  )
  .map(([amount, cur]) => money(amount, currency(cur)));

const authorizationOutcomeArb: fc.Arbitrary<AuthorizationOutcome> = fc.oneof(
  { weight: 3, arbitrary: fc.constant<AuthorizationOutcome>({ result: 'approved', authorizationId: 'auth-1' }) },
  { weight: 1, arbitrary: fc.constant<AuthorizationOutcome>({ result: 'declined', declineCode: 'card_declined' }) },
  { weight: 2, arbitrary: fc.constant<AuthorizationOutcome>({ result: 'provider_error', message: 'timeout' }) },
);

const refundOutcomeArb: fc.Arbitrary<RefundOutcome> = fc.oneof(
  { weight: 3, arbitrary: fc.constant<RefundOutcome>({ result: 'refunded', providerRefundId: 're_1' }) },
  { weight: 1, arbitrary: fc.constant<RefundOutcome>({ result: 'failed', message: 'provider unavailable' }) },
);

const commandArb: fc.Arbitrary<PaymentCommand> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.oneof(fc.constant(money(1000, currency('EUR'))), amountArb), authorizationOutcomeArb)
      .map(([amount, outcome]): PaymentCommand => ({
        type: 'AuthorizePayment',
        orderId: order,
        amount,
        token: 'tok_visa',
        outcome,
        at,
      })),
  },
  {
    weight: 3,
    arbitrary: amountArb.map((amount): PaymentCommand => ({ type: 'CapturePayment', orderId: order, amount, at })),
  },
  {
    weight: 1,
    arbitrary: fc.constant<PaymentCommand>({ type: 'VoidPayment', orderId: order, reason: reason('timeout'), at }),
  },
  {
    weight: 5,
    arbitrary: fc
      .tuple(fc.constantFrom('r1', 'r2', 'r3'), amountArb, refundOutcomeArb)
      .map(([id, amount, outcome]): PaymentCommand => ({
        type: 'RefundPayment',
        orderId: order,
        refundId: refundId(id),
        amount,
        outcome,
        at,
      })),
  },
);

const commandsArb = fc.array(commandArb, { minLength: 1, maxLength: 40 });

interface Run {
  readonly states: readonly PaymentState[];
  readonly events: readonly PaymentEvent[];
}

/** Folds a command sequence, ignoring rejected commands, and keeps every intermediate state. */
const run = (commands: readonly PaymentCommand[]): Run => {
  let state = paymentDecider.initialState;
  const states: PaymentState[] = [state];
  const events: PaymentEvent[] = [];
  for (const command of commands) {
    const result = paymentDecider.decide(command, state);
    if (E.isLeft(result)) continue;
    for (const event of result.right) {
      state = paymentDecider.evolve(state, event);
      events.push(event);
    }
    states.push(state);
  }
  return { states, events };
};

const assertStateInvariants = (state: PaymentState): void => {
  switch (state.status) {
    case 'None':
    case 'Pending':
    case 'Declined':
    case 'Voided':
      return;
    case 'Authorized':
      expect(state.authorized).to.deep.equal(state.requested);
      return;
    case 'Captured':
    case 'PartiallyRefunded':
    case 'Refunded': {
      expect(state.captured.currency).to.equal(state.authorized.currency);
      expect(state.refunded.currency).to.equal(state.captured.currency);
      expect(state.captured.amount).to.be.above(0).and.at.most(state.authorized.amount);
      expect(state.refunded.amount).to.be.at.most(state.captured.amount);
      const paidOut = Object.values(state.refunds)
        .filter((r) => r.status === 'refunded')
        .reduce((total, r) => total + r.amount.amount, 0);
      expect(state.refunded.amount).to.equal(paidOut);
      const expectedStatus =
        state.refunded.amount === 0
          ? 'Captured'
          : state.refunded.amount === state.captured.amount
            ? 'Refunded'
            : 'PartiallyRefunded';
      expect(state.status).to.equal(expectedStatus);
      return;
    }
  }
};

const total = (events: readonly PaymentEvent[], type: 'PaymentAuthorized' | 'PaymentCaptured' | 'PaymentRefunded') =>
  events.filter((e) => e.type === type).reduce((sum, e) => sum + ('amount' in e ? e.amount.amount : 0), 0);

describe('the payment centre under random command sequences', () => {
  it('never captures more than authorized nor refunds more than captured, in state and in events', () => {
    const reached = new Set<string>();
    fc.assert(
      fc.property(commandsArb, (commands) => {
        const { states, events } = run(commands);
        states.forEach(assertStateInvariants);
        for (const state of states) reached.add(state.status);

        expect(events.filter((e) => e.type === 'PaymentAuthorized')).to.have.length.at.most(1);
        expect(events.filter((e) => e.type === 'PaymentCaptured')).to.have.length.at.most(1);
        expect(total(events, 'PaymentCaptured')).to.be.at.most(total(events, 'PaymentAuthorized'));
        expect(total(events, 'PaymentRefunded')).to.be.at.most(total(events, 'PaymentCaptured'));
      }),
      { numRuns: NUM_RUNS },
    );
    // guards against a vacuous property: the generator must actually reach the money-moving states
    expect([...reached]).to.include.members(['Pending', 'Authorized', 'Captured', 'PartiallyRefunded', 'Refunded']);
  });

  it('pays out each refund id at most once, whatever the retries and repeats', () => {
    fc.assert(
      fc.property(commandsArb, (commands) => {
        const { events } = run(commands);
        const payouts = new Map<string, number>();
        for (const event of events) {
          if (event.type === 'PaymentRefunded') payouts.set(event.refundId, (payouts.get(event.refundId) ?? 0) + 1);
        }
        for (const count of payouts.values()) expect(count).to.equal(1);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('never lets the provider be called for a command the decider would reject', () => {
    fc.assert(
      fc.property(commandsArb, commandArb, (history, command) => {
        const { states } = run(history);
        const state = states[states.length - 1] ?? paymentDecider.initialState;
        const decided = paymentDecider.decide(command, state);
        const check =
          command.type === 'AuthorizePayment'
            ? canAuthorize(state, command.amount, command.orderId)
            : command.type === 'RefundPayment'
              ? canRefund(state, command.refundId, command.amount, command.orderId)
              : undefined;
        if (check === undefined) return;
        if (E.isLeft(check)) {
          expect(E.isLeft(decided) && decided.left.code).to.equal(check.left.code);
        } else if (check.right === 'proceed') {
          expect(E.isRight(decided) && decided.right.length).to.equal(1);
        } else {
          expect(decided).to.deep.equal(E.right([]));
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('moves no money twice when an accepted command is delivered again', () => {
    fc.assert(
      fc.property(commandsArb, commandArb, (history, command) => {
        const { states } = run(history);
        const before = states[states.length - 1] ?? paymentDecider.initialState;
        const first = paymentDecider.decide(command, before);
        if (E.isLeft(first)) return;
        const after = first.right.reduce(paymentDecider.evolve, before);
        const again = paymentDecider.decide(command, after);
        const event = first.right[0];
        if (event?.type === 'PaymentAuthorizationFailed' || event?.type === 'PaymentRefundFailed') {
          // a failure may be retried: the retry counts one more attempt
          expect(E.isRight(again) && again.right.map((e) => ('attempt' in e ? e.attempt : 0))).to.deep.equal([
            event.attempt + 1,
          ]);
        } else if (event?.type === 'PaymentDeclined') {
          expect(E.isLeft(again) && again.left.code).to.equal('PaymentDeclined');
        } else {
          expect(again).to.deep.equal(E.right([]));
        }
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
