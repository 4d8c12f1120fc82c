import type * as E from 'fp-ts/Either';
import {
  absurd,
  accept,
  isAtOrAfter,
  mainWarehouse,
  nonNegativeInt,
  PersistentMap,
  quantity,
  reject,
  type CustomerId,
  type Decider,
  type Money,
  type Name,
  type OrderId,
  type Quantity,
  type Sku,
  type Timestamp,
  type WarehouseId,
} from '../shared';
import type {
  AdjustStock,
  CommitReservation,
  DefineSku,
  ExpireReservation,
  InventoryCommand,
  ReleaseReservation,
  PurchaseLimit,
  ReserveStock,
  RestockSku,
  ReturnPurchase,
  SetPurchaseLimit,
} from './commands';
import {
  adjustmentBelowReserved,
  insufficientStock,
  invalidReservationExpiry,
  purchaseLimitExceeded,
  reservationAlreadyCommitted,
  reservationClosed,
  reservationMismatch,
  reservationNotDue,
  reservationNotFound,
  skuMismatch,
  skuNotFound,
  stockLimitExceeded,
  type InventoryError,
} from './errors';
import type { InventoryEvent } from './events';
import {
  allocate,
  allocationField,
  allocationOf,
  emptyLevel,
  unitsOf,
  warehouseField,
  type Allocation,
  type WarehouseLevel,
} from './warehouses';

export interface OpenReservation {
  /** the units reserved for the order's line, all parts together (committed ones included) */
  readonly quantity: Quantity;
  readonly expiresAt: Timestamp;
  /** where the units were reserved, one part per warehouse */
  readonly allocation: Allocation;
  /** warehouses whose part was committed (shipped) while others are still held */
  readonly committed: readonly WarehouseId[];
}

/** The parts of a reservation still held (not yet committed). */
export const heldParts = (reservation: OpenReservation): Allocation =>
  reservation.committed.length === 0
    ? reservation.allocation
    : reservation.allocation.filter((part) => !reservation.committed.includes(part.warehouse));

/** What one order holds towards its customer's purchase limit on this SKU. */
export interface CountedPurchase {
  readonly customerId: CustomerId;
  readonly units: number;
}

/**
 * A purchase limit and the units it counts. A customer's live units are those of the orders counted since the limit
 * was set: reserved or committed, minus returned (refunded); a release or an expiry frees an order's units.
 *
 * Counting starts when the limit is set. Sales made before it do not count: an unlimited SKU keeps no record per
 * customer (a hot SKU would carry every buyer forever), and a limit is a rule for the sale it is set for, usually
 * before it starts. Changing the number keeps the counts (lowering it below what a customer holds refuses that
 * customer's next reservation and takes nothing away); removing the limit forgets them, so a limit set again starts
 * afresh. A reservation without a customer id (sent before reservations carried one) is never counted.
 */
export interface PurchaseCounts {
  /** live units per customer; a customer at zero has no entry */
  readonly live: ReadonlyMap<CustomerId, number>;
  /** counted orders with units still live; the entry goes once they are all freed */
  readonly counted: ReadonlyMap<OrderId, CountedPurchase>;
}

export interface PurchaseLimitState extends PurchaseCounts {
  readonly perCustomer: PurchaseLimit;
}

const noCounts: PurchaseCounts = { live: PersistentMap.empty(), counted: PersistentMap.empty() };
const noneCommitted: readonly WarehouseId[] = [];

/** How a reservation ended; kept so a redelivered command for that order is recognised and never reserves again. */
export type ClosedReservation = 'released' | 'committed' | 'expired';

export interface UndefinedSku {
  readonly status: 'Undefined';
}

