import {
  purchaseLimit,
  stockDelta,
  type PurchaseLimitSet,
  type PurchaseReturned,
  type ReservationCommitted,
  type ReservationExpired,
  type ReservationReleased,
  type SkuDefined,
  type SkuUpdated,
  type StockAdjusted,
  type StockReserved,
  type StockRestocked,
} from '../../domain/inventory';
import { builtInDefaultProfile, type ChannelDefined } from '../../domain/channels';
import {
  paymentToken,
  type TradeType,
  type OrderCancelled,
  type OrderConfirmed,
  type OrderPlaced,
  type OrderPricing,
  type OrderShipped,
  type RefundCompleted,
  type RefundFailed,
  type RefundRequested,
  type DepositPaid,
  type BalanceRequested,
  type OrderDelivered,
  type DeliveryRefused,
  type ShipmentShipped,
  type ShipmentsPlanned,
} from '../../domain/order';
import type {
  PaymentAuthorizationFailed,
  PaymentAuthorized,
  PaymentCaptured,
  PaymentDeclined,
  PaymentRefunded,
  PaymentRefundFailed,
  PaymentVoided,
  CashCollected,
} from '../../domain/payment';
import {
  basisPoints,
  couponPerCustomerLimit,
  couponTotalLimit,
  priority,
  unitCount,
  type CouponDefined,
  type CouponRedeemed,
  type CouponReleased,
  type CouponReserved,
  type PromotionDefined,
  type PromotionEnded,
  type PromotionRule,
} from '../../domain/pricing';
import {
  channelId,
  couponCode,
  currency,
  customerId,
  money,
  name,
  nonNegativeInt,
  orderId,
  promotionId,
  quantity,
  reason,
  refundId,
  sku,
  timestamp,
  warehouseId,
  type Currency,
  type Money,
} from '../../domain/shared';

/** Domain events built with the domain's trusted builders; every field can be overridden. */

export const EUR = currency('EUR');
export const USD = currency('USD');
export const eur = (amount: number): Money => money(amount, EUR);
export const usd = (amount: number): Money => money(amount, USD);

/** 2026-03-01 at hh:mm (UTC). */
export const at = (hh: number, mm = 0): ReturnType<typeof timestamp> =>
  timestamp(`2026-03-01T${String(hh).padStart(2, '0')}:${String(mm).padStart(2, '0')}:00.000Z`);

export const O1 = orderId('o-1');
export const O2 = orderId('o-2');
export const A = sku('A-1');
export const B = sku('B-2');
export const R1 = refundId('r-1');
export const R2 = refundId('r-2');

export interface LineSpec {
  readonly sku: string;
  readonly quantity: number;
  readonly unitPrice: number;
}

/** Two of A at 10.00 and one of B at 5.00: 25.00 in all. */
export const defaultLines: readonly LineSpec[] = [
  { sku: A, quantity: 2, unitPrice: 1000 },
  { sku: B, quantity: 1, unitPrice: 500 },
];

export interface PromotionSpec {
  readonly promotionId: string;
  readonly amount: number;
  readonly name?: string;
  readonly viaCoupon?: boolean;
}

/** The breakdown of an order whose promotions took `promotions` off a list total, in `cur`. */
export const pricingOf = (
  cur: Currency,
  listTotal: number,
  promotions: readonly PromotionSpec[],
  coupon?: string,
): OrderPricing => ({
  listTotal: money(listTotal, cur),
  discount: money(
    promotions.reduce((sum, p) => sum + p.amount, 0),
    cur,
  ),
  promotions: promotions.map((p) => ({
    promotionId: promotionId(p.promotionId),
    name: name(p.name ?? p.promotionId),
    amount: money(p.amount, cur),
    viaCoupon: p.viaCoupon ?? false,
  })),
  ...(coupon === undefined ? {} : { couponCode: couponCode(coupon) }),
});

