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
import type {
  AuthorizePayment,
  CapturePayment,
  PaymentCommand,
  RecordCashPayment,
  RefundPayment,
  VoidPayment,
} from './commands';
import { paymentErrors, type PaymentError } from './errors';
import type { PaymentEvent } from './events';
import type { BalanceCharge, PaymentState, RefundRecord, SettledPayment } from './state';
import { CASH_AUTHORIZATION, cashRefundId, type ChargePart } from './values';

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
  part?: ChargePart,
): E.Either<PaymentError, 'proceed' | 'already_authorized'> => {
  if (!isPositive(amount)) {
    return reject(paymentErrors.amountNotPositive(state.status === 'None' ? orderId : state.orderId, amount));
  }
  if (part === 'balance') return canAuthorizeBalance(state, amount, orderId);
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

const isSettled = (state: PaymentState): state is SettledPayment =>
  state.status === 'Captured' || state.status === 'PartiallyRefunded' || state.status === 'Refunded';

/** Collected in cash on delivery: refunds go back by hand, the provider holds nothing. */
export const isCashPayment = (state: PaymentState): boolean => isSettled(state) && state.method === 'cash';

/** A pre-sale's deposit was captured: its payment may take the balance as a second charge. */
const depositOf = (state: PaymentState, orderId: OrderId | undefined): E.Either<PaymentError, SettledPayment> => {
  if (state.status === 'None') return reject(paymentErrors.depositNotCaptured(orderId));
  if (!isSettled(state)) return reject(paymentErrors.depositNotCaptured(state.orderId));
  return state.part === 'deposit' ? E.right(state) : reject(paymentErrors.notAPresale(state.orderId));
};

/**
 * The balance: allowed once the deposit is captured and nothing was refunded; a declined balance may be tried again
 * (for the same amount), an authorized or captured one is an idempotent repeat.
 */
const canAuthorizeBalance = (
  state: PaymentState,
  amount: Money,
  orderId: OrderId | undefined,
): E.Either<PaymentError, 'proceed' | 'already_authorized'> =>
  pipe(
    depositOf(state, orderId),
    E.chain((deposit): E.Either<PaymentError, 'proceed' | 'already_authorized'> => {
      const balance = deposit.balance;
      if (balance === undefined) {
        if (!sameCurrency(deposit.captured, amount)) {
          return reject(paymentErrors.currencyMismatch(deposit.orderId, deposit.captured.currency, amount.currency));
        }
        return deposit.refunded.amount > 0
          ? reject(paymentErrors.depositRefunded(deposit.orderId))
          : E.right('proceed');
      }
      const same = matchesRequested(deposit.orderId, balance.requested, amount);
      switch (balance.status) {
        case 'Pending':
        case 'Declined':
          return pipe(
            same,
            E.map(() => 'proceed' as const),
          );
        case 'Authorized':
        case 'Captured':
          return pipe(
            same,
            E.map(() => 'already_authorized' as const),
          );
        case 'Voided':
          return reject(paymentErrors.voided(deposit.orderId));
        default:
          return absurd(balance);
      }
    }),
  );

/** What the first charge captured: everything captured less a pre-sale's balance. */
const firstCaptured = (state: SettledPayment): Money =>
  state.balance?.status === 'Captured' ? subtract(state.captured, state.balance.captured) : state.captured;

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

/** Provider errors so far for the charge being authorized, so each failure carries its attempt number. */
const failedSoFar = (state: PaymentState, part: ChargePart | undefined): number => {
  if (part === 'balance') return isSettled(state) ? (state.balance?.failedAttempts ?? 0) : 0;
  return state.status === 'Pending' ? state.failedAttempts : 0;
};

const authorize = (command: AuthorizePayment, state: PaymentState): E.Either<PaymentError, readonly PaymentEvent[]> =>
  pipe(
    canAuthorize(state, command.amount, command.orderId, command.part),
    E.map((verdict): readonly PaymentEvent[] => {
      // an authorization already stands: whatever this (unneeded) provider call answered changes nothing
      if (verdict === 'already_authorized') return [];
      const { orderId, amount, outcome, at } = command;
      const part = command.part === undefined ? {} : { part: command.part };
      switch (outcome.result) {
        case 'approved':
          return [
            { type: 'PaymentAuthorized', orderId, amount, authorizationId: outcome.authorizationId, ...part, at },
          ];
        case 'declined':
          return [{ type: 'PaymentDeclined', orderId, amount, declineCode: outcome.declineCode, ...part, at }];
        case 'provider_error': {
          const attempt = failedSoFar(state, command.part) + 1;
          return [
            { type: 'PaymentAuthorizationFailed', orderId, amount, message: outcome.message, attempt, ...part, at },
          ];
        }
        default:
          return absurd(outcome);
      }
    }),
  );

const captureBalance = (
  command: CapturePayment,
  state: PaymentState,
): E.Either<PaymentError, readonly PaymentEvent[]> =>
  pipe(
    depositOf(state, command.orderId),
    E.chain((deposit): E.Either<PaymentError, readonly PaymentEvent[]> => {
      const balance = deposit.balance;
      if (balance?.status === 'Captured') {
        // a redelivered command is a no-op, any other amount would be a third capture
        return sameMoney(balance.captured, command.amount)
          ? accept()
          : reject(paymentErrors.alreadyCaptured(deposit.orderId, balance.captured));
      }
      if (balance?.status !== 'Authorized') return reject(paymentErrors.notAuthorized(deposit.orderId));
      if (!sameCurrency(balance.authorized, command.amount)) {
        return reject(
          paymentErrors.currencyMismatch(deposit.orderId, balance.authorized.currency, command.amount.currency),
        );
      }
      if (!lte(command.amount, balance.authorized)) {
        return reject(paymentErrors.captureExceedsAuthorized(deposit.orderId, balance.authorized, command.amount));
      }
      return accept({
        type: 'PaymentCaptured',
        orderId: command.orderId,
        amount: command.amount,
        part: 'balance',
        at: command.at,
      });
    }),
  );

const capture = (command: CapturePayment, state: PaymentState): E.Either<PaymentError, readonly PaymentEvent[]> => {
  if (state.status === 'None') return reject(paymentErrors.notFound(command.orderId));
  if (!isPositive(command.amount)) return reject(paymentErrors.amountNotPositive(state.orderId, command.amount));
  if (command.part === 'balance') return captureBalance(command, state);
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
      return accept({
        type: 'PaymentCaptured',
        orderId: command.orderId,
        amount: command.amount,
        ...(command.part === undefined ? {} : { part: command.part }),
        at: command.at,
      });
    case 'Captured':
    case 'PartiallyRefunded':
    case 'Refunded': {
      // single capture: a redelivered command is a no-op, any other amount would be a second capture
      const captured = firstCaptured(state);
      return sameMoney(captured, command.amount)
        ? accept()
        : reject(paymentErrors.alreadyCaptured(state.orderId, captured));
    }
    default:
      return absurd(state);
  }
};

