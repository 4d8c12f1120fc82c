import { absurd, add, money, type Money, type Reason, type Timestamp } from '../shared';
import type { OrderPlaced } from '../order';
import { dueDeadline, effects, noEffects, plusMs, type DeadlineReached, type SagaEffects } from './saga';
import type {
  BalanceApproved,
  BalanceAttemptFailed,
  BalanceAuthorizationRequested,
  CancelledBy,
  CompensationStarted,
  DepositApproved,
  FulfilmentEvent,
  TradeStarted,
} from './fulfilment-events';
import type { CouponProgress, CouponStatus, StartedFulfilment, TradeProgress } from './fulfilment-state';
import type { FulfilmentInput } from './fulfilment-input';
import {
  cancellationRefundId,
  couponRedemption,
  fulfilmentCancelReasons,
  fulfilmentCommandIds as ids,
  fulfilmentDeadlineIds,
} from './fulfilment-ids';

/**
 * The pre-sale branch of the fulfilment saga: a deposit now, the balance in a window. The deposit phase is the
 * standard flow with the deposit as the amount (reserve every line and the coupon, authorize with retries, the
 * payment timeout), except that an approval captures the deposit and waits instead of confirming:
 *
 *   Reserving → Authorizing (deposit) ─DepositApproved→ AwaitingBalance ─BalanceAuthorizationRequested→
 *   AuthorizingBalance ─BalanceApproved→ Confirmed → Completed (shipped)
 *                      └BalanceAttemptFailed→ AwaitingBalance (another try, until the deadline)
 *
 * The balance deadline (at `balanceUntil`, a durable saga deadline like the payment timeout) cancels an order whose
 * balance is not approved by then: stock and coupon released, the deposit kept or refunded per the order's terms.
 */

export type PresaleProgress = Extract<TradeProgress, { type: 'presale' }>;
export type PresaleStarted = Extract<TradeStarted, { type: 'presale' }>;

type Events = readonly FulfilmentEvent[];
const none: Events = [];

/** `total × basisPoints / 10 000` rounded half-even to the minor unit, exactly (bigint), kept within (0, total). */
export const depositOf = (total: Money, basisPoints: number): Money => {
  const scaled = BigInt(total.amount) * BigInt(basisPoints);
  const whole = 10_000n;
  const floor = scaled / whole;
  const twice = 2n * (scaled % whole);
  const rounded = twice > whole || (twice === whole && floor % 2n === 1n) ? floor + 1n : floor;
  // a deposit of nothing, or of everything, would leave one of the two charges empty
  const bounded = Math.min(Math.max(Number(rounded), 1), Math.max(total.amount - 1, 1));
  return money(bounded, total.currency);
};

/**
 * What a pre-sale adds to FulfilmentStarted: the deposit, the balance deadline and the late-balance rule, and a
 * reservation expiry that outlives the window (`balanceUntil` + the reservation TTL). Undefined for other orders.
 */
export const presaleStart = (
  input: OrderPlaced,
  reservationTtlMs: number,
): { readonly trade: PresaleStarted; readonly reservationExpiresAt: Timestamp } | undefined => {
  const terms = input.terms?.presale;
  if (input.tradeType !== 'presale' || terms === undefined) return undefined;
  return {
    trade: {
      type: 'presale',
      deposit: depositOf(input.total, terms.depositBasisPoints),
      balanceDeadline: {
        deadlineId: fulfilmentDeadlineIds.balanceDeadline,
        dueAt: terms.balanceUntil,
        kind: 'BalanceDeadline',
      },
      lateBalance: terms.lateBalance,
    },
    reservationExpiresAt: plusMs(terms.balanceUntil, reservationTtlMs),
  };
};

export const presaleProgress = (trade: PresaleStarted): PresaleProgress => ({
  type: 'presale',
  deposit: trade.deposit,
  lateBalance: trade.lateBalance,
  balanceAttempt: 0,
});