/** `promotions`: the order was priced with these (the whole discount comes off its first line). */
export const orderPlaced = (
  o: {
    orderId?: string;
    customer?: string;
    cur?: Currency;
    lines?: readonly LineSpec[];
    promotions?: readonly PromotionSpec[];
    coupon?: string;
    channel?: string;
    tradeType?: TradeType;
    at?: string;
  } = {},
): OrderPlaced => {
  const cur = o.cur ?? EUR;
  const listed = (o.lines ?? defaultLines).map((l) => ({ ...l, listTotal: l.unitPrice * l.quantity }));
  const pricing =
    o.promotions === undefined
      ? undefined
      : pricingOf(
          cur,
          listed.reduce((sum, l) => sum + l.listTotal, 0),
          o.promotions,
          o.coupon,
        );
  const discount = pricing?.discount.amount ?? 0;
  const lines = listed.map((l, i) => ({
    sku: sku(l.sku),
    quantity: quantity(l.quantity),
    unitPrice: money(l.unitPrice, cur),
    lineTotal: money(l.listTotal - (i === 0 ? discount : 0), cur),
    ...(i === 0 && discount > 0 ? { discount: money(discount, cur) } : {}),
  }));
  return {
    type: 'OrderPlaced',
    orderId: orderId(o.orderId ?? O1),
    customerId: customerId(o.customer ?? 'c-1'),
    currency: cur,
    lines,
    total: money(
      lines.reduce((sum, l) => sum + l.lineTotal.amount, 0),
      cur,
    ),
    paymentToken: paymentToken('tok_visa'),
    at: timestamp(o.at ?? at(10)),
    ...(pricing === undefined ? {} : { pricing }),
    ...(o.channel === undefined ? {} : { channel: channelId(o.channel) }),
    ...(o.tradeType === undefined ? {} : { tradeType: o.tradeType }),
  };
};

export const orderConfirmed = (
  o: { orderId?: string; paid?: Money; channel?: string; at?: string } = {},
): OrderConfirmed => ({
  type: 'OrderConfirmed',
  orderId: orderId(o.orderId ?? O1),
  paid: o.paid ?? eur(2500),
  ...(o.channel === undefined ? {} : { channel: channelId(o.channel) }),
  at: timestamp(o.at ?? at(10, 5)),
});

export const orderShipped = (o: { orderId?: string; at?: string } = {}): OrderShipped => ({
  type: 'OrderShipped',
  orderId: orderId(o.orderId ?? O1),
  at: timestamp(o.at ?? at(12)),
});

/** A split order's plan: `warehouses` each send `quantity` units of the order's line (fixtures' default SKU). */
export const shipmentsPlanned = (
  o: { orderId?: string; warehouses?: readonly string[]; quantity?: number; at?: string } = {},
): ShipmentsPlanned => ({
  type: 'ShipmentsPlanned',
  orderId: orderId(o.orderId ?? O1),
  shipments: (o.warehouses ?? ['east', 'main']).map((w) => ({
    warehouse: warehouseId(w),
    lines: [{ sku: sku(A), quantity: quantity(o.quantity ?? 1) }],
  })),
  at: timestamp(o.at ?? at(11)),
});

export const shipmentShipped = (o: { orderId?: string; warehouse?: string; at?: string } = {}): ShipmentShipped => ({
  type: 'ShipmentShipped',
  orderId: orderId(o.orderId ?? O1),
  warehouse: warehouseId(o.warehouse ?? 'east'),
  at: timestamp(o.at ?? at(12)),
});

/** `pricing`: the placement's breakdown, which the cancellation repeats (see `orderPlaced(…).pricing`). */
export const orderCancelled = (
  o: { orderId?: string; reason?: string; wasPaid?: Money; pricing?: OrderPricing; channel?: string; at?: string } = {},
): OrderCancelled => ({
  type: 'OrderCancelled',
  orderId: orderId(o.orderId ?? O1),
  reason: reason(o.reason ?? 'customer changed their mind'),
  wasPaid: o.wasPaid ?? eur(0),
  at: timestamp(o.at ?? at(11)),
  ...(o.pricing === undefined ? {} : { pricing: o.pricing }),
  ...(o.channel === undefined ? {} : { channel: channelId(o.channel) }),
});

export const refundRequested = (
  o: {
    orderId?: string;
    refundId?: string;
    amount?: Money;
    lines?: readonly { sku: string; quantity: number }[];
    reason?: string;
    at?: string;
  } = {},
): RefundRequested => ({
  type: 'RefundRequested',
  orderId: orderId(o.orderId ?? O1),
  refundId: refundId(o.refundId ?? R1),
  scope: o.lines === undefined ? 'Amount' : 'Lines',
  amount: o.amount ?? eur(1000),
  lines: (o.lines ?? []).map((l) => ({ sku: sku(l.sku), quantity: quantity(l.quantity) })),
  reason: reason(o.reason ?? 'damaged'),
  restock: o.lines !== undefined,
  at: timestamp(o.at ?? at(13)),
});

