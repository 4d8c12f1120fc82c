import { paymentToken, type OrderCancelled, type OrderPlaced } from '../../domain/order';
import type { StockReserved } from '../../domain/inventory';
import type { CouponReserved } from '../../domain/pricing';
import type {
  PaymentAuthorizationFailed,
  PaymentAuthorized,
  PaymentCaptured,
  PaymentDeclined,
  PaymentRefunded,
  PaymentRefundFailed,
} from '../../domain/payment';
import {
  cancellationRefundId,
  fulfilmentCommandIds,
  plusMs,
  type CommandRejected,
  type DeadlineReached,
  type FulfilmentConfig,
  type OutgoingCommand,
} from '../../domain/sagas';
import {
  couponCode,
  currency,
  customerId,
  name,
  promotionId,
  money,
  nonNegativeInt,
  orderId,
  quantity,
  reason,
  sku,
  timestamp,
  type Money,
  type Reason,
  type Sku,
  type Timestamp,
} from '../../domain/shared';

/** One order of three lines (A×1 at 10.00, B×2 at 1.00, C×1 at 2.00 EUR: 14.00), placed at T0, and the facts around it. */
export const EUR = currency('EUR');
export const eur = (amount: number): Money => money(amount, EUR);
export const order = orderId('o-1');
export const [A, B, C] = ['A', 'B', 'C'].map((s) => sku(s)) as [Sku, Sku, Sku];
export const T0 = timestamp('2026-03-01T10:00:00.000Z');
export const at = (seconds: number): Timestamp => plusMs(T0, seconds * 1000);
export const total = eur(1400);

export const config: FulfilmentConfig = {
  paymentTimeoutMs: 15 * 60_000,
  reservationTtlMs: 30 * 60_000,
  maxProviderRetries: 2,
  retryBackoffMs: [1_000, 5_000],
};
export const timeoutAt = plusMs(T0, config.paymentTimeoutMs);
export const expiresAt = plusMs(T0, config.reservationTtlMs);

const lineOf = (s: Sku, qty: number, unit: number) => ({
  sku: s,
  quantity: quantity(qty),
  unitPrice: eur(unit),
  lineTotal: eur(unit * qty),
});

export const placed: OrderPlaced = {
  type: 'OrderPlaced',
  orderId: order,
  customerId: customerId('c-1'),
  currency: EUR,
  lines: [lineOf(A, 1, 1000), lineOf(B, 2, 100), lineOf(C, 1, 200)],
  total,
  paymentToken: paymentToken('tok_approve'),
  at: T0,
};

/**
 * The same order placed with coupon SAVE10: A listed at 11.00 with 1.00 off through the coupon, so it still costs
 * 14.00 and every payment fixture fits it.
 */
export const SAVE10 = couponCode('SAVE10');
export const placedWithCoupon: OrderPlaced = {
  ...placed,
  lines: [{ ...lineOf(A, 1, 1100), discount: eur(100), lineTotal: eur(1000) }, lineOf(B, 2, 100), lineOf(C, 1, 200)],
  pricing: {
    listTotal: eur(1500),
    discount: eur(100),
    promotions: [{ promotionId: promotionId('save-10'), name: name('1.00 off'), amount: eur(100), viaCoupon: true }],
    couponCode: SAVE10,
  },
};

export const quantities: Readonly<Record<string, number>> = { A: 1, B: 2, C: 1 };

export const reserved = (s: Sku, when = at(1)): StockReserved => ({
  type: 'StockReserved',
  sku: s,
  orderId: order,
  quantity: quantity(quantities[s] ?? 1),
  expiresAt,
  available: nonNegativeInt(5),
  at: when,
});

export const rejected = (commandId: string, code: string, when = at(1)): CommandRejected => ({
  type: 'CommandRejected',
  commandId,
  code,
  at: when,
});

export const authorized = (when = at(3)): PaymentAuthorized => ({
  type: 'PaymentAuthorized',
  orderId: order,
  amount: total,
  authorizationId: 'auth_1',
  at: when,
});

export const declined = (when = at(3)): PaymentDeclined => ({
  type: 'PaymentDeclined',
  orderId: order,
  amount: total,
  declineCode: 'card_declined',
  at: when,
});

export const authorizationFailed = (attempt: number, when = at(3)): PaymentAuthorizationFailed => ({
  type: 'PaymentAuthorizationFailed',
  orderId: order,
  amount: total,
  message: 'gateway timeout',
  attempt,
  at: when,
});

export const captured = (when = at(4)): PaymentCaptured => ({
  type: 'PaymentCaptured',
  orderId: order,
  amount: total,
  at: when,
});

