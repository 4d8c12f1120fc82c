import * as E from 'fp-ts/Either';
import { pipe } from 'fp-ts/function';
import {
  absurd,
  accept,
  add,
  lte,
  reject,
  sameCurrency,
  subtract,
  zero,
  type Decider,
  type Money,
  type OrderId,
  type RefundId,
} from '../shared';
import type { AuthorizePayment, CapturePayment, PaymentCommand, RefundPayment, VoidPayment } from './commands';
import { paymentErrors, type PaymentError } from './errors';
import type { PaymentEvent } from './events';
import type { PaymentState, RefundRecord, SettledPayment } from './state';

export const paymentStreamId = (orderId: OrderId): string => `payment-${orderId}`;

const initialState: PaymentState = { status: 'None' };

const sameMoney = (a: Money, b: Money): boolean => a.currency === b.currency && a.amount === b.amount;

const isPositive = (amount: Money): boolean => amount.amount > 0;

/** A partial refund keeps the payment open for more refunds; only the full captured amount closes it. */
const settledStatus = (captured: Money, refunded: Money): SettledPayment['status'] => {
  if (refunded.amount === 0) return 'Captured';
  return refunded.amount >= captured.amount ? 'Refunded' : 'PartiallyRefunded';
};

/** Retries and repeats must ask for exactly what the first attempt asked for. */
const matchesRequested = (orderId: OrderId, requested: Money, amount: Money): E.Either<PaymentError, Money> => {
  if (!sameCurrency(requested, amount)) {
    return reject(paymentErrors.currencyMismatch(orderId, requested.currency, amount.currency));
  }
  return requested.amount === amount.amount
    ? E.right(amount)
    : reject(paymentErrors.amountMismatch(orderId, requested, amount));
};

/**
 * Checks an authorization BEFORE the provider is called, so a command that would be rejected never charges the
 * card. 'already_authorized' means: do not call the provider, the command is an idempotent repeat.
 * `orderId` only names the order in errors for a payment that was never started.
 */
export const canAuthorize = (
  state: PaymentState,
  amount: Money,
  orderId?: OrderId,
): E.Either<PaymentError, 'proceed' | 'already_authorized'> => {
  if (!isPositive(amount)) {
    return reject(paymentErrors.amountNotPositive(state.status === 'None' ? orderId : state.orderId, amount));
  }
  switch (state.status) {
    case 'None':
      return E.right('proceed');
    case 'Pending':
      return pipe(
        matchesRequested(state.orderId, state.requested, amount),
        E.map(() => 'proceed' as const),
      );
    case 'Authorized':
    case 'Captured':
    case 'PartiallyRefunded':
    case 'Refunded':
      return pipe(
        matchesRequested(state.orderId, state.requested, amount),
        E.map(() => 'already_authorized' as const),
      );
    case 'Declined':
      return reject(paymentErrors.declined(state.orderId, state.declineCode));
    case 'Voided':
      return reject(paymentErrors.voided(state.orderId));
    default:
      return absurd(state);
  }
};

/**
 * Checks a refund BEFORE the provider is called. 'already_refunded' means: this refund id was paid out already,
 * do not call the provider again. A refund id that only failed so far may be retried for the same amount.
 */
export const canRefund = (
  state: PaymentState,
  refundId: RefundId,
  amount: Money,
  orderId?: OrderId,
): E.Either<PaymentError, 'proceed' | 'already_refunded'> => {
  if (state.status === 'None') return reject(paymentErrors.notFound(orderId));
  if (!isPositive(amount)) return reject(paymentErrors.amountNotPositive(state.orderId, amount));
  switch (state.status) {
    case 'Pending':
    case 'Authorized':
      return reject(paymentErrors.notCaptured(state.orderId));
    case 'Declined':
      return reject(paymentErrors.declined(state.orderId, state.declineCode));
    case 'Voided':
      return reject(paymentErrors.voided(state.orderId));
    case 'Captured':
    case 'PartiallyRefunded':
    case 'Refunded': {
      const previous = state.refunds[refundId];
      if (previous !== undefined && !sameMoney(previous.amount, amount)) {
        return reject(paymentErrors.refundAmountMismatch(state.orderId, refundId, previous.amount, amount));
      }
      if (previous?.status === 'refunded') return E.right('already_refunded');
      if (!sameCurrency(state.captured, amount)) {
        return reject(paymentErrors.currencyMismatch(state.orderId, state.captured.currency, amount.currency));
      }
      if (state.status === 'Refunded') return reject(paymentErrors.fullyRefunded(state.orderId));
      const refundable = subtract(state.captured, state.refunded);
      return lte(amount, refundable)
        ? E.right('proceed')
        : reject(paymentErrors.refundExceedsCaptured(state.orderId, refundable, amount));
    }
    default:
      return absurd(state);
  }
};