export const refundCompleted = (
  o: { orderId?: string; refundId?: string; amount?: Money; at?: string } = {},
): RefundCompleted => ({
  type: 'RefundCompleted',
  orderId: orderId(o.orderId ?? O1),
  refundId: refundId(o.refundId ?? R1),
  amount: o.amount ?? eur(1000),
  at: timestamp(o.at ?? at(14)),
});

export const refundFailed = (
  o: { orderId?: string; refundId?: string; reason?: string; at?: string } = {},
): RefundFailed => ({
  type: 'RefundFailed',
  orderId: orderId(o.orderId ?? O1),
  refundId: refundId(o.refundId ?? R1),
  reason: reason(o.reason ?? 'card expired'),
  at: timestamp(o.at ?? at(14)),
});

export const depositPaid = (o: { orderId?: string; amount?: Money; at?: string } = {}): DepositPaid => ({
  type: 'DepositPaid',
  orderId: orderId(o.orderId ?? O1),
  amount: o.amount ?? eur(750),
  at: timestamp(o.at ?? at(10, 5)),
});

export const balanceRequested = (o: { orderId?: string; amount?: Money; at?: string } = {}): BalanceRequested => ({
  type: 'BalanceRequested',
  orderId: orderId(o.orderId ?? O1),
  amount: o.amount ?? eur(1750),
  paymentToken: paymentToken('tok_visa'),
  attempt: nonNegativeInt(1),
  at: timestamp(o.at ?? at(11)),
});

export const orderDelivered = (o: { orderId?: string; collected?: Money; at?: string } = {}): OrderDelivered => ({
  type: 'OrderDelivered',
  orderId: orderId(o.orderId ?? O1),
  collected: o.collected ?? eur(2500),
  at: timestamp(o.at ?? at(12)),
});

export const deliveryRefused = (o: { orderId?: string; at?: string } = {}): DeliveryRefused => ({
  type: 'DeliveryRefused',
  orderId: orderId(o.orderId ?? O1),
  reason: reason('not at home'),
  at: timestamp(o.at ?? at(12)),
});

export const paymentAuthorized = (o: { orderId?: string; amount?: Money; at?: string } = {}): PaymentAuthorized => ({
  type: 'PaymentAuthorized',
  orderId: orderId(o.orderId ?? O1),
  amount: o.amount ?? eur(2500),
  authorizationId: 'auth-1',
  at: timestamp(o.at ?? at(10, 2)),
});

export const paymentDeclined = (o: { orderId?: string; amount?: Money; at?: string } = {}): PaymentDeclined => ({
  type: 'PaymentDeclined',
  orderId: orderId(o.orderId ?? O1),
  amount: o.amount ?? eur(2500),
  declineCode: 'card_declined',
  at: timestamp(o.at ?? at(10, 2)),
});

export const paymentAuthorizationFailed = (
  o: { orderId?: string; amount?: Money; attempt?: number; message?: string; at?: string } = {},
): PaymentAuthorizationFailed => ({
  type: 'PaymentAuthorizationFailed',
  orderId: orderId(o.orderId ?? O1),
  amount: o.amount ?? eur(2500),
  message: o.message ?? 'gateway timeout',
  attempt: o.attempt ?? 1,
  at: timestamp(o.at ?? at(10, 1)),
});

export const paymentCaptured = (o: { orderId?: string; amount?: Money; at?: string } = {}): PaymentCaptured => ({
  type: 'PaymentCaptured',
  orderId: orderId(o.orderId ?? O1),
  amount: o.amount ?? eur(2500),
  at: timestamp(o.at ?? at(10, 4)),
});

export const cashCollected = (o: { orderId?: string; amount?: Money; at?: string } = {}): CashCollected => ({
  type: 'CashCollected',
  orderId: orderId(o.orderId ?? O1),
  amount: o.amount ?? eur(2500),
  at: timestamp(o.at ?? at(12)),
});

export const paymentVoided = (o: { orderId?: string; at?: string } = {}): PaymentVoided => ({
  type: 'PaymentVoided',
  orderId: orderId(o.orderId ?? O1),
  reason: reason('order cancelled'),
  at: timestamp(o.at ?? at(11)),
});

