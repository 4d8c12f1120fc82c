import * as t from 'io-ts';
import {
  CustomerId,
  Money,
  Name,
  OrderId,
  PurchaseLimit,
  Quantity,
  Reason,
  Sku,
  Timestamp,
  WarehouseId,
  constrainedInteger,
  maxSafeInteger,
} from '../shared';

export interface StockDeltaBrand {
  readonly StockDelta: unique symbol;
}
/** A signed change of units on hand for a manual correction (count, damage, shrinkage); zero would be a no-op. */
export const StockDelta = constrainedInteger<'StockDelta', StockDeltaBrand>('StockDelta', {
  minimum: -maxSafeInteger,
  maximum: maxSafeInteger,
  not: [0],
});
export type StockDelta = t.TypeOf<typeof StockDelta>;

// shared since an order's channel terms carry a default limit too; inventory's callers keep importing it from here
export { PurchaseLimit };

/** Creates the catalogue entry, or updates its name/price; an identical repeat changes nothing. */
export const DefineSku = t.readonly(
  t.strict({ type: t.literal('DefineSku'), sku: Sku, name: Name, unitPrice: Money, at: Timestamp }),
  'DefineSku',
);
export type DefineSku = t.TypeOf<typeof DefineSku>;

/**
 * Adds units on hand in `warehouse` (absent: `main`): a delivery, or goods returned by an order (then `orderId` says
 * which).
 */
// an intersection at the top (not wrapped) keeps decode errors naming the field, e.g. `orderId`, not `1.orderId`
export const RestockSku = t.intersection(
  [
    t.readonly(t.strict({ type: t.literal('RestockSku'), sku: Sku, quantity: Quantity, at: Timestamp })),
    t.readonly(t.exact(t.partial({ reason: Reason, orderId: OrderId, warehouse: WarehouseId }))),
  ],
  'RestockSku',
);
export type RestockSku = t.TypeOf<typeof RestockSku>;

/** Corrects units on hand in `warehouse` (absent: `main`); never below what that warehouse has reserved. */
export const AdjustStock = t.intersection(
  [
    t.readonly(
      t.strict({ type: t.literal('AdjustStock'), sku: Sku, delta: StockDelta, reason: Reason, at: Timestamp }),
    ),
    t.readonly(t.exact(t.partial({ warehouse: WarehouseId }))),
  ],
  'AdjustStock',
);
export type AdjustStock = t.TypeOf<typeof AdjustStock>;

/**
 * All-or-nothing hold of units for one order until `expiresAt`; idempotent per order. The SKU allocates the units
 * over its warehouses (`allocate`). `customerId` lets a purchase
 * limit count the units; commands sent before it existed carry none and are never counted. `defaultLimit` is the
 * order's channel's limit per customer, applied when the SKU has no limit of its own.
 */
export const ReserveStock = t.intersection(
  [
    t.readonly(
      t.strict({
        type: t.literal('ReserveStock'),
        sku: Sku,
        orderId: OrderId,
        quantity: Quantity,
        expiresAt: Timestamp,
        at: Timestamp,
      }),
    ),
    t.readonly(t.exact(t.partial({ customerId: CustomerId, defaultLimit: PurchaseLimit }))),
  ],
  'ReserveStock',
);
export type ReserveStock = t.TypeOf<typeof ReserveStock>;

export const ReleaseReservation = t.readonly(
  t.strict({ type: t.literal('ReleaseReservation'), sku: Sku, orderId: OrderId, reason: Reason, at: Timestamp }),
  'ReleaseReservation',
);
export type ReleaseReservation = t.TypeOf<typeof ReleaseReservation>;

/**
 * On shipment: the reserved units leave their warehouses (on hand and reserved both drop). With `warehouse`, only the
 * part held there (one shipment of a split order); without, every part still held.
 */
export const CommitReservation = t.intersection(
  [
    t.readonly(t.strict({ type: t.literal('CommitReservation'), sku: Sku, orderId: OrderId, at: Timestamp })),
    t.readonly(t.exact(t.partial({ warehouse: WarehouseId }))),
  ],
  'CommitReservation',
);
export type CommitReservation = t.TypeOf<typeof CommitReservation>;

/** Sent by a deadline (saga timer); `now` is the time the deadline fired. */
export const ExpireReservation = t.readonly(
  t.strict({ type: t.literal('ExpireReservation'), sku: Sku, orderId: OrderId, now: Timestamp }),
  'ExpireReservation',
);
export type ExpireReservation = t.TypeOf<typeof ExpireReservation>;

/** At most `perCustomer` units per customer from now on; `null` removes the limit. */
export const SetPurchaseLimit = t.readonly(
  t.strict({
    type: t.literal('SetPurchaseLimit'),
    sku: Sku,
    perCustomer: t.union([PurchaseLimit, t.null]),
    at: Timestamp,
  }),
  'SetPurchaseLimit',
);
export type SetPurchaseLimit = t.TypeOf<typeof SetPurchaseLimit>;

/**
 * After a refund: `quantity` units the order bought no longer count towards the customer's purchase limit. Safe to
 * send for any refunded line: it records nothing when the SKU has no limit or the order counts nothing.
 */
export const ReturnPurchase = t.readonly(
  t.strict({
    type: t.literal('ReturnPurchase'),
    sku: Sku,
    orderId: OrderId,
    customerId: CustomerId,
    quantity: Quantity,
    at: Timestamp,
  }),
  'ReturnPurchase',
);
export type ReturnPurchase = t.TypeOf<typeof ReturnPurchase>;

export const InventoryCommand = t.union(
  [
    DefineSku,
    RestockSku,
    AdjustStock,
    ReserveStock,
    ReleaseReservation,
    CommitReservation,
    ExpireReservation,
    SetPurchaseLimit,
    ReturnPurchase,
  ],
  'InventoryCommand',
);
export type InventoryCommand = t.TypeOf<typeof InventoryCommand>;

/** Trusted builder for fixtures and computed values; user input goes through the codec instead. */
export const stockDelta = (n: number): StockDelta => {
  if (!StockDelta.is(n)) throw new TypeError(`invalid StockDelta: ${n}`);
  return n;
};

/** Trusted builder for fixtures and computed values; user input goes through the codec instead. */
export const purchaseLimit = (n: number): PurchaseLimit => {
  if (!PurchaseLimit.is(n)) throw new TypeError(`invalid PurchaseLimit: ${n}`);
  return n;
};
