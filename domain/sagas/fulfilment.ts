import { absurd, type CouponCode, type Money, type OrderId, type Reason, type Sku, type Timestamp } from '../shared';
import type { OrderCancelled, OrderPlaced, OrderShipped } from '../order';
import type { InventoryErrorCode, StockReserved } from '../inventory';
import type { CouponReserved, PricingErrorCode } from '../pricing';
import type {
  PaymentAuthorizationFailed,
  PaymentAuthorized,
  PaymentCaptured,
  PaymentDeclined,
  PaymentRefunded,
  PaymentErrorCode,
  PaymentRefundFailed,
} from '../payment';
import {
  backoffFor,
  checkRetryPolicy,
  dueDeadline,
  effects,
  noEffects,
  plusMs,
  type CommandRejected,
  type DeadlineReached,
  type OutgoingCommand,
  type RetryPolicy,
  type SagaDecider,
  type SagaEffects,
  withRejection,
} from './saga';
import type {
  CancelledBy,
  CompensationStarted,
  FulfilmentDeadline,
  FulfilmentDeadlineKind,
  FulfilmentEvent,
} from './fulfilment-events';
import { codConfirmation, codOutbox, codStart, evolveCod, reactCod } from './cash-on-delivery';
import { evolvePresale, presaleOutbox, presaleProgress, presaleStart, reactPresale } from './presale';
import {
  evolveShipment,
  onShipmentShipped,
  planField,
  shipmentCommits,
  shipmentsStep,
  withPlan,
  withPlanCommand,
} from './shipments';
import type { FulfilmentInput } from './fulfilment-input';
import type {
  CouponProgress,
  CouponStatus,
  FulfilmentConfirmed,
  FulfilmentData,
  FulfilmentState,
  GivenUp,
  InFlight,
  LineProgress,
  LineStatus,
  StartedFulfilment,
} from './fulfilment-state';

export interface FulfilmentConfig extends RetryPolicy {
  /** from placement until the order must be paid; then the saga gives up and compensates */
  readonly paymentTimeoutMs: number;
  /** reservation lifetime; longer than the payment timeout, so stock never lapses under an order still being paid */
  readonly reservationTtlMs: number;
}

export const defaultFulfilmentConfig: FulfilmentConfig = {
  paymentTimeoutMs: 15 * 60_000,
  reservationTtlMs: 30 * 60_000,
  maxProviderRetries: 3,
  retryBackoffMs: [1_000, 5_000, 15_000],
};

export type { FulfilmentInput } from './fulfilment-input';

import {
  cancellationRefundId,
  couponRedemption,
  fulfilmentCancelReasons,
  fulfilmentCommandIds,
  fulfilmentDeadlineIds,
} from './fulfilment-ids';

export {
  cancellationRefundId,
  fulfilmentCancelReasons,
  fulfilmentCommandIds,
  fulfilmentDeadlineIds,
  fulfilmentSagaId,
} from './fulfilment-ids';

/** The coupon centre's refusals of a reservation that mean the coupon cannot serve this order. */
const COUPON_UNAVAILABLE: readonly PricingErrorCode[] = [
  'CouponNotFound',
  'CouponExhausted',
  'CouponCustomerLimitReached',
];
const OUT_OF_STOCK: InventoryErrorCode = 'InsufficientStock';
const OVER_PURCHASE_LIMIT: InventoryErrorCode = 'PurchaseLimitExceeded';

/** The payment centre's refusal to void a payment whose money was captured already. */
const PAYMENT_ALREADY_CAPTURED: PaymentErrorCode = 'AlreadyCaptured';

// ---------------------------------------------------------------------------------------------------------------
// queries on the state

const isInFlight = (state: StartedFulfilment): state is InFlight =>
  state.status === 'Reserving' || state.status === 'Authorizing' || state.status === 'AwaitingRetry';

const hasGivenUp = (state: StartedFulfilment): state is GivenUp =>
  state.status === 'Compensating' || state.status === 'Cancelled' || state.status === 'Failed';

const skusWith = (lines: readonly LineProgress[], status: LineStatus): Sku[] =>
  lines.filter((l) => l.status === status).map((l) => l.sku);

const couponWith = (coupon: CouponProgress | null, ...statuses: CouponStatus[]): CouponCode | undefined =>
  coupon !== null && statuses.includes(coupon.status) ? coupon.code : undefined;

/** Nothing more to hold for the coupon: the order has none, or it is reserved. */
const couponReady = (coupon: CouponProgress | null): boolean => coupon === null || coupon.status === 'reserved';

const deadlineOf = (
  kind: FulfilmentDeadlineKind,
  deadlineId: string,
  at: Timestamp,
  ms: number,
): FulfilmentDeadline => ({ deadlineId, dueAt: plusMs(at, ms), kind });