// ---------------------------------------------------------------------------------------------------------------
// react

const hasGivenUp = (state: StartedFulfilment): boolean =>
  state.status === 'Compensating' || state.status === 'Cancelled' || state.status === 'Failed';

const inDepositPhase = (state: StartedFulfilment): boolean =>
  state.status === 'Reserving' || state.status === 'Authorizing' || state.status === 'AwaitingRetry';

const waitingForBalance = (state: StartedFulfilment): boolean =>
  state.status === 'AwaitingBalance' || state.status === 'AuthorizingBalance';

const heldCoupon = (coupon: CouponProgress | null): CouponProgress['code'] | undefined =>
  coupon !== null && (coupon.status === 'reserved' || coupon.status === 'redeemed') ? coupon.code : undefined;

/**
 * Give up on a pre-sale: release the stock and coupon held, void what may still be authorized and not captured
 * (the deposit while it is being taken, the balance while it is with the provider), and refund the captured
 * deposit unless it is kept. The order is cancelled when the saga decided.
 */
const giveUp = (
  state: StartedFulfilment,
  trade: PresaleProgress,
  why: Reason,
  by: CancelledBy,
  at: Timestamp,
  refundDeposit: boolean,
): Events => {
  const coupon = heldCoupon(state.coupon);
  const depositTaken = waitingForBalance(state);
  const started: CompensationStarted = {
    type: 'CompensationStarted',
    orderId: state.orderId,
    reason: why,
    by,
    release: state.lines.filter((l) => l.status === 'reserved').map((l) => l.sku),
    voidPayment: !depositTaken && state.authorizationAttempts > 0,
    ...(state.status === 'AuthorizingBalance' ? { voidBalance: true as const } : {}),
    cancelDeadlines: state.deadlines.map((d) => d.deadlineId),
    ...(coupon === undefined ? {} : { releaseCoupon: coupon }),
    at,
  };
  if (!depositTaken || !refundDeposit || state.refund !== null) return [started];
  return [
    started,
    {
      type: 'CaptureRefundRequested',
      orderId: state.orderId,
      refundId: cancellationRefundId,
      amount: trade.deposit,
      attempt: 1,
      at,
    },
  ];
};

const balanceFailed = (state: StartedFulfilment, trade: PresaleProgress, message: string, at: Timestamp): Events => [
  { type: 'BalanceAttemptFailed', orderId: state.orderId, attempt: trade.balanceAttempt, message, at },
];

const onBalanceDeadline = (state: StartedFulfilment, trade: PresaleProgress, input: DeadlineReached): Events => {
  const why = fulfilmentCancelReasons.balanceNotPaid;
  if (waitingForBalance(state)) {
    return giveUp(state, trade, why, 'saga', input.now, trade.lateBalance === 'refundDeposit');
  }
  // the window closed before the deposit was even taken: nothing was captured
  return inDepositPhase(state) ? giveUp(state, trade, why, 'saga', input.now, false) : none;
};

/** The deposit kept when the balance came too late: a capture seen again then changes nothing. */
const keptDeposit = (state: StartedFulfilment, trade: PresaleProgress): boolean =>
  hasGivenUp(state) &&
  trade.lateBalance === 'keepDeposit' &&
  'reason' in state &&
  state.reason === fulfilmentCancelReasons.balanceNotPaid;

/**
 * The pre-sale's reaction to an input, or undefined when the standard flow decides (the deposit phase, a late
 * deposit approval, shipment, refunds of the cancellation payout).
 */
