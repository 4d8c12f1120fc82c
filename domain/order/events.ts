import * as t from 'io-ts';
import {
  ChannelId,
  Currency,
  CustomerId,
  Money,
  NonNegativeInt,
  OrderId,
  Quantity,
  Reason,
  RefundId,
  Sku,
  Timestamp,
  eventRegistry,
} from '../shared';
import { RefundLine } from './commands';
import { ShipmentShipped, ShipmentsPlanned } from './shipments';
import { OrderPricing, OrderTerms, PaymentToken, TradeType } from './values';

/**
 * An ordered line with its price frozen at placement: later catalogue or promotion changes never touch this order.
 * `lineTotal` is what the customer pays for the line: unit price × quantity − `discount` (absent: none, as on
 * every line placed before promotions existed).
 */
export const OrderedLine = t.intersection(
  [
    t.readonly(t.strict({ sku: Sku, quantity: Quantity, unitPrice: Money, lineTotal: Money })),
    t.readonly(t.exact(t.partial({ discount: Money }))),
  ],
  'OrderedLine',
);
export type OrderedLine = t.TypeOf<typeof OrderedLine>;

/** `total` is Σ lineTotal; `pricing`, when promotions applied, says how the discount came about. */
export const OrderPlaced = t.intersection(
  [
    t.readonly(
      t.strict({
        type: t.literal('OrderPlaced'),
        orderId: OrderId,
        customerId: CustomerId,
        currency: Currency,
        lines: t.readonlyArray(OrderedLine),
        total: Money,
        paymentToken: PaymentToken,
        at: Timestamp,
      }),
    ),
    t.readonly(
      t.exact(t.partial({ pricing: OrderPricing, channel: ChannelId, tradeType: TradeType, terms: OrderTerms })),
    ),
  ],
  'OrderPlaced',
);
export type OrderPlaced = t.TypeOf<typeof OrderPlaced>;

/** `channel` repeats the placement's (absent: placed before channels), so read models can split by channel. */
export const OrderConfirmed = t.intersection(
  [
    t.readonly(t.strict({ type: t.literal('OrderConfirmed'), orderId: OrderId, paid: Money, at: Timestamp })),
    t.readonly(t.exact(t.partial({ channel: ChannelId }))),
  ],
  'OrderConfirmed',
);
export type OrderConfirmed = t.TypeOf<typeof OrderConfirmed>;

export const OrderShipped = t.readonly(
  t.strict({ type: t.literal('OrderShipped'), orderId: OrderId, at: Timestamp }, 'OrderShipped'),
  'OrderShipped',
);
export type OrderShipped = t.TypeOf<typeof OrderShipped>;

/**
 * `wasPaid` tells the cancellation saga whether money must go back (zero: void the authorization instead).
 * `pricing` repeats the placement's breakdown, so a read model can take back the discounts it counted without
 * keeping every order.
 */
export const OrderCancelled = t.intersection(
  [
    t.readonly(
      t.strict({ type: t.literal('OrderCancelled'), orderId: OrderId, reason: Reason, wasPaid: Money, at: Timestamp }),
    ),
    t.readonly(t.exact(t.partial({ pricing: OrderPricing, channel: ChannelId }))),
  ],
  'OrderCancelled',
);
export type OrderCancelled = t.TypeOf<typeof OrderCancelled>;

/**
 * How the refund was asked for. Kept on the event so a retried request can be recognised as identical even though
 * a whole-order refund's amount depends on what was still refundable at the time.
 */
export const RefundScope = t.union([t.literal('Whole'), t.literal('Lines'), t.literal('Amount')], 'RefundScope');
export type RefundScope = t.TypeOf<typeof RefundScope>;

/**
 * `amount` is what the returned units were paid (their per-unit share of each line's total, see the order decider),
 * capped at what is still refundable. `customerId` (absent on refunds requested before it was recorded) lets the
 * refund saga free the customer's purchase limits.
 */
export const RefundRequested = t.intersection(
  [
    t.readonly(
      t.strict({
        type: t.literal('RefundRequested'),
        orderId: OrderId,
        refundId: RefundId,
        scope: RefundScope,
        amount: Money,
        /** units being returned; empty for a refund by amount */
        lines: t.readonlyArray(RefundLine),
        reason: Reason,
        restock: t.boolean,
        at: Timestamp,
      }),
    ),
    t.readonly(t.exact(t.partial({ customerId: CustomerId }))),
  ],
  'RefundRequested',
);
export type RefundRequested = t.TypeOf<typeof RefundRequested>;