/** A human-readable description of where the saga is, for the read side. */
export const fulfilmentStep = (state: FulfilmentState): string => {
  switch (state.status) {
    case 'NotStarted':
      return 'waiting for the order';
    case 'Reserving': {
      const coupon = state.coupon === null ? '' : `, coupon ${state.coupon.status}`;
      return `reserving stock (${skusWith(state.lines, 'reserved').length} of ${state.lines.length} lines${coupon})`;
    }
    case 'Authorizing':
      return `authorizing payment (attempt ${state.authorizationAttempts})`;
    case 'AwaitingRetry':
      return `waiting to retry payment authorization (attempt ${state.authorizationAttempts} failed)`;
    case 'AwaitingBalance':
      return 'deposit paid, waiting for the balance';
    case 'AuthorizingBalance':
      return `authorizing the balance (try ${state.trade?.type === 'presale' ? state.trade.balanceAttempt : 0})`;
    case 'Confirmed': {
      const shipments = shipmentsStep(state);
      if (state.trade?.type === 'cod') return 'confirmed, cash on delivery';
      return shipments === undefined ? 'paid, waiting for shipment' : `paid, ${shipments}`;
    }
    case 'Completed':
      return state.trade?.type === 'cod' ? 'delivered, cash collected' : 'shipped';
    case 'Compensating':
      return `cancelled (${state.reason}), refunding the captured payment`;
    case 'Cancelled':
      return `cancelled (${state.reason})`;
    case 'Failed':
      return `cancelled (${state.reason}), refund failed: needs an operator`;
    default:
      return absurd(state);
  }
};

// ---------------------------------------------------------------------------------------------------------------
// react

type Events = readonly FulfilmentEvent[];
const none: Events = [];

const start = (input: OrderPlaced, config: FulfilmentConfig): Events => {
  const couponCode = input.pricing?.couponCode;
  // the channel's terms frozen into the order win over the engine's configuration
  const { reservationTtlMs, paymentTimeoutMs } = input.terms ?? config;
  const defaultLimit = input.terms?.purchaseLimitPerCustomer;
  // a trade type other than the standard one starts its own branch (presale.ts, cash-on-delivery.ts)
  const presale = presaleStart(input, reservationTtlMs);
  const trade = presale?.trade ?? codStart(input);
  return [
    {
      type: 'FulfilmentStarted',
      orderId: input.orderId,
      lines: input.lines.map((l) => ({ sku: l.sku, quantity: l.quantity })),
      total: input.total,
      paymentToken: input.paymentToken,
      reservationExpiresAt: presale?.reservationExpiresAt ?? plusMs(input.at, reservationTtlMs),
      paymentTimeout: deadlineOf('PaymentTimeout', fulfilmentDeadlineIds.paymentTimeout, input.at, paymentTimeoutMs),
      customerId: input.customerId,
      ...(couponCode === undefined ? {} : { couponCode }),
      ...(defaultLimit === undefined ? {} : { defaultLimit }),
      ...(trade === undefined ? {} : { trade }),
      at: input.at,
    },
  ];
};

/** A pre-sale's deposit phase authorizes the deposit; any other order its total. */
const requestAuthorization = (state: FulfilmentData, attempt: number, at: Timestamp): FulfilmentEvent => ({
  type: 'AuthorizationRequested',
  orderId: state.orderId,
  attempt,
  amount: state.trade?.type === 'presale' ? state.trade.deposit : state.total,
  paymentToken: state.paymentToken,
  ...(state.trade?.type === 'presale' ? { part: 'deposit' as const } : {}),
  at,
});

/**
 * Every line and the coupon are held: authorize, or (cash on delivery) confirm with nothing paid. Either event records
 * the last reservation, and carries the shipment plan when the lines' units are in several warehouses.
 */
const allHeld = (state: FulfilmentData, at: Timestamp): FulfilmentEvent =>
  state.trade?.type === 'cod'
    ? { ...codConfirmation(state, at), ...planField(state.lines) }
    : { ...requestAuthorization(state, 1, at), ...planField(state.lines) };

const requestCaptureRefund = (
  state: FulfilmentData,
  amount: Money,
  attempt: number,
  at: Timestamp,
): FulfilmentEvent => ({
  type: 'CaptureRefundRequested',
  orderId: state.orderId,
  refundId: cancellationRefundId,
  amount,
  attempt,
  at,
});

/**
 * Give up on the order: release what is known to be reserved (stock, and the coupon reserved or redeemed), void an
 * authorization that may exist (unless the provider declined, which holds nothing), refund a capture already seen,
 * cancel the order if the saga decided. A reservation still pending is released when it lands (the Late… events).
 */
const compensate = (
  state: InFlight | FulfilmentConfirmed,
  why: Reason,
  by: CancelledBy,
  at: Timestamp,
  options: { readonly declined?: boolean } = {},
): Events => {
  const coupon = couponWith(state.coupon, 'reserved', 'redeemed');
  const started: CompensationStarted = {
    type: 'CompensationStarted',
    orderId: state.orderId,
    reason: why,
    by,
    release: skusWith(state.lines, 'reserved'),
    voidPayment: state.authorizationAttempts > 0 && state.captured === null && options.declined !== true,
    cancelDeadlines: state.deadlines.map((d) => d.deadlineId),
    ...(coupon === undefined ? {} : { releaseCoupon: coupon }),
    at,
  };
  return state.captured !== null && state.refund === null
    ? [started, requestCaptureRefund(state, state.captured, 1, at)]
    : [started];
};