export interface ActiveSku {
  readonly status: 'Active';
  readonly sku: Sku;
  readonly name: Name;
  readonly unitPrice: Money;
  /** always the sum of the warehouses' on hand */
  readonly onHand: number;
  /** always the sum of the parts `open` reservations hold (and of the warehouses' reserved) */
  readonly reserved: number;
  /** stock per warehouse; a warehouse appears with its first stock event (`main` for events that name none) */
  readonly warehouses: ReadonlyMap<WarehouseId, WarehouseLevel>;
  readonly open: ReadonlyMap<OrderId, OpenReservation>;
  readonly closed: ReadonlyMap<OrderId, ClosedReservation>;
  /** null: no limit per customer */
  readonly purchaseLimit: PurchaseLimitState | null;
  /**
   * Units of the orders reserved under their channel's default limit (`ReserveStock.defaultLimit`, while the SKU had
   * no limit of its own), counted like the SKU's own limit: each reservation checks its own default against them.
   */
  readonly defaultCounts: PurchaseCounts;
}

export type InventoryState = UndefinedSku | ActiveSku;

export const skuStreamId = (sku: Sku): string => `sku-${sku}`;

/** A warehouse's stock of the SKU (none: nothing on hand, nothing reserved). */
export const levelIn = (state: ActiveSku, warehouse: WarehouseId): WarehouseLevel =>
  state.warehouses.get(warehouse) ?? emptyLevel;

/** Units that can still be reserved, all warehouses: on hand minus reserved (0 for an SKU not in the catalogue). */
export const available = (state: InventoryState): number => {
  switch (state.status) {
    case 'Undefined':
      return 0;
    case 'Active':
      return state.onHand - state.reserved;
    default:
      return absurd(state);
  }
};

/**
 * The refusal a reservation of `quantity` units for `customerId` would meet now under the SKU's purchase limit, or
 * undefined when the limit allows it (or there is none). Quotes ask it; the reservation itself decides the same way.
 */
export const purchaseLimitRefusal = (
  state: InventoryState,
  customerId: CustomerId,
  quantity: number,
  defaultLimit?: PurchaseLimit,
): InventoryError | undefined => {
  if (state.status !== 'Active') return undefined;
  const limit = appliedLimit(state, defaultLimit);
  if (limit === undefined) return undefined;
  const held = limit.counts.live.get(customerId) ?? 0;
  return held + quantity > limit.perCustomer
    ? purchaseLimitExceeded(state.sku, customerId, limit.perCustomer, held, quantity)
    : undefined;
};

/** The SKU's own limit, else the order's channel default (counted apart), else none. */
const appliedLimit = (
  state: ActiveSku,
  defaultLimit: PurchaseLimit | undefined,
): { readonly perCustomer: PurchaseLimit; readonly counts: PurchaseCounts; readonly isDefault: boolean } | undefined =>
  state.purchaseLimit !== null
    ? { perCustomer: state.purchaseLimit.perCustomer, counts: state.purchaseLimit, isDefault: false }
    : defaultLimit === undefined
      ? undefined
      : { perCustomer: defaultLimit, counts: state.defaultCounts, isDefault: true };

type Decision = E.Either<InventoryError, readonly InventoryEvent[]>;

const emit = (...events: InventoryEvent[]): Decision => accept(...events);
const nothing: Decision = accept<InventoryEvent>();

const samePrice = (a: Money, b: Money): boolean => a.amount === b.amount && a.currency === b.currency;

const defineSku = (command: DefineSku, state: InventoryState): Decision => {
  const { sku, name, unitPrice, at } = command;
  switch (state.status) {
    case 'Undefined':
      return emit({ type: 'SkuDefined', sku, name, unitPrice, at });
    case 'Active':
      // an identical redefinition is a redelivery or a no-op edit: nothing to record
      if (state.name === name && samePrice(state.unitPrice, unitPrice)) return nothing;
      return emit({ type: 'SkuUpdated', sku, name, unitPrice, at });
    default:
      return absurd(state);
  }
};

const restock = (command: RestockSku, state: ActiveSku): Decision => {
  const onHand = state.onHand + command.quantity;
  if (!Number.isSafeInteger(onHand)) return reject(stockLimitExceeded(state.sku, state.onHand, command.quantity));
  return emit({
    type: 'StockRestocked',
    sku: state.sku,
    quantity: command.quantity,
    onHand: nonNegativeInt(onHand),
    ...(command.reason === undefined ? {} : { reason: command.reason }),
    ...(command.orderId === undefined ? {} : { orderId: command.orderId }),
    ...warehouseField(command.warehouse),
    at: command.at,
  });
};

