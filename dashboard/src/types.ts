/**
 * The read API's answers as the page uses them (see `projections/<model>/projection.ts` for the full shapes).
 * Written out here rather than imported so the browser bundle never pulls server modules; fields another
 * version of the server may lack are optional, and the views render what is there.
 */

export interface Money {
  readonly amount: number;
  readonly currency: string;
}

export interface Page<T> {
  readonly items: readonly T[];
  readonly next?: string;
}

export interface TimelineEntry {
  readonly at: string;
  readonly type: string;
  readonly position: number;
  readonly streamId: string;
  readonly summary: string;
}

export interface PaymentSummary {
  readonly status: string;
  readonly currency: string;
  readonly authorized: Money;
  readonly captured: Money;
  readonly refunded: Money;
  readonly failedAttempts: number;
  readonly declineCode?: string;
  readonly lastError?: string;
}

export interface SagaDeadline {
  readonly deadlineId?: string;
  readonly kind: string;
  readonly dueAt: string;
}

/** Saga state shown with an order, when the server adds it (as `saga` or as top-level fields). */
export interface SagaView {
  readonly saga?: string;
  readonly sagaStatus?: string;
  readonly step?: string;
  readonly lastError?: string | null;
  readonly deadlines?: readonly SagaDeadline[];
  readonly updatedAt?: string;
}

export interface OrderLine {
  readonly sku: string;
  readonly quantity: number;
  readonly unitPrice: Money;
  readonly lineTotal: Money;
  readonly refundedQuantity: number;
}

export interface OrderRefund {
  readonly refundId: string;
  readonly amount: Money;
  readonly status: string;
  readonly reason: string;
  readonly requestedAt: string;
  readonly settledAt?: string;
  readonly failureReason?: string;
}

export interface Order {
  readonly orderId: string;
  /** null while only other centres' events of the order were projected */
  readonly status: string | null;
  readonly customerId: string | null;
  readonly placedAt: string | null;
  readonly updatedAt: string;
  /** the channel it was placed through and its trade type (servers before channels lack them) */
  readonly channel?: string;
  readonly tradeType?: string;
  readonly currency?: string;
  readonly lines?: readonly OrderLine[];
  readonly total?: Money;
  readonly paid?: Money;
  readonly refunded?: Money;
  readonly refundsPending?: Money;
  readonly confirmedAt?: string;
  readonly shippedAt?: string;
  readonly cancelledAt?: string;
  readonly cancelReason?: string;
  readonly refunds?: readonly OrderRefund[];
  readonly payment: PaymentSummary | null;
  readonly timeline: readonly TimelineEntry[];
  readonly saga?: SagaView | string | null;
  readonly sagaStatus?: string;
  readonly step?: string;
  readonly lastError?: string | null;
}

export interface Payment extends PaymentSummary {
  readonly orderId: string;
  readonly refunds: readonly { readonly refundId: string; readonly amount: Money; readonly status: string }[];
  readonly updatedAt: string;
}

export interface Sku {
  readonly sku: string;
  readonly name: string | null;
  readonly unitPrice: Money | null;
  readonly onHand: number;
  readonly reserved: number;
  readonly available: number;
  readonly lowStock: boolean;
  readonly updatedAt: string;
}

export interface SalesBucket {
  readonly bucket: string;
  readonly granularity: 'hour' | 'day';
  readonly start: string;
  readonly ordersPlaced: number;
  readonly ordersConfirmed: number;
  readonly ordersCancelled: number;
  readonly revenue: Readonly<Record<string, number>>;
  readonly refunds: Readonly<Record<string, number>>;
  readonly refundCount: number;
  readonly unitsOrdered: number;
  /** discounts given at placement, per currency (servers before the pricing centre lack them) */
  readonly discounts?: Readonly<Record<string, number>>;
  /** discounts of orders cancelled, per currency */
  readonly discountsCancelled?: Readonly<Record<string, number>>;
  readonly discountsByPromotion?: Readonly<Record<string, number>>;
  readonly discountsCancelledByPromotion?: Readonly<Record<string, number>>;
  readonly ordersDiscounted?: number;
  /** per channel: the orders placed through it (servers before channels lack it) */
  readonly byChannel?: Readonly<Record<string, ChannelSales>>;
}

