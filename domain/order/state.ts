import type { ChannelId, Currency, CustomerId, Money, OrderId, Reason, RefundId, Sku, Timestamp } from '../shared';
import type { RefundLine } from './commands';
import type { OrderedLine, RefundScope } from './events';
import type { RefundedUnits } from './unit-shares';
import type { OrderShipment } from './shipments';
import type { OrderPricing, OrderTerms, PaymentToken, TradeType } from './values';

export interface NoOrder {
  readonly status: 'None';
}

/** What every existing order knows from its placement. */
export interface PlacedOrderData {
  readonly orderId: OrderId;
  readonly customerId: CustomerId;
  readonly currency: Currency;
  readonly lines: readonly OrderedLine[];
  readonly total: Money;
  readonly paymentToken: PaymentToken;
  readonly placedAt: Timestamp;
  /** the price breakdown, when promotions applied (null on orders placed without one) */
  readonly pricing: OrderPricing | null;
  /** the channel it was placed through (null on orders placed before channels) */
  readonly channel: ChannelId | null;
  /** `standard` on orders placed before trade types */
  readonly tradeType: TradeType;
  /** the channel's terms frozen at placement (null: today's defaults, see OrderTerms) */
  readonly terms: OrderTerms | null;
  /** one per warehouse when the order's stock is split over several (ShipmentsPlanned); none: it ships whole */
  readonly shipments: readonly OrderShipment[];
}

/** The order's channel, repeated on the events read models split by channel (nothing for orders before channels). */
export const channelOf = (state: Pick<PlacedOrderData, 'channel'>): { readonly channel?: ChannelId } =>
  state.channel === null ? {} : { channel: state.channel };

export interface PlacedOrder extends PlacedOrderData {
  readonly status: 'Placed';
}

export type RefundStatus = 'Pending' | 'Completed' | 'Failed';

export interface RefundRecord {
  readonly refundId: RefundId;
  readonly scope: RefundScope;
  readonly amount: Money;
  readonly lines: readonly RefundLine[];
  /** which units of each line it returns (lines refunded are taken in unit order, see `unit-shares`) */
  readonly units: readonly RefundedUnits[];
  readonly reason: Reason;
  readonly restock: boolean;
  readonly status: RefundStatus;
  readonly requestedAt: Timestamp;
  /** when it completed or failed */
  readonly settledAt: Timestamp | null;
}

/** What an order knows once money was captured. Invariant: refunded + pending ≤ paid ≤ total. */
export interface PaidOrderData extends PlacedOrderData {
  readonly paid: Money;
  readonly confirmedAt: Timestamp;
  /** sum of completed refunds */
  readonly refunded: Money;
  /** sum of refunds requested but neither completed nor failed */
  readonly pending: Money;
  readonly refunds: ReadonlyMap<RefundId, RefundRecord>;
  /** units covered by pending or completed refunds; a failed refund gives its units back */
  readonly requestedQuantities: ReadonlyMap<Sku, number>;
  /** units covered by completed refunds */
  readonly refundedQuantities: ReadonlyMap<Sku, number>;
}

export interface ConfirmedOrder extends PaidOrderData {
  readonly status: 'Confirmed';
}

/** Every shipment left (a split order: `shippedAt` is its last shipment's). */
export interface ShippedOrder extends PaidOrderData {
  readonly status: 'Shipped';
  readonly shippedAt: Timestamp;
}

/** A split order some of whose shipments left (`shippedAt`: the first), not all. */
export interface PartiallyShippedOrder extends PaidOrderData {
  readonly status: 'PartiallyShipped';
  readonly shippedAt: Timestamp;
}

/** Refunds may complete before shipping (refund from Confirmed), hence `shippedAt` may be null. */
export interface PartiallyRefundedOrder extends PaidOrderData {
  readonly status: 'PartiallyRefunded';
  readonly shippedAt: Timestamp | null;
}

export interface RefundedOrder extends PaidOrderData {
  readonly status: 'Refunded';
  readonly shippedAt: Timestamp | null;
  readonly refundedAt: Timestamp;
}

export interface CancelledOrder extends PlacedOrderData {
  readonly status: 'Cancelled';
  readonly reason: Reason;
  /** what had been captured when cancelled; zero if never confirmed */
  readonly wasPaid: Money;
  readonly cancelledAt: Timestamp;
}

/**
 * Cash on delivery, handed over and paid in cash (`paid` is what was collected). Shipping first is not required, so
 * `shippedAt` may be null; refunds (by the refund saga, in cash) start from here.
 */
export interface DeliveredOrder extends PaidOrderData {
  readonly status: 'Delivered';
  readonly shippedAt: Timestamp | null;
  readonly deliveredAt: Timestamp;
}

/** A pre-sale whose deposit was captured: it waits for the balance, paid in the window of its terms. */
export interface AwaitingBalanceOrder extends PlacedOrderData {
  readonly status: 'AwaitingBalance';
  readonly deposit: Money;
  readonly depositPaidAt: Timestamp;
  /** balance payments asked for so far (a declined one may be tried again in the window) */
  readonly balanceRequests: number;
}

export type PaidOrder =
  ConfirmedOrder | PartiallyShippedOrder | ShippedOrder | PartiallyRefundedOrder | RefundedOrder | DeliveredOrder;

export type OrderState = NoOrder | PlacedOrder | AwaitingBalanceOrder | PaidOrder | CancelledOrder;

export type OrderStatus = OrderState['status'];

export const initialOrderState: OrderState = { status: 'None' };