export const reactPresale = (
  input: FulfilmentInput,
  state: StartedFulfilment,
  trade: PresaleProgress,
): Events | undefined => {
  const { orderId } = state;
  switch (input.type) {
    case 'PaymentAuthorized':
      if (input.part === 'deposit') {
        if (state.status !== 'Authorizing' && state.status !== 'AwaitingRetry') return undefined;
        const approved: DepositApproved = {
          type: 'DepositApproved',
          orderId,
          amount: input.amount,
          authorizationId: input.authorizationId,
          // the deposit is paid in time; the balance deadline stays
          cancelDeadlines: state.deadlines
            .filter((d) => d.kind === 'PaymentTimeout' || d.kind === 'AuthorizationRetry')
            .map((d) => d.deadlineId),
          at: input.at,
        };
        return [approved];
      }
      if (input.part !== 'balance') return undefined;
      if (state.status === 'AuthorizingBalance') {
        const redeemCoupon = state.coupon?.status === 'reserved' ? state.coupon.code : undefined;
        const approved: BalanceApproved = {
          type: 'BalanceApproved',
          orderId,
          amount: input.amount,
          authorizationId: input.authorizationId,
          paid: add(trade.deposit, input.amount),
          cancelDeadlines: state.deadlines.filter((d) => d.kind === 'BalanceDeadline').map((d) => d.deadlineId),
          ...(redeemCoupon === undefined ? {} : { redeemCoupon }),
          at: input.at,
        };
        return [approved];
      }
      // a balance approved after the saga gave up (its void may have found nothing): void it too
      return hasGivenUp(state) && !state.lateVoidSent && 'reason' in state
        ? [
            {
              type: 'LateAuthorizationVoided',
              orderId,
              amount: input.amount,
              authorizationId: input.authorizationId,
              reason: state.reason,
              part: 'balance',
              at: input.at,
            },
          ]
        : none;
    case 'PaymentDeclined':
      if (input.part !== 'balance') return undefined;
      return state.status === 'AuthorizingBalance'
        ? balanceFailed(state, trade, `balance declined (${input.declineCode})`, input.at)
        : none;
    case 'PaymentAuthorizationFailed':
      if (input.part !== 'balance') return undefined;
      return state.status === 'AuthorizingBalance'
        ? balanceFailed(state, trade, `balance authorization failed: ${input.message}`, input.at)
        : none;
    case 'PaymentCaptured':
      // the balance's capture confirms what BalanceApproved decided; a kept deposit's capture is the shop's
      if (input.part === 'balance' || keptDeposit(state, trade)) return none;
      return undefined;
    case 'BalanceRequested': {
      // one try at a time: a request while one is with the provider is not taken (pay again after a decline)
      if (state.status !== 'AwaitingBalance' || input.attempt <= trade.balanceAttempt) return none;
      const requested: BalanceAuthorizationRequested = {
        type: 'BalanceAuthorizationRequested',
        orderId,
        attempt: input.attempt,
        amount: input.amount,
        paymentToken: input.paymentToken,
        at: input.at,
      };
      return [requested];
    }
    case 'OrderCancelled':
      // the customer cancelled while the balance was due: the deposit goes back
      return waitingForBalance(state) ? giveUp(state, trade, input.reason, 'customer', input.at, true) : undefined;
    case 'DeadlineReached': {
      const deadline = dueDeadline(state.deadlines, input);
      return deadline?.kind === 'BalanceDeadline' ? onBalanceDeadline(state, trade, input) : undefined;
    }
    case 'CommandRejected': {
      const current = ids.authorizeBalance(orderId, trade.balanceAttempt);
      if (state.status !== 'AuthorizingBalance' || input.commandId !== current) return undefined;
      if (state.rejectedCommands.includes(input.commandId)) return none;
      return [
        { type: 'CommandRejectionRecorded', orderId, commandId: input.commandId, code: input.code, at: input.at },
        ...balanceFailed(state, trade, `balance refused by the payment centre: ${input.code}`, input.at),
      ];
    }
    case 'OrderPlaced':
    case 'OrderShipped':
    case 'ShipmentShipped':
    case 'StockReserved':
    case 'CouponReserved':
    case 'PaymentRefunded':
    case 'PaymentRefundFailed':
    case 'OrderDelivered':
    case 'DeliveryRefused':
      return undefined;
    default:
      return absurd(input);
  }
};

