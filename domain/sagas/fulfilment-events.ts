import * as t from 'io-ts';
import {
  CouponCode,
  CustomerId,
  Money,
  OrderId,
  PurchaseLimit,
  Quantity,
  Reason,
  RefundId,
  Sku,
  Timestamp,
  WarehouseId,
  eventRegistry,
} from '../shared';
import { Allocation } from '../inventory';
import { PaymentToken, ShipmentPlan } from '../order';
import { Attempt, ProviderText } from '../payment';
import { deadlineCodec } from './saga';

export const FulfilmentDeadlineKind = t.union(
  [
    t.literal('PaymentTimeout'),
    t.literal('AuthorizationRetry'),
    t.literal('CaptureRefundRetry'),
    // pre-sale: the balance window closes
    t.literal('BalanceDeadline'),
  ],
  'FulfilmentDeadlineKind',
);
export type FulfilmentDeadlineKind = t.TypeOf<typeof FulfilmentDeadlineKind>;

export const FulfilmentDeadline = deadlineCodec(FulfilmentDeadlineKind, 'FulfilmentDeadline');
export type FulfilmentDeadline = t.TypeOf<typeof FulfilmentDeadline>;

/** Who decided the order is off: the saga (it sends CancelOrder) or the customer (the order is cancelled already). */
export const CancelledBy = t.union([t.literal('saga'), t.literal('customer')], 'CancelledBy');
export type CancelledBy = t.TypeOf<typeof CancelledBy>;

/**
 * The order's trade type when it is not the standard one, with what later decisions of its branch need (ADR 0012):
 * cash on delivery needs nothing more; a pre-sale the deposit to authorize, the end of the balance window (a
 * deadline, durable like the payment timeout) and what becomes of the deposit when the balance is late.
 */
export const TradeStarted = t.union(
  [
    t.readonly(t.strict({ type: t.literal('cod') })),
    t.readonly(
      t.strict({
        type: t.literal('presale'),
        deposit: Money,
        balanceDeadline: FulfilmentDeadline,
        lateBalance: t.union([t.literal('keepDeposit'), t.literal('refundDeposit')]),
      }),
    ),
  ],
  'TradeStarted',
);
export type TradeStarted = t.TypeOf<typeof TradeStarted>;

export const SagaLine = t.readonly(t.strict({ sku: Sku, quantity: Quantity }), 'SagaLine');
export type SagaLine = t.TypeOf<typeof SagaLine>;

/**
 * The token is kept because the saga must be able to (re)ask for authorization after a restart. `customerId` goes
 * with the stock reservations (purchase limits) and the coupon's; `couponCode` when the order was placed with a coupon.
 * Both are absent on sagas started before they were recorded. `defaultLimit` is the order's channel's purchase limit
 * per customer, handed to each stock reservation (absent: the SKU's own limit only).
 */
export const FulfilmentStarted = t.intersection(
  [
    t.readonly(
      t.strict({
        type: t.literal('FulfilmentStarted'),
        orderId: OrderId,
        lines: t.readonlyArray(SagaLine),
        total: Money,
        paymentToken: PaymentToken,
        reservationExpiresAt: Timestamp,
        paymentTimeout: FulfilmentDeadline,
        at: Timestamp,
      }),
    ),
    t.readonly(
      t.exact(
        t.partial({ customerId: CustomerId, couponCode: CouponCode, defaultLimit: PurchaseLimit, trade: TradeStarted }),
      ),
    ),
  ],
  'FulfilmentStarted',
);
export type FulfilmentStarted = t.TypeOf<typeof FulfilmentStarted>;

/**
 * `allocation`: where the line's units are held, when not all in `main` (the shipment plan made once every line is
 * reserved depends on it, and the reservation is not fed back again).
 */
export const LineReserved = t.intersection(
  [
    t.readonly(t.strict({ type: t.literal('LineReserved'), orderId: OrderId, sku: Sku, at: Timestamp })),
    t.readonly(t.exact(t.partial({ allocation: Allocation }))),
  ],
  'LineReserved',
);
export type LineReserved = t.TypeOf<typeof LineReserved>;

/**
 * The coupon is reserved while some line still is not (ADR 0012: a later decision depends on it). When it is the
 * last thing the saga waited for, the authorization request records it instead.
 */
export const CouponHeld = t.readonly(
  t.strict({ type: t.literal('CouponHeld'), orderId: OrderId, code: CouponCode, at: Timestamp }),
  'CouponHeld',
);
export type CouponHeld = t.TypeOf<typeof CouponHeld>;

export const ReservationRejected = t.readonly(
  t.strict({
    type: t.literal('ReservationRejected'),
    orderId: OrderId,
    sku: Sku,
    commandId: t.string,
    code: t.string,
    at: Timestamp,
  }),
  'ReservationRejected',
);
export type ReservationRejected = t.TypeOf<typeof ReservationRejected>;

