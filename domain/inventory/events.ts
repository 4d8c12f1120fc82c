import * as t from 'io-ts';
import {
  CustomerId,
  eventRegistry,
  Money,
  Name,
  NonNegativeInt,
  OrderId,
  Quantity,
  Reason,
  Sku,
  Timestamp,
} from '../shared';
import { PurchaseLimit, StockDelta } from './commands';

export const SkuDefined = t.readonly(
  t.strict({ type: t.literal('SkuDefined'), sku: Sku, name: Name, unitPrice: Money, at: Timestamp }),
  'SkuDefined',
);
export type SkuDefined = t.TypeOf<typeof SkuDefined>;

export const SkuUpdated = t.readonly(
  t.strict({ type: t.literal('SkuUpdated'), sku: Sku, name: Name, unitPrice: Money, at: Timestamp }),
  'SkuUpdated',
);
export type SkuUpdated = t.TypeOf<typeof SkuUpdated>;

/** `onHand` is the level after the restock, so read models need no running sum. */
export const StockRestocked = t.intersection(
  [
    t.readonly(
      t.strict({
        type: t.literal('StockRestocked'),
        sku: Sku,
        quantity: Quantity,
        onHand: NonNegativeInt,
        at: Timestamp,
      }),
    ),
    t.readonly(t.exact(t.partial({ reason: Reason, orderId: OrderId }))),
  ],
  'StockRestocked',
);
export type StockRestocked = t.TypeOf<typeof StockRestocked>;

export const StockAdjusted = t.readonly(
  t.strict({
    type: t.literal('StockAdjusted'),
    sku: Sku,
    delta: StockDelta,
    onHand: NonNegativeInt,
    reason: Reason,
    at: Timestamp,
  }),
  'StockAdjusted',
);
export type StockAdjusted = t.TypeOf<typeof StockAdjusted>;

/**
 * `available` is what is left to reserve after this reservation; `customerId` when the saga named the buyer;
 * `defaultLimit` when the units count under the order's channel default (the SKU had no limit of its own).
 */
export const StockReserved = t.intersection(
  [
    t.readonly(
      t.strict({
        type: t.literal('StockReserved'),
        sku: Sku,
        orderId: OrderId,
        quantity: Quantity,
        expiresAt: Timestamp,
        available: NonNegativeInt,
        at: Timestamp,
      }),
    ),
    t.readonly(t.exact(t.partial({ customerId: CustomerId, defaultLimit: PurchaseLimit }))),
  ],
  'StockReserved',
);
export type StockReserved = t.TypeOf<typeof StockReserved>;

export const ReservationReleased = t.readonly(
  t.strict({
    type: t.literal('ReservationReleased'),
    sku: Sku,
    orderId: OrderId,
    quantity: Quantity,
    reason: Reason,
    at: Timestamp,
  }),
  'ReservationReleased',
);
export type ReservationReleased = t.TypeOf<typeof ReservationReleased>;

export const ReservationCommitted = t.readonly(
  t.strict({
    type: t.literal('ReservationCommitted'),
    sku: Sku,
    orderId: OrderId,
    quantity: Quantity,
    onHand: NonNegativeInt,
    at: Timestamp,
  }),
  'ReservationCommitted',
);
export type ReservationCommitted = t.TypeOf<typeof ReservationCommitted>;

export const ReservationExpired = t.readonly(
  t.strict({
    type: t.literal('ReservationExpired'),
    sku: Sku,
    orderId: OrderId,
    quantity: Quantity,
    at: Timestamp,
  }),
  'ReservationExpired',
);
export type ReservationExpired = t.TypeOf<typeof ReservationExpired>;

/** `perCustomer` null: the limit was removed. */
export const PurchaseLimitSet = t.readonly(
  t.strict({
    type: t.literal('PurchaseLimitSet'),
    sku: Sku,
    perCustomer: t.union([PurchaseLimit, t.null]),
    at: Timestamp,
  }),
  'PurchaseLimitSet',
);
export type PurchaseLimitSet = t.TypeOf<typeof PurchaseLimitSet>;

/** `quantity` units of the order stopped counting towards the customer's limit (a refund). */
export const PurchaseReturned = t.readonly(
  t.strict({
    type: t.literal('PurchaseReturned'),
    sku: Sku,
    orderId: OrderId,
    customerId: CustomerId,
    quantity: Quantity,
    at: Timestamp,
  }),
  'PurchaseReturned',
);
export type PurchaseReturned = t.TypeOf<typeof PurchaseReturned>;

export const InventoryEvent = t.union(
  [
    SkuDefined,
    SkuUpdated,
    StockRestocked,
    StockAdjusted,
    StockReserved,
    ReservationReleased,
    ReservationCommitted,
    ReservationExpired,
    PurchaseLimitSet,
    PurchaseReturned,
  ],
  'InventoryEvent',
);
export type InventoryEvent = t.TypeOf<typeof InventoryEvent>;

export const inventoryEvents = eventRegistry<InventoryEvent>(
  {
    SkuDefined: { version: 1, codec: SkuDefined },
    SkuUpdated: { version: 1, codec: SkuUpdated },
    StockRestocked: { version: 1, codec: StockRestocked },
    StockAdjusted: { version: 1, codec: StockAdjusted },
    StockReserved: { version: 1, codec: StockReserved },
    ReservationReleased: { version: 1, codec: ReservationReleased },
    ReservationCommitted: { version: 1, codec: ReservationCommitted },
    ReservationExpired: { version: 1, codec: ReservationExpired },
    PurchaseLimitSet: { version: 1, codec: PurchaseLimitSet },
    PurchaseReturned: { version: 1, codec: PurchaseReturned },
  },
  [],
);