const cancelReasonOf = (state: GivenUp): Reason => state.reason;

/**
 * A refusal appends nothing, so the centre that refused does not remember it as its answer: the same reserve command
 * sent again (a runner re-sending a step's outbox after another runner died) is decided again, and may hold units
 * (or a coupon use) after all. The saga counts on nothing it was refused, so that hold is released like a late one.
 */
const refusedBefore = (status: LineStatus | CouponStatus | undefined): boolean => status === 'rejected';

const onStockReserved = (input: StockReserved, state: StartedFulfilment): Events => {
  const line = state.lines.find((l) => l.sku === input.sku);
  const refused = refusedBefore(line?.status);
  if (line?.status !== 'pending' && !refused) return none;
  if (refused || hasGivenUp(state)) {
    // a reservation that landed after the saga gave up, or for a line it was refused, must not hold stock
    return [
      {
        type: 'LateReservationReleased',
        orderId: state.orderId,
        sku: input.sku,
        reason: hasGivenUp(state) ? cancelReasonOf(state) : fulfilmentCancelReasons.reservationFailed,
        at: input.at,
      },
    ];
  }
  if (state.status !== 'Reserving') return none;
  // the last reservation is recorded by the authorization request itself: it says every line (and coupon) is reserved
  const allReserved =
    state.lines.every((l) => l.sku === input.sku || l.status === 'reserved') && couponReady(state.coupon);
  // where the units are, when not all in main: the shipment plan depends on it
  const allocation = input.allocation === undefined ? {} : { allocation: input.allocation };
  return allReserved
    ? [
        allHeld(
          { ...state, lines: state.lines.map((l) => (l.sku === input.sku ? { ...l, ...allocation } : l)) },
          input.at,
        ),
      ]
    : [{ type: 'LineReserved', orderId: state.orderId, sku: input.sku, ...allocation, at: input.at }];
};

const onCouponReserved = (input: CouponReserved, state: StartedFulfilment): Events => {
  const coupon = state.coupon;
  if (coupon === null || coupon.code !== input.code) return none;
  const refused = refusedBefore(coupon.status);
  if (coupon.status !== 'pending' && !refused) return none;
  if (refused || hasGivenUp(state)) {
    // a coupon reserved after the saga gave up, or after it was refused, must not keep a use from other customers
    return [
      {
        type: 'LateCouponReleased',
        orderId: state.orderId,
        code: coupon.code,
        reason: hasGivenUp(state) ? cancelReasonOf(state) : fulfilmentCancelReasons.reservationFailed,
        at: input.at,
      },
    ];
  }
  if (state.status !== 'Reserving') return none;
  return state.lines.every((l) => l.status === 'reserved')
    ? [allHeld(state, input.at)]
    : [{ type: 'CouponHeld', orderId: state.orderId, code: coupon.code, at: input.at }];
};

const voidLate = (
  state: GivenUp,
  input: PaymentAuthorized | PaymentAuthorizationFailed,
  authorizationId: string | null,
): Events =>
  state.lateVoidSent
    ? none
    : [
        {
          type: 'LateAuthorizationVoided',
          orderId: state.orderId,
          amount: input.amount,
          authorizationId,
          reason: cancelReasonOf(state),
          at: input.at,
        },
      ];

const onAuthorized = (input: PaymentAuthorized, state: StartedFulfilment): Events => {
  if (state.status === 'Authorizing' || state.status === 'AwaitingRetry') {
    const redeemCoupon = couponWith(state.coupon, 'reserved');
    return [
      {
        type: 'PaymentApproved',
        orderId: state.orderId,
        amount: input.amount,
        authorizationId: input.authorizationId,
        // paid in time: neither the timeout nor a pending retry applies any more
        cancelDeadlines: state.deadlines
          .filter((d) => d.kind === 'PaymentTimeout' || d.kind === 'AuthorizationRetry')
          .map((d) => d.deadlineId),
        ...(redeemCoupon === undefined ? {} : { redeemCoupon }),
        at: input.at,
      },
    ];
  }
  // a slow provider approved after the saga gave up (its first void may have found nothing): void this one too
  if (hasGivenUp(state) && state.authorization === null) return voidLate(state, input, input.authorizationId);
  return none;
};

const onDeclined = (input: PaymentDeclined, state: StartedFulfilment): Events =>
  state.status === 'Authorizing' || state.status === 'AwaitingRetry'
    ? compensate(state, fulfilmentCancelReasons.paymentDeclined, 'saga', input.at, { declined: true })
    : none;