const adjust = (command: AdjustStock, state: ActiveSku): Decision => {
  const onHand = state.onHand + command.delta;
  if (!Number.isSafeInteger(onHand)) return reject(stockLimitExceeded(state.sku, state.onHand, command.delta));
  // per warehouse: units reserved there must stay there; reserved ≥ 0, so this also keeps on hand ≥ 0
  const warehouse = command.warehouse ?? mainWarehouse;
  const level = levelIn(state, warehouse);
  if (level.onHand + command.delta < level.reserved) {
    return reject(adjustmentBelowReserved(state.sku, command.delta, level.onHand, level.reserved, warehouse));
  }
  return emit({
    type: 'StockAdjusted',
    sku: state.sku,
    delta: command.delta,
    onHand: nonNegativeInt(onHand),
    reason: command.reason,
    ...warehouseField(warehouse),
    at: command.at,
  });
};

const reserve = (command: ReserveStock, state: ActiveSku): Decision => {
  const { orderId, quantity, expiresAt, at } = command;
  // idempotency comes first, so a redelivered reserve is recognised even after its expiry time
  const held = state.open.get(orderId);
  if (held) return held.quantity === quantity ? nothing : reject(reservationMismatch(orderId, held.quantity, quantity));
  const closedAs = state.closed.get(orderId);
  if (closedAs !== undefined) return reject(reservationClosed(orderId, closedAs));
  if (isAtOrAfter(at, expiresAt)) return reject(invalidReservationExpiry(orderId, at, expiresAt));
  // the limit first: a customer over it stays refused however much stock comes back
  const customerId = command.customerId;
  const overLimit =
    customerId === undefined ? undefined : purchaseLimitRefusal(state, customerId, quantity, command.defaultLimit);
  if (overLimit) return reject(overLimit);
  // counted under the channel's default only when that is the limit that applied
  const defaultLimit =
    customerId !== undefined && appliedLimit(state, command.defaultLimit)?.isDefault === true
      ? command.defaultLimit
      : undefined;
  const free = available(state);
  const allocation = quantity > free ? undefined : allocate(state.warehouses, quantity);
  if (allocation === undefined) return reject(insufficientStock(state.sku, quantity, free));
  return emit({
    type: 'StockReserved',
    sku: state.sku,
    orderId,
    quantity,
    expiresAt,
    available: nonNegativeInt(free - quantity),
    ...(customerId === undefined ? {} : { customerId }),
    ...(defaultLimit === undefined ? {} : { defaultLimit }),
    ...allocationField(allocation),
    at,
  });
};

const release = (command: ReleaseReservation, state: ActiveSku): Decision => {
  const { orderId } = command;
  const held = state.open.get(orderId);
  // a reservation with a shipped part belongs to a shipped order: as for one fully committed
  if (held && held.committed.length > 0) return reject(reservationAlreadyCommitted(orderId));
  if (held) {
    return emit({
      type: 'ReservationReleased',
      sku: state.sku,
      orderId,
      quantity: held.quantity,
      reason: command.reason,
      ...allocationField(held.allocation),
      at: command.at,
    });
  }
  const closedAs = state.closed.get(orderId);
  switch (closedAs) {
    case undefined:
      return reject(reservationNotFound(state.sku, orderId));
    case 'committed':
      return reject(reservationAlreadyCommitted(orderId));
    case 'released':
    case 'expired':
      // the units are already free: a compensation that arrives twice (or after expiry) is fine
      return nothing;
    default:
      return absurd(closedAs);
  }
};

/**
 * The parts a commit takes: every part still held, or the one in `warehouse` (none when it was already committed);
 * undefined when the reservation never held units there.
 */
const partsToCommit = (held: OpenReservation, warehouse: WarehouseId | undefined): Allocation | undefined => {
  if (warehouse === undefined) return heldParts(held);
  const part = held.allocation.find((p) => p.warehouse === warehouse);
  if (part === undefined) return undefined;
  return held.committed.includes(warehouse) ? [] : [part];
};