export const refunded = (when = at(10)): PaymentRefunded => ({
  type: 'PaymentRefunded',
  orderId: order,
  refundId: cancellationRefundId,
  amount: total,
  providerRefundId: 're_1',
  at: when,
});

export const refundFailed = (attempt: number, when = at(10)): PaymentRefundFailed => ({
  type: 'PaymentRefundFailed',
  orderId: order,
  refundId: cancellationRefundId,
  amount: total,
  message: 'provider unavailable',
  attempt,
  at: when,
});

export const customerCancelled = (wasPaid = eur(0), when = at(5)): OrderCancelled => ({
  type: 'OrderCancelled',
  orderId: order,
  reason: reason('changed my mind'),
  wasPaid,
  at: when,
});

export const sagaCancelled = (why: Reason, when = at(5)): OrderCancelled => ({
  type: 'OrderCancelled',
  orderId: order,
  reason: why,
  wasPaid: eur(0),
  at: when,
});

export const deadline = (deadlineId: string, now: Timestamp): DeadlineReached => ({
  type: 'DeadlineReached',
  deadlineId,
  now,
});

// ---------------------------------------------------------------------------------------------------------------
// the commands the saga is expected to send

const ids = fulfilmentCommandIds;

export const reserve = (s: Sku): OutgoingCommand => ({
  target: 'inventory',
  commandId: ids.reserve(order, s),
  command: {
    type: 'ReserveStock',
    sku: s,
    orderId: order,
    quantity: quantity(quantities[s] ?? 1),
    expiresAt,
    customerId: placed.customerId,
    at: T0,
  },
});

export const couponReserved = (when = at(1)): CouponReserved => ({
  type: 'CouponReserved',
  code: SAVE10,
  orderId: order,
  customerId: placed.customerId,
  at: when,
});

export const reserveCoupon = (): OutgoingCommand => ({
  target: 'coupon',
  commandId: ids.reserveCoupon(order),
  command: { type: 'ReserveCoupon', code: SAVE10, orderId: order, customerId: placed.customerId, at: T0 },
});

export const redeemCoupon = (when = at(3)): OutgoingCommand => ({
  target: 'coupon',
  commandId: ids.redeemCoupon(order),
  command: { type: 'RedeemCoupon', code: SAVE10, orderId: order, at: when },
});

export const releaseCoupon = (why: Reason, when: Timestamp): OutgoingCommand => ({
  target: 'coupon',
  commandId: ids.releaseCoupon(order),
  command: { type: 'ReleaseCoupon', code: SAVE10, orderId: order, reason: why, at: when },
});

export const authorize = (attempt: number, when: Timestamp): OutgoingCommand => ({
  target: 'payment',
  commandId: ids.authorize(order, attempt),
  command: { type: 'AuthorizePaymentRequest', orderId: order, amount: total, token: 'tok_approve', at: when },
});

export const confirm = (when = at(3)): OutgoingCommand => ({
  target: 'order',
  commandId: ids.confirm(order),
  command: { type: 'ConfirmOrder', orderId: order, paid: total, at: when },
});

export const capture = (when = at(3)): OutgoingCommand => ({
  target: 'payment',
  commandId: ids.capture(order),
  command: { type: 'CapturePayment', orderId: order, amount: total, at: when },
});

export const release = (s: Sku, why: Reason, when: Timestamp): OutgoingCommand => ({
  target: 'inventory',
  commandId: ids.release(order, s),
  command: { type: 'ReleaseReservation', sku: s, orderId: order, reason: why, at: when },
});

export const voidPayment = (why: Reason, when: Timestamp, late = false): OutgoingCommand => ({
  target: 'payment',
  commandId: late ? ids.voidLate(order) : ids.void(order),
  command: { type: 'VoidPayment', orderId: order, reason: why, at: when },
});

export const cancel = (why: Reason, when: Timestamp): OutgoingCommand => ({
  target: 'order',
  commandId: ids.cancel(order),
  command: { type: 'CancelOrder', orderId: order, reason: why, at: when },
});

export const commit = (s: Sku, when: Timestamp): OutgoingCommand => ({
  target: 'inventory',
  commandId: ids.commit(order, s),
  command: { type: 'CommitReservation', sku: s, orderId: order, at: when },
});

export const refundCapture = (attempt: number, when: Timestamp): OutgoingCommand => ({
  target: 'payment',
  commandId: ids.refund(order, attempt),
  command: { type: 'RefundPaymentRequest', orderId: order, refundId: cancellationRefundId, amount: total, at: when },
});