const onAuthorizationFailed = (
  input: PaymentAuthorizationFailed,
  state: StartedFulfilment,
  config: FulfilmentConfig,
): Events => {
  // the attempt in flight failed after the saga gave up: close the payment, so it is not left pending
  if (hasGivenUp(state)) {
    const unseen = state.authorizationFailures < state.authorizationAttempts;
    return unseen && state.authorization === null && input.attempt >= state.authorizationAttempts
      ? voidLate(state, input, null)
      : none;
  }
  // an older attempt's failure redelivered carries a lower attempt number than the one in flight
  if (state.status !== 'Authorizing' || input.attempt < state.authorizationAttempts) return none;
  const attempt = state.authorizationAttempts;
  const retriesUsed = attempt - 1;
  if (retriesUsed < config.maxProviderRetries) {
    const retry = deadlineOf(
      'AuthorizationRetry',
      fulfilmentDeadlineIds.authorizationRetry(attempt),
      input.at,
      backoffFor(config.retryBackoffMs, attempt),
    );
    return [
      { type: 'AuthorizationFailed', orderId: state.orderId, attempt, message: input.message, retry, at: input.at },
    ];
  }
  return [
    { type: 'AuthorizationFailed', orderId: state.orderId, attempt, message: input.message, retry: null, at: input.at },
    ...compensate(state, fulfilmentCancelReasons.paymentError, 'saga', input.at),
  ];
};

/**
 * The capture the saga sent with the confirmation. While the order stands nothing depends on it (a later
 * cancellation voids, and a void that finds the money captured is refused, which the saga answers with a refund), so
 * it is recorded only when it won a race against the void of a cancelled order: then the money goes back.
 */
const onCaptured = (input: PaymentCaptured, state: StartedFulfilment): Events => {
  if (state.captured !== null || !hasGivenUp(state) || state.refund !== null) return none;
  return [
    { type: 'CaptureRecorded', orderId: state.orderId, amount: input.amount, at: input.at },
    requestCaptureRefund(state, input.amount, 1, input.at),
  ];
};

const onRefunded = (input: PaymentRefunded, state: StartedFulfilment): Events => {
  const refund = state.refund;
  if (refund?.refundId !== input.refundId || refund.status === 'refunded' || refund.status === 'failed') return none;
  return [
    {
      type: 'CaptureRefunded',
      orderId: state.orderId,
      refundId: refund.refundId,
      providerRefundId: input.providerRefundId,
      at: input.at,
    },
  ];
};

const captureRefundFailed = (
  state: StartedFulfilment,
  message: string,
  at: Timestamp,
  config: FulfilmentConfig,
  retryable: boolean,
): Events => {
  const refund = state.refund;
  if (refund === null) return none;
  const retry =
    retryable && refund.attempt - 1 < config.maxProviderRetries
      ? deadlineOf(
          'CaptureRefundRetry',
          fulfilmentDeadlineIds.captureRefundRetry(refund.attempt),
          at,
          backoffFor(config.retryBackoffMs, refund.attempt),
        )
      : null;
  return [
    {
      type: 'CaptureRefundFailed',
      orderId: state.orderId,
      refundId: refund.refundId,
      attempt: refund.attempt,
      message,
      retry,
      at,
    },
  ];
};

const onRefundFailed = (input: PaymentRefundFailed, state: StartedFulfilment, config: FulfilmentConfig): Events => {
  const refund = state.refund;
  if (refund?.refundId !== input.refundId || refund.status !== 'requested' || input.attempt < refund.attempt) {
    return none;
  }
  return captureRefundFailed(state, input.message, input.at, config, true);
};

const onShipped = (input: OrderShipped, state: StartedFulfilment): Events =>
  state.status === 'Confirmed'
    ? [{ type: 'ShipmentRecorded', orderId: state.orderId, commit: skusWith(state.lines, 'reserved'), at: input.at }]
    : none;

/** Once the saga gave up, the cancellation it sent comes back here: nothing more to do. */
const onCancelled = (input: OrderCancelled, state: StartedFulfilment): Events =>
  isInFlight(state) || state.status === 'Confirmed' ? compensate(state, input.reason, 'customer', input.at) : none;

const onDeadline = (input: DeadlineReached, state: StartedFulfilment): Events => {
  const deadline = dueDeadline(state.deadlines, input);
  if (deadline === undefined) return none;
  switch (deadline.kind) {
    case 'PaymentTimeout':
      return state.status === 'Reserving' || state.status === 'Authorizing' || state.status === 'AwaitingRetry'
        ? compensate(state, fulfilmentCancelReasons.paymentTimeout, 'saga', input.now)
        : none;
    case 'AuthorizationRetry':
      return state.status === 'AwaitingRetry'
        ? [requestAuthorization(state, state.authorizationAttempts + 1, input.now)]
        : none;
    case 'CaptureRefundRetry': {
      const refund = state.refund;
      return refund?.status === 'awaiting_retry'
        ? [requestCaptureRefund(state, refund.amount, refund.attempt + 1, input.now)]
        : none;
    }
    // the pre-sale branch decides (reactPresale)
    case 'BalanceDeadline':
      return none;
    default:
      return absurd(deadline.kind);
  }
};