/**
 * `attempt` numbers the requests (1 = first); each has its own command id and provider idempotency key. `part`:
 * a pre-sale's deposit (absent: the order's single charge). `shipments`, on the request that follows the last
 * reservation when the order's stock is in several warehouses: the plan sent to the order centre with it.
 */
export const AuthorizationRequested = t.intersection(
  [
    t.readonly(
      t.strict({
        type: t.literal('AuthorizationRequested'),
        orderId: OrderId,
        attempt: Attempt,
        amount: Money,
        paymentToken: PaymentToken,
        at: Timestamp,
      }),
    ),
    t.readonly(t.exact(t.partial({ part: t.literal('deposit'), shipments: ShipmentPlan }))),
  ],
  'AuthorizationRequested',
);
export type AuthorizationRequested = t.TypeOf<typeof AuthorizationRequested>;

/** `retry` is the deadline of the next attempt, or null when the retries are used up. */
export const AuthorizationFailed = t.readonly(
  t.strict({
    type: t.literal('AuthorizationFailed'),
    orderId: OrderId,
    attempt: Attempt,
    message: ProviderText,
    retry: t.union([FulfilmentDeadline, t.null]),
    at: Timestamp,
  }),
  'AuthorizationFailed',
);
export type AuthorizationFailed = t.TypeOf<typeof AuthorizationFailed>;

/** Confirms the order and captures the payment; `redeemCoupon` names the coupon the order's reservation redeems. */
export const PaymentApproved = t.intersection(
  [
    t.readonly(
      t.strict({
        type: t.literal('PaymentApproved'),
        orderId: OrderId,
        amount: Money,
        authorizationId: ProviderText,
        cancelDeadlines: t.readonlyArray(t.string),
        at: Timestamp,
      }),
    ),
    t.readonly(t.exact(t.partial({ redeemCoupon: CouponCode }))),
  ],
  'PaymentApproved',
);
export type PaymentApproved = t.TypeOf<typeof PaymentApproved>;

export const CaptureRecorded = t.readonly(
  t.strict({ type: t.literal('CaptureRecorded'), orderId: OrderId, amount: Money, at: Timestamp }),
  'CaptureRecorded',
);
export type CaptureRecorded = t.TypeOf<typeof CaptureRecorded>;

export const OrderConfirmationRecorded = t.readonly(
  t.strict({ type: t.literal('OrderConfirmationRecorded'), orderId: OrderId, paid: Money, at: Timestamp }),
  'OrderConfirmationRecorded',
);
export type OrderConfirmationRecorded = t.TypeOf<typeof OrderConfirmationRecorded>;

/** The order (or, with `warehouse`, that warehouse's shipment of a split order) left: its reservations are committed. */
export const ShipmentRecorded = t.intersection(
  [
    t.readonly(
      t.strict({ type: t.literal('ShipmentRecorded'), orderId: OrderId, commit: t.readonlyArray(Sku), at: Timestamp }),
    ),
    t.readonly(t.exact(t.partial({ warehouse: WarehouseId }))),
  ],
  'ShipmentRecorded',
);
export type ShipmentRecorded = t.TypeOf<typeof ShipmentRecorded>;

/**
 * The saga gave up on the order (or the customer did). It releases the reservations known to be held, voids an
 * authorization that may exist, and cancels the order when the saga made the decision. Reservations and
 * authorizations that only show up later are compensated by the Late… events.
 */
export const CompensationStarted = t.intersection(
  [
    t.readonly(
      t.strict({
        type: t.literal('CompensationStarted'),
        orderId: OrderId,
        reason: Reason,
        by: CancelledBy,
        release: t.readonlyArray(Sku),
        voidPayment: t.boolean,
        cancelDeadlines: t.readonlyArray(t.string),
        at: Timestamp,
      }),
    ),
    /**
     * the coupon the order holds (reserved, or redeemed by a confirmed order), given back; `voidBalance`: a
     * pre-sale's balance authorization may be with the provider, it is voided (the captured deposit is not)
     */
    t.readonly(t.exact(t.partial({ releaseCoupon: CouponCode, voidBalance: t.literal(true) }))),
  ],
  'CompensationStarted',
);
export type CompensationStarted = t.TypeOf<typeof CompensationStarted>;

export const LateReservationReleased = t.readonly(
  t.strict({ type: t.literal('LateReservationReleased'), orderId: OrderId, sku: Sku, reason: Reason, at: Timestamp }),
  'LateReservationReleased',
);
export type LateReservationReleased = t.TypeOf<typeof LateReservationReleased>;