const commit = (command: CommitReservation, state: ActiveSku): Decision => {
  const { orderId } = command;
  // an open reservation can be committed even past its expiresAt: it only lapses once ReservationExpired is recorded
  const held = state.open.get(orderId);
  if (held) {
    const parts = partsToCommit(held, command.warehouse);
    if (parts === undefined) return reject(reservationNotFound(state.sku, orderId, command.warehouse));
    // that warehouse's part already left: a redelivered shipment
    if (parts.length === 0) return nothing;
    const units = unitsOf(parts);
    return emit({
      type: 'ReservationCommitted',
      sku: state.sku,
      orderId,
      quantity: quantity(units),
      onHand: nonNegativeInt(state.onHand - units),
      ...allocationField(parts),
      at: command.at,
    });
  }
  const closedAs = state.closed.get(orderId);
  switch (closedAs) {
    case undefined:
      return reject(reservationNotFound(state.sku, orderId));
    case 'committed':
      return nothing;
    case 'released':
    case 'expired':
      return reject(reservationClosed(orderId, closedAs));
    default:
      return absurd(closedAs);
  }
};

const expire = (command: ExpireReservation, state: ActiveSku): Decision => {
  const { orderId, now } = command;
  const held = state.open.get(orderId);
  // a reservation with a shipped part is being shipped: it no longer lapses, as one fully committed
  if (held && held.committed.length > 0) return nothing;
  if (held) {
    if (!isAtOrAfter(now, held.expiresAt)) return reject(reservationNotDue(orderId, held.expiresAt, now));
    return emit({
      type: 'ReservationExpired',
      sku: state.sku,
      orderId,
      quantity: held.quantity,
      ...allocationField(held.allocation),
      at: now,
    });
  }
  // a deadline that fires after the reservation was closed some other way has nothing left to do
  return state.closed.has(orderId) ? nothing : reject(reservationNotFound(state.sku, orderId));
};

const setPurchaseLimit = (command: SetPurchaseLimit, state: ActiveSku): Decision =>
  (state.purchaseLimit?.perCustomer ?? null) === command.perCustomer
    ? nothing
    : emit({ type: 'PurchaseLimitSet', sku: state.sku, perCustomer: command.perCustomer, at: command.at });

const returnPurchase = (command: ReturnPurchase, state: ActiveSku): Decision => {
  const counted = state.purchaseLimit?.counted.get(command.orderId) ?? state.defaultCounts.counted.get(command.orderId);
  // no limit, an order never counted (or already freed), or someone else's order: nothing to give back
  if (counted === undefined || counted.customerId !== command.customerId) return nothing;
  return emit({
    type: 'PurchaseReturned',
    sku: state.sku,
    orderId: command.orderId,
    customerId: command.customerId,
    quantity: quantity(Math.min(command.quantity, counted.units)),
    at: command.at,
  });
};

const decideActive = (command: InventoryCommand, state: ActiveSku): Decision => {
  if (command.sku !== state.sku) return reject(skuMismatch(state.sku, command.sku));
  switch (command.type) {
    case 'DefineSku':
      return defineSku(command, state);
    case 'RestockSku':
      return restock(command, state);
    case 'AdjustStock':
      return adjust(command, state);
    case 'ReserveStock':
      return reserve(command, state);
    case 'ReleaseReservation':
      return release(command, state);
    case 'CommitReservation':
      return commit(command, state);
    case 'ExpireReservation':
      return expire(command, state);
    case 'SetPurchaseLimit':
      return setPurchaseLimit(command, state);
    case 'ReturnPurchase':
      return returnPurchase(command, state);
    default:
      return absurd(command);
  }
};

const decide = (command: InventoryCommand, state: InventoryState): Decision => {
  switch (state.status) {
    case 'Undefined':
      return command.type === 'DefineSku' ? defineSku(command, state) : reject(skuNotFound(command.sku));
    case 'Active':
      return decideActive(command, state);
    default:
      return absurd(state);
  }
};