export const paymentRefunded = (
  o: { orderId?: string; refundId?: string; amount?: Money; at?: string } = {},
): PaymentRefunded => ({
  type: 'PaymentRefunded',
  orderId: orderId(o.orderId ?? O1),
  refundId: refundId(o.refundId ?? R1),
  amount: o.amount ?? eur(1000),
  providerRefundId: 're_1',
  at: timestamp(o.at ?? at(13, 30)),
});

export const paymentRefundFailed = (
  o: { orderId?: string; refundId?: string; amount?: Money; attempt?: number; at?: string } = {},
): PaymentRefundFailed => ({
  type: 'PaymentRefundFailed',
  orderId: orderId(o.orderId ?? O1),
  refundId: refundId(o.refundId ?? R1),
  amount: o.amount ?? eur(1000),
  message: 'provider unavailable',
  attempt: o.attempt ?? 1,
  at: timestamp(o.at ?? at(13, 30)),
});

export const skuDefined = (o: { sku?: string; name?: string; unitPrice?: Money; at?: string } = {}): SkuDefined => ({
  type: 'SkuDefined',
  sku: sku(o.sku ?? A),
  name: name(o.name ?? 'Anvil'),
  unitPrice: o.unitPrice ?? eur(1000),
  at: timestamp(o.at ?? at(9)),
});

export const skuUpdated = (o: { sku?: string; name?: string; unitPrice?: Money; at?: string } = {}): SkuUpdated => ({
  type: 'SkuUpdated',
  sku: sku(o.sku ?? A),
  name: name(o.name ?? 'Anvil, heavy'),
  unitPrice: o.unitPrice ?? eur(1200),
  at: timestamp(o.at ?? at(9, 30)),
});

export const stockRestocked = (o: {
  sku?: string;
  quantity?: number;
  onHand: number;
  orderId?: string;
  at?: string;
}): StockRestocked => ({
  type: 'StockRestocked',
  sku: sku(o.sku ?? A),
  quantity: quantity(o.quantity ?? o.onHand),
  onHand: nonNegativeInt(o.onHand),
  ...(o.orderId === undefined ? {} : { orderId: orderId(o.orderId), reason: reason('returned') }),
  at: timestamp(o.at ?? at(9, 10)),
});

export const stockAdjusted = (o: { sku?: string; delta: number; onHand: number; at?: string }): StockAdjusted => ({
  type: 'StockAdjusted',
  sku: sku(o.sku ?? A),
  delta: stockDelta(o.delta),
  onHand: nonNegativeInt(o.onHand),
  reason: reason('stock count'),
  at: timestamp(o.at ?? at(9, 20)),
});

export const stockReserved = (o: {
  sku?: string;
  orderId?: string;
  quantity: number;
  available: number;
  at?: string;
}): StockReserved => ({
  type: 'StockReserved',
  sku: sku(o.sku ?? A),
  orderId: orderId(o.orderId ?? O1),
  quantity: quantity(o.quantity),
  expiresAt: timestamp('2026-03-02T00:00:00.000Z'),
  available: nonNegativeInt(o.available),
  at: timestamp(o.at ?? at(10, 1)),
});

export const reservationReleased = (o: {
  sku?: string;
  orderId?: string;
  quantity: number;
  at?: string;
}): ReservationReleased => ({
  type: 'ReservationReleased',
  sku: sku(o.sku ?? A),
  orderId: orderId(o.orderId ?? O1),
  quantity: quantity(o.quantity),
  reason: reason('payment declined'),
  at: timestamp(o.at ?? at(11)),
});

export const reservationCommitted = (o: {
  sku?: string;
  orderId?: string;
  quantity: number;
  onHand: number;
  at?: string;
}): ReservationCommitted => ({
  type: 'ReservationCommitted',
  sku: sku(o.sku ?? A),
  orderId: orderId(o.orderId ?? O1),
  quantity: quantity(o.quantity),
  onHand: nonNegativeInt(o.onHand),
  at: timestamp(o.at ?? at(12)),
});

export const reservationExpired = (o: {
  sku?: string;
  orderId?: string;
  quantity: number;
  at?: string;
}): ReservationExpired => ({
  type: 'ReservationExpired',
  sku: sku(o.sku ?? A),
  orderId: orderId(o.orderId ?? O1),
  quantity: quantity(o.quantity),
  at: timestamp(o.at ?? at(12)),
});