export const RefundCompleted = t.readonly(
  t.strict(
    { type: t.literal('RefundCompleted'), orderId: OrderId, refundId: RefundId, amount: Money, at: Timestamp },
    'RefundCompleted',
  ),
  'RefundCompleted',
);
export type RefundCompleted = t.TypeOf<typeof RefundCompleted>;

export const RefundFailed = t.readonly(
  t.strict(
    { type: t.literal('RefundFailed'), orderId: OrderId, refundId: RefundId, reason: Reason, at: Timestamp },
    'RefundFailed',
  ),
  'RefundFailed',
);
export type RefundFailed = t.TypeOf<typeof RefundFailed>;

/** A pre-sale's deposit was captured; the order waits for its balance in the window of its terms. */
export const DepositPaid = t.readonly(
  t.strict({ type: t.literal('DepositPaid'), orderId: OrderId, amount: Money, at: Timestamp }, 'DepositPaid'),
  'DepositPaid',
);
export type DepositPaid = t.TypeOf<typeof DepositPaid>;

/**
 * The customer asked to pay a pre-sale's balance (`amount`: total − deposit) in its window. `attempt` numbers the
 * requests (1 = first), so the saga tells a new try after a declined balance from a redelivered one; the token is
 * kept because the saga asks the provider with it, as OrderPlaced keeps the first one.
 */
export const BalanceRequested = t.readonly(
  t.strict(
    {
      type: t.literal('BalanceRequested'),
      orderId: OrderId,
      amount: Money,
      paymentToken: PaymentToken,
      attempt: NonNegativeInt,
      at: Timestamp,
    },
    'BalanceRequested',
  ),
  'BalanceRequested',
);
export type BalanceRequested = t.TypeOf<typeof BalanceRequested>;

/** A cash-on-delivery order was handed over and paid in cash: `collected` is what the order now counts as paid. */
export const OrderDelivered = t.readonly(
  t.strict({ type: t.literal('OrderDelivered'), orderId: OrderId, collected: Money, at: Timestamp }, 'OrderDelivered'),
  'OrderDelivered',
);
export type OrderDelivered = t.TypeOf<typeof OrderDelivered>;

/**
 * A cash-on-delivery order was refused at the door (`reason`: the customer's words): it is closed (Cancelled, reason
 * `delivery_refused`).
 */
export const DeliveryRefused = t.intersection(
  [
    t.readonly(t.strict({ type: t.literal('DeliveryRefused'), orderId: OrderId, reason: Reason, at: Timestamp })),
    // as on OrderCancelled: a read model takes back the discounts it counted, under the order's channel
    t.readonly(t.exact(t.partial({ pricing: OrderPricing, channel: ChannelId }))),
  ],
  'DeliveryRefused',
);
export type DeliveryRefused = t.TypeOf<typeof DeliveryRefused>;

export const OrderEvent = t.union(
  [
    OrderPlaced,
    OrderConfirmed,
    OrderShipped,
    OrderCancelled,
    RefundRequested,
    RefundCompleted,
    RefundFailed,
    DepositPaid,
    BalanceRequested,
    OrderDelivered,
    DeliveryRefused,
    ShipmentsPlanned,
    ShipmentShipped,
  ],
  'OrderEvent',
);
export type OrderEvent = t.TypeOf<typeof OrderEvent>;

export const orderEvents = eventRegistry<OrderEvent>(
  {
    OrderPlaced: { version: 1, codec: OrderPlaced },
    OrderConfirmed: { version: 1, codec: OrderConfirmed },
    OrderShipped: { version: 1, codec: OrderShipped },
    OrderCancelled: { version: 1, codec: OrderCancelled },
    RefundRequested: { version: 1, codec: RefundRequested },
    RefundCompleted: { version: 1, codec: RefundCompleted },
    RefundFailed: { version: 1, codec: RefundFailed },
    DepositPaid: { version: 1, codec: DepositPaid },
    BalanceRequested: { version: 1, codec: BalanceRequested },
    OrderDelivered: { version: 1, codec: OrderDelivered },
    DeliveryRefused: { version: 1, codec: DeliveryRefused },
    ShipmentsPlanned: { version: 1, codec: ShipmentsPlanned },
    ShipmentShipped: { version: 1, codec: ShipmentShipped },
  },
  [],
);