const onRejected = (input: CommandRejected, state: StartedFulfilment, config: FulfilmentConfig): Events => {
  if (state.rejectedCommands.includes(input.commandId)) return none;
  const { orderId } = state;
  const recorded: FulfilmentEvent = {
    type: 'CommandRejectionRecorded',
    orderId,
    commandId: input.commandId,
    code: input.code,
    at: input.at,
  };

  const line = state.lines.find((l) => fulfilmentCommandIds.reserve(orderId, l.sku) === input.commandId);
  if (line?.status === 'pending') {
    const rejected: FulfilmentEvent = {
      type: 'ReservationRejected',
      orderId,
      sku: line.sku,
      commandId: input.commandId,
      code: input.code,
      at: input.at,
    };
    if (state.status !== 'Reserving') return [rejected];
    const why =
      input.code === OUT_OF_STOCK
        ? fulfilmentCancelReasons.outOfStock
        : input.code === OVER_PURCHASE_LIMIT
          ? fulfilmentCancelReasons.purchaseLimitExceeded
          : fulfilmentCancelReasons.reservationFailed;
    return [rejected, ...compensate(state, why, 'saga', input.at)];
  }

  // the coupon centre refused the reservation (evolve marks the coupon rejected: nothing to release)
  if (state.coupon?.status === 'pending' && input.commandId === fulfilmentCommandIds.reserveCoupon(orderId)) {
    if (state.status !== 'Reserving') return [recorded];
    const why = COUPON_UNAVAILABLE.some((code) => code === input.code)
      ? fulfilmentCancelReasons.couponUnavailable
      : fulfilmentCancelReasons.reservationFailed;
    return [recorded, ...compensate(state, why, 'saga', input.at)];
  }

  if (
    state.status === 'Authorizing' &&
    input.commandId === fulfilmentCommandIds.authorize(orderId, state.authorizationAttempts)
  ) {
    // refused before the provider was asked (e.g. the payment was voided): retrying cannot help
    return [recorded, ...compensate(state, fulfilmentCancelReasons.paymentError, 'saga', input.at)];
  }

  const refund = state.refund;
  if (refund?.status === 'requested' && input.commandId === fulfilmentCommandIds.refund(orderId, refund.attempt)) {
    return [recorded, ...captureRefundFailed(state, input.code, input.at, config, true)];
  }

  // the void of a cancelled, paid order found the money captured: it goes back (the amount the saga captured)
  if (
    hasGivenUp(state) &&
    refund === null &&
    state.authorization !== null &&
    input.commandId === fulfilmentCommandIds.void(orderId) &&
    input.code === PAYMENT_ALREADY_CAPTURED
  ) {
    return [recorded, requestCaptureRefund(state, state.authorization.amount, 1, input.at)];
  }

  // anything else (a confirm that lost to a customer's cancel, a void that found nothing) is shown, not acted on:
  // the facts that follow (OrderCancelled, PaymentCaptured, a late PaymentAuthorized) drive the saga
  return [recorded];
};

const react =
  (config: FulfilmentConfig) =>
  (input: FulfilmentInput, state: FulfilmentState): Events => {
    if (state.status === 'NotStarted') return input.type === 'OrderPlaced' ? start(input, config) : none;
    if (input.type !== 'DeadlineReached' && input.type !== 'CommandRejected' && input.orderId !== state.orderId) {
      return none;
    }
    // the trade types' branches decide first; what they leave (undefined) follows the standard flow
    const trade = state.trade;
    const traded =
      trade?.type === 'presale'
        ? reactPresale(input, state, trade)
        : trade?.type === 'cod'
          ? reactCod(input, state)
          : undefined;
    if (traded !== undefined) return traded;
    switch (input.type) {
      case 'OrderPlaced':
        return none;
      case 'StockReserved':
        return onStockReserved(input, state);
      case 'CouponReserved':
        return onCouponReserved(input, state);
      case 'PaymentAuthorized':
        return onAuthorized(input, state);
      case 'PaymentDeclined':
        return onDeclined(input, state);
      case 'PaymentAuthorizationFailed':
        return onAuthorizationFailed(input, state, config);
      case 'PaymentCaptured':
        return onCaptured(input, state);
      case 'PaymentRefunded':
        return onRefunded(input, state);
      case 'PaymentRefundFailed':
        return onRefundFailed(input, state, config);
      case 'OrderShipped':
        return onShipped(input, state);
      case 'ShipmentShipped':
        return onShipmentShipped(input, state);
      case 'OrderCancelled':
        return onCancelled(input, state);
      case 'DeadlineReached':
        return onDeadline(input, state);
      case 'CommandRejected':
        return onRejected(input, state, config);
      // the trade types' own inputs: a standard order never sees them
      case 'BalanceRequested':
      case 'OrderDelivered':
      case 'DeliveryRefused':
        return none;
      default:
        return absurd(input);
    }
  };

// ---------------------------------------------------------------------------------------------------------------
// evolve

const withLines = (lines: readonly LineProgress[], skus: readonly Sku[], from: readonly LineStatus[], to: LineStatus) =>
  lines.map((l) => (skus.includes(l.sku) && from.includes(l.status) ? { ...l, status: to } : l));

const skusOf = (lines: readonly LineProgress[]): Sku[] => lines.map((l) => l.sku);

const withCouponStatus = (
  coupon: CouponProgress | null,
  from: readonly CouponStatus[],
  to: CouponStatus,
): CouponProgress | null => (coupon !== null && from.includes(coupon.status) ? { ...coupon, status: to } : coupon);

const withoutDeadlines = (deadlines: readonly FulfilmentDeadline[], ids: readonly string[]) =>
  deadlines.filter((d) => !ids.includes(d.deadlineId));

