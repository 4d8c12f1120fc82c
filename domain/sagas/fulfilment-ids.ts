import { reason, refundId, type CouponCode, type OrderId, type Sku, type Timestamp, type WarehouseId } from '../shared';
import type { OutgoingCommand } from './saga';

/** The fulfilment saga's ids and reasons, shared by the standard flow and the trade types' branches. */

export const fulfilmentSagaId = (orderId: OrderId): string => `saga-fulfilment-${orderId}`;

/** Deterministic ids: the same step of the same saga always sends the same command id. */
export const fulfilmentCommandIds = {
  reserve: (orderId: OrderId, sku: Sku): string => `${fulfilmentSagaId(orderId)}:reserve:${sku}`,
  authorize: (orderId: OrderId, attempt: number): string => `${fulfilmentSagaId(orderId)}:authorize:${attempt}`,
  confirm: (orderId: OrderId): string => `${fulfilmentSagaId(orderId)}:confirm`,
  capture: (orderId: OrderId): string => `${fulfilmentSagaId(orderId)}:capture`,
  commit: (orderId: OrderId, sku: Sku): string => `${fulfilmentSagaId(orderId)}:commit:${sku}`,
  /** a split order: the shipments sent to the order centre, and each shipment's part of a line committed */
  planShipments: (orderId: OrderId): string => `${fulfilmentSagaId(orderId)}:plan-shipments`,
  commitShipment: (orderId: OrderId, warehouse: WarehouseId, sku: Sku): string =>
    `${fulfilmentSagaId(orderId)}:commit:${warehouse}:${sku}`,
  release: (orderId: OrderId, sku: Sku): string => `${fulfilmentSagaId(orderId)}:release:${sku}`,
  void: (orderId: OrderId): string => `${fulfilmentSagaId(orderId)}:void`,
  /** a second void, for an authorization that landed after the first void was sent */
  voidLate: (orderId: OrderId): string => `${fulfilmentSagaId(orderId)}:void-late`,
  cancel: (orderId: OrderId): string => `${fulfilmentSagaId(orderId)}:cancel`,
  reserveCoupon: (orderId: OrderId): string => `${fulfilmentSagaId(orderId)}:reserve-coupon`,
  redeemCoupon: (orderId: OrderId): string => `${fulfilmentSagaId(orderId)}:redeem-coupon`,
  releaseCoupon: (orderId: OrderId): string => `${fulfilmentSagaId(orderId)}:release-coupon`,
  refund: (orderId: OrderId, attempt: number): string => `${fulfilmentSagaId(orderId)}:refund:${attempt}`,
  /** pre-sale: the deposit recorded on the order, the balance's authorization tries, capture and voids */
  recordDeposit: (orderId: OrderId): string => `${fulfilmentSagaId(orderId)}:record-deposit`,
  authorizeBalance: (orderId: OrderId, attempt: number): string =>
    `${fulfilmentSagaId(orderId)}:authorize-balance:${attempt}`,
  captureBalance: (orderId: OrderId): string => `${fulfilmentSagaId(orderId)}:capture-balance`,
  voidBalance: (orderId: OrderId): string => `${fulfilmentSagaId(orderId)}:void-balance`,
  voidBalanceLate: (orderId: OrderId): string => `${fulfilmentSagaId(orderId)}:void-balance-late`,
  /** cash on delivery: the cash collected, recorded by the payment centre */
  recordCash: (orderId: OrderId): string => `${fulfilmentSagaId(orderId)}:record-cash`,
} as const;

export const fulfilmentDeadlineIds = {
  paymentTimeout: 'payment-timeout',
  authorizationRetry: (attempt: number): string => `authorization-retry-${attempt}`,
  captureRefundRetry: (attempt: number): string => `capture-refund-retry-${attempt}`,
  /** pre-sale: the end of the balance window */
  balanceDeadline: 'balance-deadline',
} as const;

/** Reasons the saga gives when it cancels an order; a customer's cancellation keeps the customer's reason. */
export const fulfilmentCancelReasons = {
  outOfStock: reason('out_of_stock'),
  reservationFailed: reason('reservation_failed'),
  paymentDeclined: reason('payment_declined'),
  paymentError: reason('payment_error'),
  paymentTimeout: reason('payment_timeout'),
  couponUnavailable: reason('coupon_unavailable'),
  purchaseLimitExceeded: reason('purchase_limit_exceeded'),
  /** pre-sale: the balance window closed unpaid */
  balanceNotPaid: reason('balance_not_paid'),
  /** cash on delivery: refused at the door */
  deliveryRefused: reason('delivery_refused'),
} as const;

/**
 * Refund id for giving back a capture when a paid order is cancelled. Refund ids are per order (the order and
 * payment centres key refunds by order), so one fixed id is unique; the order centre refuses refund requests on
 * a cancelled order, so no customer refund can follow it.
 */
export const cancellationRefundId = refundId('order-cancellation');

/** Redeeming the order's coupon, if it has one: sent with the confirmation, whichever trade type confirms. */
export const couponRedemption = (
  orderId: OrderId,
  code: CouponCode | undefined,
  at: Timestamp,
): readonly OutgoingCommand[] =>
  code === undefined
    ? []
    : [
        {
          target: 'coupon',
          commandId: fulfilmentCommandIds.redeemCoupon(orderId),
          command: { type: 'RedeemCoupon', code, orderId, at },
        },
      ];
