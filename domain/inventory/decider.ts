import type * as E from 'fp-ts/Either';
import {
  absurd,
  accept,
  isAtOrAfter,
  nonNegativeInt,
  PersistentMap,
  reject,
  type Decider,
  type Money,
  type Name,
  type OrderId,
  type Quantity,
  type Sku,
  type Timestamp,
} from '../shared';
import type {
  AdjustStock,
  CommitReservation,
  DefineSku,
  ExpireReservation,
  InventoryCommand,
  ReleaseReservation,
  ReserveStock,
  RestockSku,
} from './commands';
import {
  adjustmentBelowReserved,
  insufficientStock,
  invalidReservationExpiry,
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

export interface OpenReservation {
  readonly quantity: Quantity;
  readonly expiresAt: Timestamp;
}

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
  readonly onHand: number;
  /** always the sum of `open` quantities */
  readonly reserved: number;
  readonly open: ReadonlyMap<OrderId, OpenReservation>;
  readonly closed: ReadonlyMap<OrderId, ClosedReservation>;
}

export type InventoryState = UndefinedSku | ActiveSku;

export const skuStreamId = (sku: Sku): string => `sku-${sku}`;

/** Units that can still be reserved: on hand minus reserved (0 for an SKU not in the catalogue). */
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
    at: command.at,
  });
};

const adjust = (command: AdjustStock, state: ActiveSku): Decision => {
  const onHand = state.onHand + command.delta;
  if (!Number.isSafeInteger(onHand)) return reject(stockLimitExceeded(state.sku, state.onHand, command.delta));
  // reserved ≥ 0, so this also keeps on hand ≥ 0
  if (onHand < state.reserved) {
    return reject(adjustmentBelowReserved(state.sku, command.delta, state.onHand, state.reserved));
  }
  return emit({
    type: 'StockAdjusted',
    sku: state.sku,
    delta: command.delta,
    onHand: nonNegativeInt(onHand),
    reason: command.reason,
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
  const free = available(state);
  if (quantity > free) return reject(insufficientStock(state.sku, quantity, free));
  return emit({
    type: 'StockReserved',
    sku: state.sku,
    orderId,
    quantity,
    expiresAt,
    available: nonNegativeInt(free - quantity),
    at,
  });
};

const release = (command: ReleaseReservation, state: ActiveSku): Decision => {
  const { orderId } = command;
  const held = state.open.get(orderId);
  if (held) {
    return emit({
      type: 'ReservationReleased',
      sku: state.sku,
      orderId,
      quantity: held.quantity,
      reason: command.reason,
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

const commit = (command: CommitReservation, state: ActiveSku): Decision => {
  const { orderId } = command;
  // an open reservation can be committed even past its expiresAt: it only lapses once ReservationExpired is recorded
  const held = state.open.get(orderId);
  if (held) {
    return emit({
      type: 'ReservationCommitted',
      sku: state.sku,
      orderId,
      quantity: held.quantity,
      onHand: nonNegativeInt(state.onHand - held.quantity),
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
  if (held) {
    if (!isAtOrAfter(now, held.expiresAt)) return reject(reservationNotDue(orderId, held.expiresAt, now));
    return emit({ type: 'ReservationExpired', sku: state.sku, orderId, quantity: held.quantity, at: now });
  }
  // a deadline that fires after the reservation was closed some other way has nothing left to do
  return state.closed.has(orderId) ? nothing : reject(reservationNotFound(state.sku, orderId));
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

/** Moves an open reservation to closed; `shipped` units also leave on hand. */
const close = (state: ActiveSku, orderId: OrderId, as: ClosedReservation, shipped: boolean): ActiveSku => {
  const held = state.open.get(orderId);
  if (!held) return state;
  return {
    ...state,
    onHand: shipped ? state.onHand - held.quantity : state.onHand,
    reserved: state.reserved - held.quantity,
    // persistent maps: a new version per event without copying every reservation the SKU ever had
    open: PersistentMap.from(state.open).delete(orderId),
    closed: PersistentMap.from(state.closed).set(orderId, as),
  };
};

const evolveActive = (state: ActiveSku, event: InventoryEvent): ActiveSku => {
  switch (event.type) {
    case 'SkuDefined':
    case 'SkuUpdated':
      return { ...state, name: event.name, unitPrice: event.unitPrice };
    case 'StockRestocked':
      return { ...state, onHand: state.onHand + event.quantity };
    case 'StockAdjusted':
      return { ...state, onHand: state.onHand + event.delta };
    case 'StockReserved': {
      // quantities come from the reservations themselves, so `reserved` stays their sum even on odd histories
      const previous = state.open.get(event.orderId)?.quantity ?? 0;
      return {
        ...state,
        reserved: state.reserved - previous + event.quantity,
        open: PersistentMap.from(state.open).set(event.orderId, {
          quantity: event.quantity,
          expiresAt: event.expiresAt,
        }),
      };
    }
    case 'ReservationReleased':
      return close(state, event.orderId, 'released', false);
    case 'ReservationCommitted':
      return close(state, event.orderId, 'committed', true);
    case 'ReservationExpired':
      return close(state, event.orderId, 'expired', false);
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
            open: PersistentMap.empty(),
            closed: PersistentMap.empty(),
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