/** The coupon's reservation landed after the saga gave up: it is given back. */
export const LateCouponReleased = t.readonly(
  t.strict({
    type: t.literal('LateCouponReleased'),
    orderId: OrderId,
    code: CouponCode,
    reason: Reason,
    at: Timestamp,
  }),
  'LateCouponReleased',
);
export type LateCouponReleased = t.TypeOf<typeof LateCouponReleased>;

/** An authorization outcome (approval, or a provider error leaving the payment pending) landed after the saga gave up. */
export const LateAuthorizationVoided = t.intersection(
  [
    t.readonly(
      t.strict({
        type: t.literal('LateAuthorizationVoided'),
        orderId: OrderId,
        amount: Money,
        /** null when the late outcome was a provider error: nothing is held, but the payment is closed all the same */
        authorizationId: t.union([ProviderText, t.null]),
        reason: Reason,
        at: Timestamp,
      }),
    ),
    /** a pre-sale's balance approved after the saga gave up: only the balance is voided */
    t.readonly(t.exact(t.partial({ part: t.literal('balance') }))),
  ],
  'LateAuthorizationVoided',
);
export type LateAuthorizationVoided = t.TypeOf<typeof LateAuthorizationVoided>;

/** Money captured for an order that is cancelled goes back; `attempt` numbers the provider calls. */
export const CaptureRefundRequested = t.readonly(
  t.strict({
    type: t.literal('CaptureRefundRequested'),
    orderId: OrderId,
    refundId: RefundId,
    amount: Money,
    attempt: Attempt,
    at: Timestamp,
  }),
  'CaptureRefundRequested',
);
export type CaptureRefundRequested = t.TypeOf<typeof CaptureRefundRequested>;

export const CaptureRefundFailed = t.readonly(
  t.strict({
    type: t.literal('CaptureRefundFailed'),
    orderId: OrderId,
    refundId: RefundId,
    attempt: Attempt,
    message: ProviderText,
    retry: t.union([FulfilmentDeadline, t.null]),
    at: Timestamp,
  }),
  'CaptureRefundFailed',
);
export type CaptureRefundFailed = t.TypeOf<typeof CaptureRefundFailed>;

export const CaptureRefunded = t.readonly(
  t.strict({
    type: t.literal('CaptureRefunded'),
    orderId: OrderId,
    refundId: RefundId,
    providerRefundId: ProviderText,
    at: Timestamp,
  }),
  'CaptureRefunded',
);
export type CaptureRefunded = t.TypeOf<typeof CaptureRefunded>;

/** Kept so a rejection fed back twice (a re-send after a crash) is recognised, and shown as the last error. */
export const CommandRejectionRecorded = t.readonly(
  t.strict({
    type: t.literal('CommandRejectionRecorded'),
    orderId: OrderId,
    commandId: t.string,
    code: t.string,
    at: Timestamp,
  }),
  'CommandRejectionRecorded',
);
export type CommandRejectionRecorded = t.TypeOf<typeof CommandRejectionRecorded>;

// ---------------------------------------------------------------------------------------------------------------
// pre-sale (domain/sagas/presale.ts)

/**
 * The deposit is approved: it is captured and recorded on the order, the payment timeout no longer applies, and the
 * saga waits for the customer to pay the balance (the balance deadline stays set).
 */
export const DepositApproved = t.readonly(
  t.strict({
    type: t.literal('DepositApproved'),
    orderId: OrderId,
    amount: Money,
    authorizationId: ProviderText,
    cancelDeadlines: t.readonlyArray(t.string),
    at: Timestamp,
  }),
  'DepositApproved',
);
export type DepositApproved = t.TypeOf<typeof DepositApproved>;

/** The customer asked to pay the balance (the order's try `attempt`): it is authorized with the token given. */
export const BalanceAuthorizationRequested = t.readonly(
  t.strict({
    type: t.literal('BalanceAuthorizationRequested'),
    orderId: OrderId,
    attempt: Attempt,
    amount: Money,
    paymentToken: PaymentToken,
    at: Timestamp,
  }),
  'BalanceAuthorizationRequested',
);
export type BalanceAuthorizationRequested = t.TypeOf<typeof BalanceAuthorizationRequested>;

/** The balance was declined (or the provider failed): the window stays open for another try until the deadline. */
export const BalanceAttemptFailed = t.readonly(
  t.strict({
    type: t.literal('BalanceAttemptFailed'),
    orderId: OrderId,
    attempt: Attempt,
    message: t.string,
    at: Timestamp,
  }),
  'BalanceAttemptFailed',
);
export type BalanceAttemptFailed = t.TypeOf<typeof BalanceAttemptFailed>;