/** Stops counting up to `units` (all when undefined) of an order's units towards its customer's limit. */
const uncount = <L extends PurchaseCounts | null>(limit: L, orderId: OrderId, units?: number): L => {
  const counted = limit?.counted.get(orderId);
  if (limit === null || counted === undefined) return limit;
  const freed = Math.min(units ?? counted.units, counted.units);
  const left = counted.units - freed;
  const live = (limit.live.get(counted.customerId) ?? 0) - freed;
  return {
    ...limit,
    live:
      live > 0
        ? PersistentMap.from(limit.live).set(counted.customerId, live)
        : PersistentMap.from(limit.live).delete(counted.customerId),
    counted:
      left > 0
        ? PersistentMap.from(limit.counted).set(orderId, { customerId: counted.customerId, units: left })
        : PersistentMap.from(limit.counted).delete(orderId),
  };
};

/** Counts a reservation's units towards its customer's limit (replacing what the order counted before). */
const count = <L extends PurchaseCounts>(limit: L, orderId: OrderId, customerId: CustomerId, units: number): L => {
  const base = uncount(limit, orderId);
  return {
    ...base,
    live: PersistentMap.from(base.live).set(customerId, (base.live.get(customerId) ?? 0) + units),
    counted: PersistentMap.from(base.counted).set(orderId, { customerId, units }),
  };
};

/** Adds `onHand` and `reserved` units (either may be negative) to each part's warehouse. */
const moveStock = (
  warehouses: ReadonlyMap<WarehouseId, WarehouseLevel>,
  parts: Allocation,
  change: { readonly onHand: -1 | 0 | 1; readonly reserved: -1 | 0 | 1 },
): ReadonlyMap<WarehouseId, WarehouseLevel> => {
  let next = PersistentMap.from(warehouses);
  for (const part of parts) {
    const level = next.get(part.warehouse) ?? emptyLevel;
    next = next.set(part.warehouse, {
      onHand: level.onHand + change.onHand * part.quantity,
      reserved: level.reserved + change.reserved * part.quantity,
    });
  }
  return next;
};

const onHandIn = (state: ActiveSku, warehouse: WarehouseId | undefined, delta: number): ActiveSku => {
  const where = warehouse ?? mainWarehouse;
  const level = levelIn(state, where);
  return {
    ...state,
    onHand: state.onHand + delta,
    warehouses: PersistentMap.from(state.warehouses).set(where, { ...level, onHand: level.onHand + delta }),
  };
};

/**
 * Moves an open reservation to closed, freeing the parts it still holds; `shipped` units also leave on hand. Shipped
 * units keep counting towards the customer's limit (the customer has them); released or expired ones stop.
 */
const close = (state: ActiveSku, orderId: OrderId, as: ClosedReservation, shipped: boolean): ActiveSku => {
  const held = state.open.get(orderId);
  if (!held) return state;
  // quantities come from the reservation itself, so the levels stay its sums even on odd histories
  const parts = heldParts(held);
  const units = unitsOf(parts);
  return {
    ...state,
    onHand: shipped ? state.onHand - units : state.onHand,
    reserved: state.reserved - units,
    warehouses: moveStock(state.warehouses, parts, { onHand: shipped ? -1 : 0, reserved: -1 }),
    // persistent maps: a new version per event without copying every reservation the SKU ever had
    open: PersistentMap.from(state.open).delete(orderId),
    closed: PersistentMap.from(state.closed).set(orderId, as),
    purchaseLimit: shipped ? state.purchaseLimit : uncount(state.purchaseLimit, orderId),
    defaultCounts: shipped ? state.defaultCounts : uncount(state.defaultCounts, orderId),
  };
};