/** After a compensation step: money still on its way back keeps the saga Compensating. */
const settled = (state: GivenUp): GivenUp => {
  const refund = state.refund;
  if (refund === null || refund.status === 'refunded') return { ...state, status: 'Cancelled' };
  return refund.status === 'failed' ? { ...state, status: 'Failed' } : { ...state, status: 'Compensating' };
};

const settleIfGivenUp = (state: StartedFulfilment): StartedFulfilment => (hasGivenUp(state) ? settled(state) : state);

const evolveStarted = (state: StartedFulfilment, event: FulfilmentEvent): StartedFulfilment => {
  switch (event.type) {
    case 'FulfilmentStarted':
      return state;
    case 'LineReserved': {
      const { allocation } = event;
      const lines = withLines(state.lines, [event.sku], ['pending'], 'reserved');
      return {
        ...state,
        lines: allocation === undefined ? lines : lines.map((l) => (l.sku === event.sku ? { ...l, allocation } : l)),
      };
    }
    case 'CouponHeld':
      return { ...state, coupon: withCouponStatus(state.coupon, ['pending'], 'reserved') };
    case 'ReservationRejected':
      return withRejection(
        { ...state, lines: withLines(state.lines, [event.sku], ['pending'], 'rejected') },
        event,
        `reservation of ${event.sku} rejected: ${event.code}`,
      );
    case 'AuthorizationRequested': {
      const next = {
        ...state,
        authorizationAttempts: event.attempt,
        deadlines: withoutDeadlines(state.deadlines, [fulfilmentDeadlineIds.authorizationRetry(event.attempt - 1)]),
      };
      // the first request follows the last reservation (a line's or the coupon's), which it records
      if (next.status === 'Reserving') {
        return withPlan(
          {
            ...next,
            status: 'Authorizing',
            lines: withLines(next.lines, skusOf(next.lines), ['pending'], 'reserved'),
            coupon: withCouponStatus(next.coupon, ['pending'], 'reserved'),
          },
          event.shipments,
        );
      }
      return next.status === 'AwaitingRetry' ? { ...next, status: 'Authorizing' } : next;
    }
    case 'AuthorizationFailed': {
      const next = {
        ...state,
        authorizationFailures: event.attempt,
        deadlines: event.retry === null ? state.deadlines : [...state.deadlines, event.retry],
        lastError: `payment authorization attempt ${event.attempt} failed: ${event.message}`,
      };
      return next.status === 'Authorizing' && event.retry !== null ? { ...next, status: 'AwaitingRetry' } : next;
    }
    case 'PaymentApproved': {
      const next = {
        ...state,
        authorization: { amount: event.amount, authorizationId: event.authorizationId },
        deadlines: withoutDeadlines(state.deadlines, event.cancelDeadlines),
        coupon:
          event.redeemCoupon === undefined ? state.coupon : withCouponStatus(state.coupon, ['reserved'], 'redeemed'),
      };
      // the saga confirms the order and captures the payment (its outbox): from here the order is paid
      return next.status === 'Authorizing' || next.status === 'AwaitingRetry'
        ? { ...next, status: 'Confirmed', paid: event.amount, confirmedAt: event.at }
        : next;
    }
    case 'CaptureRecorded':
      return { ...state, captured: event.amount };
    // streams written before ADR 0012 record the confirmation; PaymentApproved already made the saga Confirmed
    case 'OrderConfirmationRecorded':
      return state;
    case 'ShipmentRecorded':
      if (event.warehouse !== undefined) return evolveShipment(state, event.warehouse, event.at);
      return state.status === 'Confirmed'
        ? {
            ...state,
            status: 'Completed',
            lines: withLines(state.lines, event.commit, ['reserved'], 'committed'),
            shippedAt: event.at,
          }
        : state;
    case 'CompensationStarted': {
      if (hasGivenUp(state) || state.status === 'Completed') return state;
      return settled({
        ...state,
        status: 'Compensating',
        reason: event.reason,
        by: event.by,
        cancelledAt: event.at,
        lines: withLines(state.lines, event.release, ['reserved'], 'released'),
        coupon:
          event.releaseCoupon === undefined
            ? state.coupon
            : withCouponStatus(state.coupon, ['reserved', 'redeemed'], 'released'),
        deadlines: withoutDeadlines(state.deadlines, event.cancelDeadlines),
      });
    }
    case 'LateReservationReleased':
      return { ...state, lines: withLines(state.lines, [event.sku], ['pending', 'reserved', 'rejected'], 'released') };
    case 'LateCouponReleased':
      return { ...state, coupon: withCouponStatus(state.coupon, ['pending', 'reserved', 'rejected'], 'released') };
    case 'LateAuthorizationVoided':
      return {
        ...state,
        lateVoidSent: true,
        authorization:
          event.authorizationId === null
            ? state.authorization
            : { amount: event.amount, authorizationId: event.authorizationId },
      };
    case 'CaptureRefundRequested':
      return settleIfGivenUp({
        ...state,
        refund: { refundId: event.refundId, amount: event.amount, attempt: event.attempt, status: 'requested' },
        deadlines: withoutDeadlines(state.deadlines, [fulfilmentDeadlineIds.captureRefundRetry(event.attempt - 1)]),
      });
    case 'CaptureRefundFailed': {
      const refund = state.refund;
      if (refund === null) return state;
      return settleIfGivenUp({
        ...state,
        refund: { ...refund, status: event.retry === null ? 'failed' : 'awaiting_retry' },
        deadlines: event.retry === null ? state.deadlines : [...state.deadlines, event.retry],
        lastError: `refund of the captured payment failed (attempt ${event.attempt}): ${event.message}`,
      });
    }
    case 'CaptureRefunded': {
      const refund = state.refund;
      return refund === null ? state : settleIfGivenUp({ ...state, refund: { ...refund, status: 'refunded' } });
    }
    case 'DepositApproved':
    case 'BalanceAuthorizationRequested':
    case 'BalanceAttemptFailed':
    case 'BalanceApproved':
      return evolvePresale(state, event);
    case 'CodConfirmed':
      return withPlan(evolveCod(state, event), event.shipments);
    case 'DeliveryRecorded':
      return evolveCod(state, event);
    case 'CommandRejectionRecorded': {
      const next = withRejection(state, event);
      return event.commandId === fulfilmentCommandIds.reserveCoupon(state.orderId)
        ? { ...next, coupon: withCouponStatus(next.coupon, ['pending'], 'rejected') }
        : next;
    }
    default:
      return absurd(event);
  }
};