/** The balance is approved: the order is confirmed with deposit and balance paid, the balance captured. */
export const BalanceApproved = t.intersection(
  [
    t.readonly(
      t.strict({
        type: t.literal('BalanceApproved'),
        orderId: OrderId,
        amount: Money,
        authorizationId: ProviderText,
        paid: Money,
        cancelDeadlines: t.readonlyArray(t.string),
        at: Timestamp,
      }),
    ),
    t.readonly(t.exact(t.partial({ redeemCoupon: CouponCode }))),
  ],
  'BalanceApproved',
);
export type BalanceApproved = t.TypeOf<typeof BalanceApproved>;

// ---------------------------------------------------------------------------------------------------------------
// cash on delivery (domain/sagas/cash-on-delivery.ts)

/**
 * Every line (and the coupon) is held: the order is confirmed with nothing paid. It records the last reservation as
 * AuthorizationRequested does in the standard flow (and carries the shipment plan as it does); the timeout that
 * guarded the reservations no longer applies.
 */
export const CodConfirmed = t.intersection(
  [
    t.readonly(
      t.strict({
        type: t.literal('CodConfirmed'),
        orderId: OrderId,
        /** zero: what the order is confirmed with (in its currency) */
        paid: Money,
        cancelDeadlines: t.readonlyArray(t.string),
        at: Timestamp,
      }),
    ),
    t.readonly(t.exact(t.partial({ redeemCoupon: CouponCode, shipments: ShipmentPlan }))),
  ],
  'CodConfirmed',
);
export type CodConfirmed = t.TypeOf<typeof CodConfirmed>;

/** The order was delivered and paid in cash: its reservations are committed, the cash recorded. */
export const DeliveryRecorded = t.readonly(
  t.strict({
    type: t.literal('DeliveryRecorded'),
    orderId: OrderId,
    commit: t.readonlyArray(Sku),
    collected: Money,
    at: Timestamp,
  }),
  'DeliveryRecorded',
);
export type DeliveryRecorded = t.TypeOf<typeof DeliveryRecorded>;

/** The events of the trade types' branches. */
export type TradeEvent =
  | DepositApproved
  | BalanceAuthorizationRequested
  | BalanceAttemptFailed
  | BalanceApproved
  | CodConfirmed
  | DeliveryRecorded;

export const FulfilmentEvent = t.union(
  [
    FulfilmentStarted,
    LineReserved,
    CouponHeld,
    ReservationRejected,
    AuthorizationRequested,
    AuthorizationFailed,
    PaymentApproved,
    CaptureRecorded,
    OrderConfirmationRecorded,
    ShipmentRecorded,
    CompensationStarted,
    LateReservationReleased,
    LateCouponReleased,
    LateAuthorizationVoided,
    CaptureRefundRequested,
    CaptureRefundFailed,
    CaptureRefunded,
    CommandRejectionRecorded,
    DepositApproved,
    BalanceAuthorizationRequested,
    BalanceAttemptFailed,
    BalanceApproved,
    CodConfirmed,
    DeliveryRecorded,
  ],
  'FulfilmentEvent',
);
export type FulfilmentEvent = t.TypeOf<typeof FulfilmentEvent>;

export const fulfilmentEvents = eventRegistry<FulfilmentEvent>(
  {
    FulfilmentStarted: { version: 1, codec: FulfilmentStarted },
    LineReserved: { version: 1, codec: LineReserved },
    CouponHeld: { version: 1, codec: CouponHeld },
    ReservationRejected: { version: 1, codec: ReservationRejected },
    AuthorizationRequested: { version: 1, codec: AuthorizationRequested },
    AuthorizationFailed: { version: 1, codec: AuthorizationFailed },
    PaymentApproved: { version: 1, codec: PaymentApproved },
    CaptureRecorded: { version: 1, codec: CaptureRecorded },
    OrderConfirmationRecorded: { version: 1, codec: OrderConfirmationRecorded },
    ShipmentRecorded: { version: 1, codec: ShipmentRecorded },
    CompensationStarted: { version: 1, codec: CompensationStarted },
    LateReservationReleased: { version: 1, codec: LateReservationReleased },
    LateCouponReleased: { version: 1, codec: LateCouponReleased },
    LateAuthorizationVoided: { version: 1, codec: LateAuthorizationVoided },
    CaptureRefundRequested: { version: 1, codec: CaptureRefundRequested },
    CaptureRefundFailed: { version: 1, codec: CaptureRefundFailed },
    CaptureRefunded: { version: 1, codec: CaptureRefunded },
    CommandRejectionRecorded: { version: 1, codec: CommandRejectionRecorded },
    DepositApproved: { version: 1, codec: DepositApproved },
    BalanceAuthorizationRequested: { version: 1, codec: BalanceAuthorizationRequested },
    BalanceAttemptFailed: { version: 1, codec: BalanceAttemptFailed },
    BalanceApproved: { version: 1, codec: BalanceApproved },
    CodConfirmed: { version: 1, codec: CodConfirmed },
    DeliveryRecorded: { version: 1, codec: DeliveryRecorded },
  },
  [],
);
