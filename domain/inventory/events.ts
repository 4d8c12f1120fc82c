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
  WarehouseId,
} from '../shared';
import { PurchaseLimit, StockDelta } from './commands';
import { Allocation } from './warehouses';

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

/**
 * `onHand` is the SKU's level (all warehouses) after the restock, so read models need no running sum. `warehouse`
 * absent: `main` (events are written without it for `main`, as before warehouses).
 */
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
    t.readonly(t.exact(t.partial({ reason: Reason, orderId: OrderId, warehouse: WarehouseId }))),
  ],
  'StockRestocked',
);
export type StockRestocked = t.TypeOf<typeof StockRestocked>;

/** `onHand` as for a restock; `warehouse` absent: `main`. */
export const StockAdjusted = t.intersection(
  [
    t.readonly(
      t.strict({
        type: t.literal('StockAdjusted'),
        sku: Sku,
        delta: StockDelta,
        onHand: NonNegativeInt,
        reason: Reason,
        at: Timestamp,
      }),
    ),
    t.readonly(t.exact(t.partial({ warehouse: WarehouseId }))),
  ],
  'StockAdjusted',
);
export type StockAdjusted = t.TypeOf<typeof StockAdjusted>;

/**
 * `available` is what is left to reserve (all warehouses) after this reservation; `customerId` when the saga named
 * the buyer; `defaultLimit` when the units count under the order's channel default (the SKU had no limit of its own);
 * `allocation` where the units are held, absent when all are in `main` (as before warehouses).
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
    t.readonly(t.exact(t.partial({ customerId: CustomerId, defaultLimit: PurchaseLimit, allocation: Allocation }))),
  ],
  'StockReserved',
);
export type StockReserved = t.TypeOf<typeof StockReserved>;

/** `allocation`: the parts freed, absent when all were in `main`. */
export const ReservationReleased = t.intersection(
  [
    t.readonly(
      t.strict({
        type: t.literal('ReservationReleased'),
        sku: Sku,
        orderId: OrderId,
        quantity: Quantity,
        reason: Reason,
        at: Timestamp,
      }),
    ),
    t.readonly(t.exact(t.partial({ allocation: Allocation }))),
  ],
  'ReservationReleased',
);
export type ReservationReleased = t.TypeOf<typeof ReservationReleased>;

/**
 * `quantity` units left their warehouses (`allocation`, absent when all from `main`): every part still held, or the
 * one part a shipment took; `onHand` is the SKU's level (all warehouses) after it.
 */
export const ReservationCommitted = t.intersection(
  [
    t.readonly(
      t.strict({
        type: t.literal('ReservationCommitted'),
        sku: Sku,
        orderId: OrderId,
        quantity: Quantity,
        onHand: NonNegativeInt,
        at: Timestamp,
      }),
    ),
    t.readonly(t.exact(t.partial({ allocation: Allocation }))),
  ],
  'ReservationCommitted',
);
export type ReservationCommitted = t.TypeOf<typeof ReservationCommitted>;

/** `allocation`: the parts freed, absent when all were in `main`. */
export const ReservationExpired = t.intersection(
  [
    t.readonly(
      t.strict({
        type: t.literal('ReservationExpired'),
        sku: Sku,
        orderId: OrderId,
        quantity: Quantity,
        at: Timestamp,
      }),
    ),
    t.readonly(t.exact(t.partial({ allocation: Allocation }))),
  ],
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