// ---------------------------------------------------------------------------------------------------------------
// evolve

export type PresaleEvent = DepositApproved | BalanceAuthorizationRequested | BalanceAttemptFailed | BalanceApproved;

const withoutDeadlines = (state: StartedFulfilment, cancel: readonly string[]) =>
  state.deadlines.filter((d) => !cancel.includes(d.deadlineId));

const redeemed = (coupon: CouponProgress | null, redeem: unknown): CouponProgress | null =>
  redeem !== undefined && coupon !== null && coupon.status === 'reserved'
    ? { ...coupon, status: 'redeemed' satisfies CouponStatus }
    : coupon;

export const evolvePresale = (state: StartedFulfilment, event: PresaleEvent): StartedFulfilment => {
  const trade = state.trade;
  if (trade?.type !== 'presale') return state;
  switch (event.type) {
    case 'DepositApproved':
      return state.status === 'Authorizing' || state.status === 'AwaitingRetry'
        ? {
            ...state,
            status: 'AwaitingBalance',
            authorization: { amount: event.amount, authorizationId: event.authorizationId },
            deadlines: withoutDeadlines(state, event.cancelDeadlines),
          }
        : state;
    case 'BalanceAuthorizationRequested':
      return state.status === 'AwaitingBalance'
        ? { ...state, status: 'AuthorizingBalance', trade: { ...trade, balanceAttempt: event.attempt } }
        : state;
    case 'BalanceAttemptFailed':
      return state.status === 'AuthorizingBalance'
        ? { ...state, status: 'AwaitingBalance', lastError: `balance try ${event.attempt}: ${event.message}` }
        : state;
    case 'BalanceApproved':
      return state.status === 'AuthorizingBalance'
        ? {
            ...state,
            status: 'Confirmed',
            paid: event.paid,
            confirmedAt: event.at,
            // what a cancellation of the confirmed order gives back (ADR 0012: void, refused, then refund)
            authorization: { amount: event.paid, authorizationId: event.authorizationId },
            coupon: redeemed(state.coupon, event.redeemCoupon),
            deadlines: withoutDeadlines(state, event.cancelDeadlines),
          }
        : state;
    default:
      return absurd(event);
  }
};

// ---------------------------------------------------------------------------------------------------------------
// outbox

export const presaleOutbox = (event: PresaleEvent): SagaEffects => {
  const { orderId, at } = event;
  switch (event.type) {
    case 'DepositApproved':
      return effects({
        commands: [
          {
            target: 'payment',
            commandId: ids.capture(orderId),
            command: { type: 'CapturePayment', orderId, amount: event.amount, part: 'deposit', at },
          },
          {
            target: 'order',
            commandId: ids.recordDeposit(orderId),
            command: { type: 'RecordDeposit', orderId, paid: event.amount, at },
          },
        ],
        cancel: event.cancelDeadlines,
      });
    case 'BalanceAuthorizationRequested':
      return effects({
        commands: [
          {
            target: 'payment',
            commandId: ids.authorizeBalance(orderId, event.attempt),
            command: {
              type: 'AuthorizePaymentRequest',
              orderId,
              amount: event.amount,
              token: event.paymentToken,
              part: 'balance',
              at,
            },
          },
        ],
      });
    case 'BalanceAttemptFailed':
      return noEffects;
    case 'BalanceApproved':
      return effects({
        commands: [
          {
            target: 'order',
            commandId: ids.confirm(orderId),
            command: { type: 'ConfirmOrder', orderId, paid: event.paid, at },
          },
          {
            target: 'payment',
            commandId: ids.captureBalance(orderId),
            command: { type: 'CapturePayment', orderId, amount: event.amount, part: 'balance', at },
          },
          ...couponRedemption(orderId, event.redeemCoupon, at),
        ],
        cancel: event.cancelDeadlines,
      });
    default:
      return absurd(event);
  }
};