/** A commit of some parts: the reservation closes once no part is left, else it records which parts left. */
const commitParts = (state: ActiveSku, orderId: OrderId, committed: Allocation): ActiveSku => {
  const held = state.open.get(orderId);
  if (!held) return state;
  const leaving = heldParts(held).filter((part) => committed.some((c) => c.warehouse === part.warehouse));
  const left = heldParts(held).length - leaving.length;
  if (left === 0) return close(state, orderId, 'committed', true);
  const units = unitsOf(leaving);
  return {
    ...state,
    onHand: state.onHand - units,
    reserved: state.reserved - units,
    warehouses: moveStock(state.warehouses, leaving, { onHand: -1, reserved: -1 }),
    open: PersistentMap.from(state.open).set(orderId, {
      ...held,
      committed: [...held.committed, ...leaving.map((part) => part.warehouse)],
    }),
  };
};

const onPurchaseLimitSet = (state: ActiveSku, perCustomer: PurchaseLimit | null): ActiveSku => {
  if (perCustomer === null) return { ...state, purchaseLimit: null };
  const limit = state.purchaseLimit;
  return {
    ...state,
    purchaseLimit:
      limit === null
        ? { perCustomer, live: PersistentMap.empty(), counted: PersistentMap.empty() }
        : { ...limit, perCustomer },
  };
};

const evolveActive = (state: ActiveSku, event: InventoryEvent): ActiveSku => {
  switch (event.type) {
    case 'SkuDefined':
    case 'SkuUpdated':
      return { ...state, name: event.name, unitPrice: event.unitPrice };
    case 'StockRestocked':
      return onHandIn(state, event.warehouse, event.quantity);
    case 'StockAdjusted':
      return onHandIn(state, event.warehouse, event.delta);
    case 'StockReserved': {
      // quantities come from the reservations themselves, so `reserved` stays their sum even on odd histories
      const before = state.open.get(event.orderId);
      const previous = before === undefined ? [] : heldParts(before);
      const allocation = allocationOf(event);
      const limit = state.purchaseLimit;
      return {
        ...state,
        reserved: state.reserved - unitsOf(previous) + unitsOf(allocation),
        warehouses: moveStock(moveStock(state.warehouses, previous, { onHand: 0, reserved: -1 }), allocation, {
          onHand: 0,
          reserved: 1,
        }),
        open: PersistentMap.from(state.open).set(event.orderId, {
          quantity: event.quantity,
          expiresAt: event.expiresAt,
          allocation,
          committed: noneCommitted,
        }),
        purchaseLimit:
          limit === null || event.customerId === undefined || event.defaultLimit !== undefined
            ? limit
            : count(limit, event.orderId, event.customerId, event.quantity),
        defaultCounts:
          event.defaultLimit === undefined || event.customerId === undefined
            ? state.defaultCounts
            : count(state.defaultCounts, event.orderId, event.customerId, event.quantity),
      };
    }
    case 'ReservationReleased':
      return close(state, event.orderId, 'released', false);
    case 'ReservationCommitted':
      return commitParts(state, event.orderId, allocationOf(event));
    case 'ReservationExpired':
      return close(state, event.orderId, 'expired', false);
    case 'PurchaseLimitSet':
      return onPurchaseLimitSet(state, event.perCustomer);
    case 'PurchaseReturned':
      return {
        ...state,
        purchaseLimit: uncount(state.purchaseLimit, event.orderId, event.quantity),
        defaultCounts: uncount(state.defaultCounts, event.orderId, event.quantity),
      };
    default:
      return absurd(event);
  }
};

const evolve = (state: InventoryState, event: InventoryEvent): InventoryState => {
  switch (state.status) {
    case 'Undefined':
      // only a definition starts the stream; decide never emits anything else before it
      return event.type === 'SkuDefined' || event.type === 'SkuUpdated'
        ? {
            status: 'Active',
            sku: event.sku,
            name: event.name,
            unitPrice: event.unitPrice,
            onHand: 0,
            reserved: 0,
            warehouses: PersistentMap.empty(),
            open: PersistentMap.empty(),
            closed: PersistentMap.empty(),
            purchaseLimit: null,
            defaultCounts: noCounts,
          }
        : state;
    case 'Active':
      return evolveActive(state, event);
    default:
      return absurd(state);
  }
};

export const inventoryDecider: Decider<InventoryCommand, InventoryState, InventoryEvent, InventoryError> = {
  initialState: { status: 'Undefined' },
  evolve,
  decide,
};
