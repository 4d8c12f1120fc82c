import type { CouponCode, Money, OrderId, Quantity, Reason, RefundId, Sku, Timestamp, WarehouseId } from '../shared';
import type { Allocation } from '../inventory';
import type { PaymentToken, ShipmentLine } from '../order';
import type { CancelledBy, FulfilmentDeadline } from './fulfilment-events';

/**
 * What the saga knows about one order line's reservation. `released` and `committed` mean the saga sent that
 * command (the runner guarantees delivery); `pending` means ReserveStock is on its way and may still succeed.
 */
export type LineStatus = 'pending' | 'reserved' | 'rejected' | 'released' | 'committed';

export interface LineProgress {
  readonly sku: Sku;
  readonly quantity: Quantity;
  readonly status: LineStatus;
  /** where the units are held, when the reservation said (absent: all in `main`, or not reserved yet) */
  readonly allocation?: Allocation;
}

/** One warehouse's shipment of an order split over several (the plan the saga sent); `shipped` once it left. */
export interface ShipmentProgress {
  readonly warehouse: WarehouseId;
  readonly lines: readonly ShipmentLine[];
  readonly shipped: boolean;
}

/**
 * What the saga knows about the order's coupon. `pending`: ReserveCoupon is on its way; `redeemed` and `released`
 * mean the saga sent that command; `rejected`: the coupon centre refused the reservation.
 */
export type CouponStatus = 'pending' | 'reserved' | 'rejected' | 'redeemed' | 'released';

export interface CouponProgress {
  readonly code: CouponCode;
  readonly status: CouponStatus;
}

/** Giving back money that was captured for an order that ended up cancelled. */
export interface CaptureRefund {
  readonly refundId: RefundId;
  readonly amount: Money;
  /** provider calls made so far */
  readonly attempt: number;
  readonly status: 'requested' | 'awaiting_retry' | 'refunded' | 'failed';
}

/**
 * The order's trade type when it is not the standard one. Cash on delivery needs nothing more; a pre-sale knows its
 * deposit, what becomes of it when the balance is late, and the order's balance try it is handling (0: none yet).
 */
export type TradeProgress =
  | { readonly type: 'cod' }
  | {
      readonly type: 'presale';
      readonly deposit: Money;
      readonly lateBalance: 'keepDeposit' | 'refundDeposit';
      readonly balanceAttempt: number;
    };

export interface FulfilmentData {
  /** absent: a standard order */
  readonly trade?: TradeProgress;
  readonly orderId: OrderId;
  readonly total: Money;
  readonly paymentToken: PaymentToken;
  readonly startedAt: Timestamp;
  readonly reservationExpiresAt: Timestamp;
  readonly lines: readonly LineProgress[];
  /** the shipments planned when the reservations span several warehouses (absent: the order ships whole) */
  readonly shipments?: readonly ShipmentProgress[];
  /** null: the order was placed without a coupon */
  readonly coupon: CouponProgress | null;
  /** authorization requests sent so far (0: none, so there is nothing to void) */
  readonly authorizationAttempts: number;
  /** provider errors seen for those requests */
  readonly authorizationFailures: number;
  readonly authorization: { readonly amount: Money; readonly authorizationId: string } | null;
  /** a second void was sent for an authorization outcome that landed after the saga gave up */
  readonly lateVoidSent: boolean;
  readonly captured: Money | null;
  readonly refund: CaptureRefund | null;
  /** deadlines set and neither fired nor cancelled */
  readonly deadlines: readonly FulfilmentDeadline[];
  /** rejections already taken into account, so a rejection fed back twice changes nothing */
  readonly rejectedCommands: readonly string[];
  readonly lastError: string | null;
}

export interface FulfilmentNotStarted {
  readonly status: 'NotStarted';
}
/** ReserveStock sent for every line (and ReserveCoupon); waiting until all are reserved (or one is rejected). */
export interface FulfilmentReserving extends FulfilmentData {
  readonly status: 'Reserving';
}
/** Every line is reserved; authorization attempt `authorizationAttempts` is with the provider. */
export interface FulfilmentAuthorizing extends FulfilmentData {
  readonly status: 'Authorizing';
}
/** The provider failed; a retry deadline is set. */
export interface FulfilmentAwaitingRetry extends FulfilmentData {
  readonly status: 'AwaitingRetry';
}
interface PaidData extends FulfilmentData {
  readonly paid: Money;
  readonly confirmedAt: Timestamp;
}
/**
 * Authorized: ConfirmOrder and CapturePayment are sent (the runner delivers them); stock is held until shipment.
 * Cash on delivery: confirmed with nothing paid (`paid` zero), stock held until delivery.
 */
export interface FulfilmentConfirmed extends PaidData {
  readonly status: 'Confirmed';
}
/** Pre-sale: the deposit is approved (captured, recorded on the order); waiting for the customer to pay the balance. */
export interface FulfilmentAwaitingBalance extends FulfilmentData {
  readonly status: 'AwaitingBalance';
}
/** Pre-sale: the balance try `trade.balanceAttempt` is with the provider. */
export interface FulfilmentAuthorizingBalance extends FulfilmentData {
  readonly status: 'AuthorizingBalance';
}
/** Shipped (cash on delivery: delivered): every reservation is committed. Nothing is left to do; refunds have sagas of their own. */
export interface FulfilmentCompleted extends PaidData {
  readonly status: 'Completed';
  readonly shippedAt: Timestamp;
}
interface CancellationData extends FulfilmentData {
  readonly reason: Reason;
  readonly by: CancelledBy;
  readonly cancelledAt: Timestamp;
}
/** Cancelled, but captured money is still on its way back. */
export interface FulfilmentCompensating extends CancellationData {
  readonly status: 'Compensating';
}
/** Cancelled and compensated: reservations released, authorization voided, captured money refunded. */
export interface FulfilmentCancelled extends CancellationData {
  readonly status: 'Cancelled';
}
/** Cancelled, but the refund of captured money failed for good: an operator must act (see `lastError`). */
export interface FulfilmentFailed extends CancellationData {
  readonly status: 'Failed';
}

export type StartedFulfilment =
  | FulfilmentReserving
  | FulfilmentAuthorizing
  | FulfilmentAwaitingRetry
  | FulfilmentAwaitingBalance
  | FulfilmentAuthorizingBalance
  | FulfilmentConfirmed
  | FulfilmentCompleted
  | FulfilmentCompensating
  | FulfilmentCancelled
  | FulfilmentFailed;

export type FulfilmentState = FulfilmentNotStarted | StartedFulfilment;

export type FulfilmentStatus = FulfilmentState['status'];

export type InFlight = FulfilmentReserving | FulfilmentAuthorizing | FulfilmentAwaitingRetry;
export type GivenUp = FulfilmentCompensating | FulfilmentCancelled | FulfilmentFailed;