/** Voids a pre-sale's balance authorization only; nothing to void (none asked, declined, voided) is accepted. */
const voidBalance = (command: VoidPayment, state: PaymentState): E.Either<PaymentError, readonly PaymentEvent[]> => {
  if (state.status === 'None') return reject(paymentErrors.notFound(command.orderId));
  const balance = isSettled(state) ? state.balance : undefined;
  switch (balance?.status) {
    case 'Pending':
    case 'Authorized':
      return accept({
        type: 'PaymentVoided',
        orderId: command.orderId,
        reason: command.reason,
        part: 'balance',
        at: command.at,
      });
    case 'Captured':
      return reject(paymentErrors.alreadyCaptured(state.orderId, balance.captured));
    case undefined:
    case 'Declined':
    case 'Voided':
      return accept();
    default:
      return absurd(balance);
  }
};

const voidPayment = (command: VoidPayment, state: PaymentState): E.Either<PaymentError, readonly PaymentEvent[]> => {
  if (command.part === 'balance') return voidBalance(command, state);
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
    E.map((verdict): readonly PaymentEvent[] | undefined => {
      if (verdict === 'already_refunded') return [];
      const { orderId, refundId, amount, outcome, at } = command;
      const cash = isCashPayment(state);
      // cash goes back by hand, card money through the provider: an outcome of the other kind is a mistake
      if (cash !== (outcome.result === 'refunded_in_cash')) return undefined;
      switch (outcome.result) {
        case 'refunded':
          return [
            { type: 'PaymentRefunded', orderId, refundId, amount, providerRefundId: outcome.providerRefundId, at },
          ];
        case 'refunded_in_cash':
          return [{ type: 'PaymentRefunded', orderId, refundId, amount, providerRefundId: cashRefundId(refundId), at }];
        case 'failed': {
          const previous = state.status === 'None' ? undefined : refundsOf(state)[refundId];
          const attempt = (previous?.failedAttempts ?? 0) + 1;
          return [{ type: 'PaymentRefundFailed', orderId, refundId, amount, message: outcome.message, attempt, at }];
        }
        default:
          return absurd(outcome);
      }
    }),
    E.chain((events) =>
      events === undefined
        ? reject(paymentErrors.refundMethodMismatch(command.orderId, isCashPayment(state)))
        : E.right(events),
    ),
  );