/** What one channel sold in a bucket: only placements name the channel. */
export interface ChannelSales {
  readonly ordersPlaced: number;
  readonly unitsOrdered: number;
  /** what the orders cost their customers, minor units per currency */
  readonly orderValue: Readonly<Record<string, number>>;
  readonly discounts: Readonly<Record<string, number>>;
}

/** A promotion's rule as defined: its kind and that kind's fields (see domain/pricing/promotion.ts). */
export type PromotionRule =
  | { readonly kind: 'PercentOff'; readonly basisPoints: number; readonly skus?: readonly string[] }
  | { readonly kind: 'AmountOffOrder'; readonly amount: Money; readonly threshold: Money }
  | { readonly kind: 'BuyNGetMFree'; readonly sku: string; readonly buy: number; readonly free: number }
  | { readonly kind: 'BundlePrice'; readonly skus: readonly string[]; readonly price: Money };

/** `GET /v1/promotions`: definition fields are null while only orders naming the promotion were projected. */
export interface Promotion {
  readonly promotionId: string;
  readonly name: string | null;
  readonly currency: string | null;
  readonly rule: PromotionRule | null;
  readonly priority: number | null;
  readonly exclusive: boolean | null;
  readonly requiresCoupon: boolean | null;
  readonly validFrom: string | null;
  readonly validUntil: string | null;
  readonly endedAt: string | null;
  readonly status: 'active' | 'scheduled' | 'ended' | null;
  readonly orders: number;
  readonly discountTotal: Money;
  readonly ordersCancelled?: number;
  readonly discountCancelled?: Money;
}

/** `GET /v1/coupons`. */
export interface Coupon {
  readonly code: string;
  readonly promotionId: string | null;
  readonly totalLimit: number | null;
  readonly perCustomerLimit: number | null;
  readonly reserved: number;
  readonly redeemed: number;
  readonly released: number;
  readonly redemptionsLeft: number;
}

export interface SalesStats {
  readonly from: string;
  readonly to: string;
  readonly granularity: 'hour' | 'day';
  readonly buckets: readonly SalesBucket[];
}

export interface ProjectionHealth {
  readonly name: string;
  readonly version: number;
  readonly position: number;
  readonly lag: number;
  readonly documents?: number;
  /** the version whose collection is served, when a rebuild may have switched it */
  readonly liveVersion?: number;
  /** the code's version differs from the live one: a rebuild should run */
  readonly rebuildDue?: boolean;
  /** present while a blue/green rebuild runs: true, or details such as `{ version, state, percent }` */
  readonly rebuilding?: unknown;
}

/** `GET /v1/flow`: admission totals since the server started, the backlog and the payment breaker. */
export interface FlowStatus {
  readonly admitted: number;
  readonly refused: Readonly<Record<string, number>>;
  readonly backlog: number | null;
  readonly lagMs: number | null;
  readonly eventLoopDelayMs: number | null;
  readonly breaker: 'closed' | 'half_open' | 'open' | null;
}

export interface Projections {
  readonly head: number;
  readonly projections: readonly ProjectionHealth[];
}

/** `GET /v1/dead-letters`; the field names of the store (`event.streamId`, `lastFailedAt`) are accepted too. */
export interface DeadLetter {
  readonly id: number | string;
  readonly consumer: string;
  readonly streamId?: string;
  readonly type?: string;
  readonly event?: { readonly streamId?: string; readonly type?: string };
  readonly error: string;
  readonly attempts: number;
  readonly lastFailureAt?: string;
  readonly lastFailedAt?: string;
}