/** Saga events are the saga's own decisions, so evolve trusts them; one that does not fit leaves the state as is. */
const evolve = (state: FulfilmentState, event: FulfilmentEvent): FulfilmentState => {
  if (state.status !== 'NotStarted') return evolveStarted(state, event);
  if (event.type !== 'FulfilmentStarted') return state;
  return {
    status: 'Reserving',
    orderId: event.orderId,
    total: event.total,
    paymentToken: event.paymentToken,
    startedAt: event.at,
    reservationExpiresAt: event.reservationExpiresAt,
    lines: event.lines.map((l) => ({ sku: l.sku, quantity: l.quantity, status: 'pending' })),
    coupon: event.couponCode === undefined ? null : { code: event.couponCode, status: 'pending' },
    ...(event.trade === undefined
      ? {}
      : { trade: event.trade.type === 'presale' ? presaleProgress(event.trade) : { type: 'cod' as const } }),
    authorizationAttempts: 0,
    authorizationFailures: 0,
    authorization: null,
    lateVoidSent: false,
    captured: null,
    refund: null,
    deadlines: [event.paymentTimeout, ...(event.trade?.type === 'presale' ? [event.trade.balanceDeadline] : [])],
    rejectedCommands: [],
    lastError: null,
  };
};

// ---------------------------------------------------------------------------------------------------------------
// outbox

const ids = fulfilmentCommandIds;

const release = (orderId: OrderId, sku: Sku, why: Reason, at: Timestamp): OutgoingCommand => ({
  target: 'inventory',
  commandId: ids.release(orderId, sku),
  command: { type: 'ReleaseReservation', sku, orderId, reason: why, at },
});

const releaseCoupon = (orderId: OrderId, code: CouponCode, why: Reason, at: Timestamp): OutgoingCommand => ({
  target: 'coupon',
  commandId: ids.releaseCoupon(orderId),
  command: { type: 'ReleaseCoupon', code, orderId, reason: why, at },
});

const voidPayment = (
  commandId: string,
  orderId: OrderId,
  why: Reason,
  at: Timestamp,
  part?: 'balance',
): OutgoingCommand => ({
  target: 'payment',
  commandId,
  command: { type: 'VoidPayment', orderId, reason: why, ...(part === undefined ? {} : { part }), at },
});