const authorize = (command: AuthorizePayment, state: PaymentState): E.Either<PaymentError, readonly PaymentEvent[]> =>
  pipe(
    canAuthorize(state, command.amount, command.orderId),
    E.map((verdict): readonly PaymentEvent[] => {
      // an authorization already stands: whatever this (unneeded) provider call answered changes nothing
      if (verdict === 'already_authorized') return [];
      const { orderId, amount, outcome, at } = command;
      switch (outcome.result) {
        case 'approved':
          return [{ type: 'PaymentAuthorized', orderId, amount, authorizationId: outcome.authorizationId, at }];
        case 'declined':
          return [{ type: 'PaymentDeclined', orderId, amount, declineCode: outcome.declineCode, at }];
        case 'provider_error': {
          const failedSoFar = state.status === 'Pending' ? state.failedAttempts : 0;
          const attempt = failedSoFar + 1;
          return [{ type: 'PaymentAuthorizationFailed', orderId, amount, message: outcome.message, attempt, at }];
        }
        default:
          return absurd(outcome);
      }
    }),
  );

const capture = (command: CapturePayment, state: PaymentState): E.Either<PaymentError, readonly PaymentEvent[]> => {
  if (state.status === 'None') return reject(paymentErrors.notFound(command.orderId));
  if (!isPositive(command.amount)) return reject(paymentErrors.amountNotPositive(state.orderId, command.amount));
  switch (state.status) {
    case 'Pending':
      return reject(paymentErrors.notAuthorized(state.orderId));
    case 'Declined':
      return reject(paymentErrors.declined(state.orderId, state.declineCode));
    case 'Voided':
      return reject(paymentErrors.voided(state.orderId));
    case 'Authorized':
      if (!sameCurrency(state.authorized, command.amount)) {
        return reject(
          paymentErrors.currencyMismatch(state.orderId, state.authorized.currency, command.amount.currency),
        );
      }
      if (!lte(command.amount, state.authorized)) {
        return reject(paymentErrors.captureExceedsAuthorized(state.orderId, state.authorized, command.amount));
      }
      return accept({ type: 'PaymentCaptured', orderId: command.orderId, amount: command.amount, at: command.at });
    case 'Captured':
    case 'PartiallyRefunded':
    case 'Refunded':
      // single capture: a redelivered command is a no-op, any other amount would be a second capture
      return sameMoney(state.captured, command.amount)
        ? accept()
        : reject(paymentErrors.alreadyCaptured(state.orderId, state.captured));
    default:
      return absurd(state);
  }
};

const voidPayment = (command: VoidPayment, state: PaymentState): E.Either<PaymentError, readonly PaymentEvent[]> => {
  switch (state.status) {
    case 'None':
      return reject(paymentErrors.notFound(command.orderId));
    case 'Pending':
    case 'Authorized':
      return accept({ type: 'PaymentVoided', orderId: command.orderId, reason: command.reason, at: command.at });
    // nothing is held after a decline and the decline stays the final word; compensation must still succeed
    case 'Declined':
    case 'Voided':
      return accept();
    case 'Captured':
    case 'PartiallyRefunded':
    case 'Refunded':
      return reject(paymentErrors.alreadyCaptured(state.orderId, state.captured));
    default:
      return absurd(state);
  }
};

const refundsOf = (state: Exclude<PaymentState, { status: 'None' }>): Readonly<Record<string, RefundRecord>> => {
  switch (state.status) {
    case 'Captured':
    case 'PartiallyRefunded':
    case 'Refunded':
      return state.refunds;
    case 'Pending':
    case 'Declined':
    case 'Authorized':
    case 'Voided':
      return {};
    default:
      return absurd(state);
  }
};