/** The cash a courier collected: recorded once; a repeat for the same amount changes nothing. */
const recordCash = (
  command: RecordCashPayment,
  state: PaymentState,
): E.Either<PaymentError, readonly PaymentEvent[]> => {
  if (!isPositive(command.amount)) return reject(paymentErrors.amountNotPositive(command.orderId, command.amount));
  if (state.status === 'None') {
    return accept({ type: 'CashCollected', orderId: command.orderId, amount: command.amount, at: command.at });
  }
  return isCashPayment(state) && isSettled(state) && sameMoney(state.captured, command.amount)
    ? accept()
    : reject(paymentErrors.cashNotExpected(state.orderId));
};

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
    case 'RecordCashPayment':
      return recordCash(command, state);
    default:
      return absurd(command);
  }
};

/** A pre-sale's balance moves on; events that do not fit it (which `decide` never produces) change nothing. */
const evolveBalance = (state: PaymentState, event: PaymentEvent): PaymentState => {
  if (!isSettled(state) || state.part !== 'deposit') return state;
  const balance = state.balance;
  const open = balance === undefined || balance.status === 'Pending' || balance.status === 'Declined';
  const requested = balance?.requested;
  const failedAttempts = balance?.failedAttempts ?? 0;
  const next = (charge: BalanceCharge): PaymentState => ({ ...state, balance: charge });
  switch (event.type) {
    case 'PaymentAuthorizationFailed':
      return open
        ? next({ status: 'Pending', requested: requested ?? event.amount, failedAttempts: event.attempt })
        : state;
    case 'PaymentDeclined':
      return open
        ? next({
            status: 'Declined',
            requested: requested ?? event.amount,
            failedAttempts,
            declineCode: event.declineCode,
          })
        : state;
    case 'PaymentAuthorized':
      return open
        ? next({
            status: 'Authorized',
            requested: requested ?? event.amount,
            failedAttempts,
            authorized: event.amount,
            authorizationId: event.authorizationId,
          })
        : state;
    case 'PaymentVoided':
      return balance?.status === 'Pending' || balance?.status === 'Authorized'
        ? next({
            status: 'Voided',
            requested: balance.requested,
            failedAttempts,
            authorizationId: balance.status === 'Authorized' ? balance.authorizationId : null,
            reason: event.reason,
          })
        : state;
    case 'PaymentCaptured': {
      if (
        balance?.status !== 'Authorized' ||
        !sameCurrency(balance.authorized, event.amount) ||
        !lte(event.amount, balance.authorized)
      ) {
        return state;
      }
      const captured = add(state.captured, event.amount);
      return {
        ...state,
        status: settledStatus(captured, state.refunded),
        captured,
        balance: { ...balance, status: 'Captured', captured: event.amount },
      };
    }
    // refunds and cash are not charges: a balance is never about them
    case 'PaymentRefunded':
    case 'PaymentRefundFailed':
    case 'CashCollected':
      return state;
    default:
      return absurd(event);
  }
};

/**
 * Events are facts already decided, so `evolve` trusts them; an event that does not fit the state (which `decide`
 * never produces) leaves the state unchanged rather than breaking an invariant.
 */
const evolve = (state: PaymentState, event: PaymentEvent): PaymentState => {
  if (event.type !== 'PaymentRefunded' && event.type !== 'PaymentRefundFailed' && event.type !== 'CashCollected') {
    if (event.part === 'balance') return evolveBalance(state, event);
  }
  const deposit = event.type === 'PaymentAuthorized' && event.part === 'deposit' ? { part: 'deposit' as const } : {};
  switch (event.type) {
    case 'PaymentAuthorizationFailed':
      if (state.status === 'None' || state.status === 'Pending') {
        const requested = state.status === 'Pending' ? state.requested : event.amount;
        return {
          ...(event.part === 'deposit' ? { part: 'deposit' as const } : {}),
          status: 'Pending',
          orderId: event.orderId,
          requested,
          failedAttempts: event.attempt,
        };
      }
      return state;
    case 'PaymentAuthorized':
      if (state.status === 'None' || state.status === 'Pending') {
        return {
          ...deposit,
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
          ...(event.part === 'deposit' ? { part: 'deposit' as const } : {}),
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
          ...(state.part === undefined ? {} : { part: state.part }),
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
    case 'CashCollected':
      return state.status === 'None'
        ? {
            status: 'Captured',
            method: 'cash',
            orderId: event.orderId,
            requested: event.amount,
            failedAttempts: 0,
            authorized: event.amount,
            authorizationId: CASH_AUTHORIZATION,
            captured: event.amount,
            refunded: zero(event.amount.currency),
            refunds: {},
          }
        : state;
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