const outbox = (event: FulfilmentEvent): SagaEffects => {
  const { orderId, at } = event;
  switch (event.type) {
    case 'FulfilmentStarted': {
      const { customerId, couponCode, defaultLimit } = event;
      return effects({
        commands: [
          ...event.lines.map((line): OutgoingCommand => ({
            target: 'inventory',
            commandId: ids.reserve(orderId, line.sku),
            command: {
              type: 'ReserveStock',
              sku: line.sku,
              orderId,
              quantity: line.quantity,
              expiresAt: event.reservationExpiresAt,
              ...(customerId === undefined ? {} : { customerId }),
              ...(defaultLimit === undefined || customerId === undefined ? {} : { defaultLimit }),
              at,
            },
          })),
          ...(couponCode === undefined || customerId === undefined
            ? []
            : [
                {
                  target: 'coupon',
                  commandId: ids.reserveCoupon(orderId),
                  command: { type: 'ReserveCoupon', code: couponCode, orderId, customerId, at },
                } satisfies OutgoingCommand,
              ]),
        ],
        schedule: [event.paymentTimeout, ...(event.trade?.type === 'presale' ? [event.trade.balanceDeadline] : [])],
      });
    }
    case 'AuthorizationRequested':
      return withPlanCommand(
        effects({
          commands: [
            {
              target: 'payment',
              commandId: ids.authorize(orderId, event.attempt),
              command: {
                type: 'AuthorizePaymentRequest',
                orderId,
                amount: event.amount,
                token: event.paymentToken,
                ...(event.part === undefined ? {} : { part: event.part }),
                at,
              },
            },
          ],
          cancel: event.attempt > 1 ? [fulfilmentDeadlineIds.authorizationRetry(event.attempt - 1)] : [],
        }),
        event,
        orderId,
        at,
      );
    case 'AuthorizationFailed':
      return effects({ schedule: event.retry === null ? [] : [event.retry] });
    case 'PaymentApproved':
      return effects({
        commands: [
          {
            target: 'order',
            commandId: ids.confirm(orderId),
            command: { type: 'ConfirmOrder', orderId, paid: event.amount, at },
          },
          {
            target: 'payment',
            commandId: ids.capture(orderId),
            command: { type: 'CapturePayment', orderId, amount: event.amount, at },
          },
          ...couponRedemption(orderId, event.redeemCoupon, at),
        ],
        cancel: event.cancelDeadlines,
      });
    case 'ShipmentRecorded':
      if (event.warehouse !== undefined) {
        return effects({ commands: shipmentCommits(orderId, event.warehouse, event.commit, at) });
      }
      return effects({
        commands: event.commit.map((sku): OutgoingCommand => ({
          target: 'inventory',
          commandId: ids.commit(orderId, sku),
          command: { type: 'CommitReservation', sku, orderId, at },
        })),
      });
    case 'CompensationStarted':
      return effects({
        commands: [
          ...event.release.map((sku) => release(orderId, sku, event.reason, at)),
          ...(event.releaseCoupon === undefined ? [] : [releaseCoupon(orderId, event.releaseCoupon, event.reason, at)]),
          ...(event.voidPayment ? [voidPayment(ids.void(orderId), orderId, event.reason, at)] : []),
          ...(event.voidBalance === true
            ? [voidPayment(ids.voidBalance(orderId), orderId, event.reason, at, 'balance')]
            : []),
          ...(event.by === 'saga'
            ? [
                {
                  target: 'order',
                  commandId: ids.cancel(orderId),
                  command: { type: 'CancelOrder', orderId, reason: event.reason, at },
                } satisfies OutgoingCommand,
              ]
            : []),
        ],
        cancel: event.cancelDeadlines,
      });
    case 'LateReservationReleased':
      return effects({ commands: [release(orderId, event.sku, event.reason, at)] });
    case 'LateCouponReleased':
      return effects({ commands: [releaseCoupon(orderId, event.code, event.reason, at)] });
    case 'LateAuthorizationVoided':
      return effects({
        commands: [
          event.part === 'balance'
            ? voidPayment(ids.voidBalanceLate(orderId), orderId, event.reason, at, 'balance')
            : voidPayment(ids.voidLate(orderId), orderId, event.reason, at),
        ],
      });
    case 'CaptureRefundRequested':
      return effects({
        commands: [
          {
            target: 'payment',
            commandId: ids.refund(orderId, event.attempt),
            command: { type: 'RefundPaymentRequest', orderId, refundId: event.refundId, amount: event.amount, at },
          },
        ],
        cancel: event.attempt > 1 ? [fulfilmentDeadlineIds.captureRefundRetry(event.attempt - 1)] : [],
      });
    case 'CaptureRefundFailed':
      return effects({ schedule: event.retry === null ? [] : [event.retry] });
    case 'DepositApproved':
    case 'BalanceAuthorizationRequested':
    case 'BalanceAttemptFailed':
    case 'BalanceApproved':
      return presaleOutbox(event);
    case 'CodConfirmed':
      return withPlanCommand(codOutbox(event), event, orderId, at);
    case 'DeliveryRecorded':
      return codOutbox(event);
    case 'LineReserved':
    case 'CouponHeld':
    case 'ReservationRejected':
    case 'CaptureRecorded':
    case 'OrderConfirmationRecorded':
    case 'CaptureRefunded':
    case 'CommandRejectionRecorded':
      return noEffects;
    default:
      return absurd(event);
  }
};

const checkConfig = (config: FulfilmentConfig): void => {
  checkRetryPolicy(config);
  if (!Number.isSafeInteger(config.paymentTimeoutMs) || config.paymentTimeoutMs <= 0) {
    throw new TypeError(`paymentTimeoutMs must be a positive whole number, got ${config.paymentTimeoutMs}`);
  }
  if (!Number.isSafeInteger(config.reservationTtlMs) || config.reservationTtlMs <= config.paymentTimeoutMs) {
    throw new TypeError(
      `reservationTtlMs (${config.reservationTtlMs}) must exceed paymentTimeoutMs (${config.paymentTimeoutMs}), ` +
        'or stock could lapse under an order that is still being paid',
    );
  }
};

export type FulfilmentSaga = SagaDecider<FulfilmentInput, FulfilmentState, FulfilmentEvent>;

/** The order fulfilment saga, one instance per order (stream `saga-fulfilment-<orderId>`). */
export const fulfilmentSaga = (config: FulfilmentConfig = defaultFulfilmentConfig): FulfilmentSaga => {
  checkConfig(config);
  return {
    initialState: { status: 'NotStarted' },
    evolve,
    react: react(config),
    outbox,
    deadlines: (state) => (state.status === 'NotStarted' ? [] : state.deadlines),
  };
};