export const purchaseLimitSet = (
  o: { sku?: string; perCustomer?: number | null; at?: string } = {},
): PurchaseLimitSet => ({
  type: 'PurchaseLimitSet',
  sku: sku(o.sku ?? A),
  perCustomer: o.perCustomer === null ? null : purchaseLimit(o.perCustomer ?? 2),
  at: timestamp(o.at ?? at(9, 40)),
});

export const purchaseReturned = (
  o: { sku?: string; orderId?: string; customer?: string; quantity?: number; at?: string } = {},
): PurchaseReturned => ({
  type: 'PurchaseReturned',
  sku: sku(o.sku ?? A),
  orderId: orderId(o.orderId ?? O1),
  customerId: customerId(o.customer ?? 'c-1'),
  quantity: quantity(o.quantity ?? 1),
  at: timestamp(o.at ?? at(14)),
});

export const P1 = promotionId('spring-10');
export const P2 = promotionId('free-mug');
export const SPRING = couponCode('SPRING-10');

/** 10 % off the whole order. */
export const tenPercentOff: PromotionRule = { kind: 'PercentOff', basisPoints: basisPoints(1000) };

/** Every third unit of A free. */
export const buyTwoGetOne: PromotionRule = { kind: 'BuyNGetMFree', sku: A, buy: unitCount(2), free: unitCount(1) };

export const promotionDefined = (
  o: {
    promotionId?: string;
    name?: string;
    cur?: Currency;
    validFrom?: string;
    validUntil?: string;
    priority?: number;
    exclusive?: boolean;
    requiresCoupon?: boolean;
    rule?: PromotionRule;
    at?: string;
  } = {},
): PromotionDefined => ({
  type: 'PromotionDefined',
  promotionId: promotionId(o.promotionId ?? P1),
  definition: {
    name: name(o.name ?? 'Spring sale'),
    currency: o.cur ?? EUR,
    validFrom: timestamp(o.validFrom ?? '2026-03-01T00:00:00.000Z'),
    ...(o.validUntil === undefined ? {} : { validUntil: timestamp(o.validUntil) }),
    priority: priority(o.priority ?? 10),
    exclusive: o.exclusive ?? false,
    requiresCoupon: o.requiresCoupon ?? false,
    rule: o.rule ?? tenPercentOff,
  },
  at: timestamp(o.at ?? at(8)),
});

export const promotionEnded = (o: { promotionId?: string; at?: string } = {}): PromotionEnded => ({
  type: 'PromotionEnded',
  promotionId: promotionId(o.promotionId ?? P1),
  at: timestamp(o.at ?? at(16)),
});

export const couponDefined = (
  o: { code?: string; promotionId?: string; totalLimit?: number; perCustomerLimit?: number; at?: string } = {},
): CouponDefined => ({
  type: 'CouponDefined',
  code: couponCode(o.code ?? SPRING),
  promotionId: promotionId(o.promotionId ?? P1),
  totalLimit: couponTotalLimit(o.totalLimit ?? 500),
  perCustomerLimit: couponPerCustomerLimit(o.perCustomerLimit ?? 1),
  at: timestamp(o.at ?? at(8, 30)),
});

export const couponReserved = (
  o: { code?: string; orderId?: string; customer?: string; at?: string } = {},
): CouponReserved => ({
  type: 'CouponReserved',
  code: couponCode(o.code ?? SPRING),
  orderId: orderId(o.orderId ?? O1),
  customerId: customerId(o.customer ?? 'c-1'),
  at: timestamp(o.at ?? at(10, 1)),
});

export const couponRedeemed = (o: { code?: string; orderId?: string; at?: string } = {}): CouponRedeemed => ({
  type: 'CouponRedeemed',
  code: couponCode(o.code ?? SPRING),
  orderId: orderId(o.orderId ?? O1),
  at: timestamp(o.at ?? at(10, 3)),
});

export const couponReleased = (
  o: { code?: string; orderId?: string; reason?: string; at?: string } = {},
): CouponReleased => ({
  type: 'CouponReleased',
  code: couponCode(o.code ?? SPRING),
  orderId: orderId(o.orderId ?? O1),
  reason: reason(o.reason ?? 'order cancelled'),
  at: timestamp(o.at ?? at(11)),
});

export const channelDefined = (o: { channel?: string; at?: string } = {}): ChannelDefined => ({
  type: 'ChannelDefined',
  channelId: channelId(o.channel ?? 'mall'),
  profile: builtInDefaultProfile,
  at: timestamp(o.at ?? at(9)),
});