const refund = (command: RefundPayment, state: PaymentState): E.Either<PaymentError, readonly PaymentEvent[]> =>
  pipe(
    canRefund(state, command.refundId, command.amount, command.orderId),
    E.map((verdict): readonly PaymentEvent[] => {
      if (verdict === 'already_refunded') return [];
      const { orderId, refundId, amount, outcome, at } = command;
      switch (outcome.result) {
        case 'refunded':
          return [
            { type: 'PaymentRefunded', orderId, refundId, amount, providerRefundId: outcome.providerRefundId, at },
          ];
        case 'failed': {
          const previous = state.status === 'None' ? undefined : refundsOf(state)[refundId];
          const attempt = (previous?.failedAttempts ?? 0) + 1;
          return [{ type: 'PaymentRefundFailed', orderId, refundId, amount, message: outcome.message, attempt, at }];
        }
        default:
          return absurd(outcome);
      }
    }),
  );

const decide = (command: PaymentCommand, state: PaymentState): E.Either<PaymentError, readonly PaymentEvent[]> => {
  switch (command.type) {
    case 'AuthorizePayment':
      return authorize(command, state);
    case 'CapturePayment':
      return capture(command, state);
    case 'VoidPayment':
      return voidPayment(command, state);
    case 'RefundPayment':
      return refund(command, state);
    default:
      return absurd(command);
  }
};

/**
 * Events are facts already decided, so `evolve` trusts them; an event that does not fit the state (which `decide`
 * never produces) leaves the state unchanged rather than breaking an invariant.
 */
const evolve = (state: PaymentState, event: PaymentEvent): PaymentState => {
  switch (event.type) {
    case 'PaymentAuthorizationFailed':
      if (state.status === 'None' || state.status === 'Pending') {
        const requested = state.status === 'Pending' ? state.requested : event.amount;
        return { status: 'Pending', orderId: event.orderId, requested, failedAttempts: event.attempt };
      }
      return state;
    case 'PaymentAuthorized':
      if (state.status === 'None' || state.status === 'Pending') {
        return {
          status: 'Authorized',
          orderId: event.orderId,
          requested: state.status === 'Pending' ? state.requested : event.amount,
          failedAttempts: state.status === 'Pending' ? state.failedAttempts : 0,
          authorized: event.amount,
          authorizationId: event.authorizationId,
        };
      }
      return state;
    case 'PaymentDeclined':
      if (state.status === 'None' || state.status === 'Pending') {
        return {
          status: 'Declined',
          orderId: event.orderId,
          requested: state.status === 'Pending' ? state.requested : event.amount,
          failedAttempts: state.status === 'Pending' ? state.failedAttempts : 0,
          declineCode: event.declineCode,
        };
      }
      return state;
    case 'PaymentVoided':
      if (state.status === 'Pending' || state.status === 'Authorized') {
        return {
          status: 'Voided',
          orderId: state.orderId,
          requested: state.requested,
          failedAttempts: state.failedAttempts,
          authorized: state.status === 'Authorized' ? state.authorized : null,
          authorizationId: state.status === 'Authorized' ? state.authorizationId : null,
          reason: event.reason,
        };
      }
      return state;
    case 'PaymentCaptured':
      if (
        state.status === 'Authorized' &&
        sameCurrency(state.authorized, event.amount) &&
        lte(event.amount, state.authorized)
      ) {
        return {
          ...state,
          status: 'Captured',
          captured: event.amount,
          refunded: zero(event.amount.currency),
          refunds: {},
        };
      }
      return state;
    case 'PaymentRefunded':
      if (
        (state.status === 'Captured' || state.status === 'PartiallyRefunded') &&
        sameCurrency(state.captured, event.amount) &&
        lte(add(state.refunded, event.amount), state.captured) &&
        state.refunds[event.refundId]?.status !== 'refunded'
      ) {
        const refunded = add(state.refunded, event.amount);
        const failedAttempts = state.refunds[event.refundId]?.failedAttempts ?? 0;
        return {
          ...state,
          status: settledStatus(state.captured, refunded),
          refunded,
          refunds: {
            ...state.refunds,
            [event.refundId]: {
              status: 'refunded',
              amount: event.amount,
              providerRefundId: event.providerRefundId,
              failedAttempts,
            },
          },
        };
      }
      return state;
    case 'PaymentRefundFailed':
      if (
        (state.status === 'Captured' || state.status === 'PartiallyRefunded' || state.status === 'Refunded') &&
        state.refunds[event.refundId]?.status !== 'refunded'
      ) {
        return {
          ...state,
          refunds: {
            ...state.refunds,
            [event.refundId]: { status: 'failed', amount: event.amount, failedAttempts: event.attempt },
          },
        };
      }
      return state;
    default:
      return absurd(event);
  }
};

export const paymentDecider: Decider<PaymentCommand, PaymentState, PaymentEvent, PaymentError> = {
  initialState,
  evolve,
  decide,
};
