import { domainError, type CustomerId, type DomainError, type OrderId, type Sku, type WarehouseId } from '../shared';

export type InventoryErrorCode =
  | 'SkuNotFound'
  | 'SkuMismatch'
  | 'AdjustmentBelowReserved'
  | 'StockLimitExceeded'
  | 'InsufficientStock'
  | 'InvalidReservationExpiry'
  | 'ReservationMismatch'
  | 'ReservationClosed'
  | 'ReservationNotFound'
  | 'ReservationCommitted'
  | 'ReservationNotDue'
  | 'PurchaseLimitExceeded';

export type InventoryError = DomainError & { readonly code: InventoryErrorCode };

export const skuNotFound = (sku: Sku): InventoryError =>
  domainError('SkuNotFound', 'not_found', `SKU ${sku} is not in the catalogue`, { sku });

/** A command routed to another SKU's stream: a routing bug, refused rather than silently applied. */
export const skuMismatch = (expected: Sku, got: Sku): InventoryError =>
  domainError('SkuMismatch', 'conflict', `command for SKU ${got} reached the stream of SKU ${expected}`, {
    expected,
    got,
  });

/** `onHand` and `reserved` are the warehouse's. */
export const adjustmentBelowReserved = (
  sku: Sku,
  delta: number,
  onHand: number,
  reserved: number,
  warehouse: WarehouseId,
): InventoryError =>
  domainError(
    'AdjustmentBelowReserved',
    'rule_violation',
    `adjusting SKU ${sku} in warehouse ${warehouse} by ${delta} would leave ${onHand + delta} on hand, below the ${reserved} reserved`,
    { delta, onHand, reserved, warehouse },
  );

export const stockLimitExceeded = (sku: Sku, onHand: number, increase: number): InventoryError =>
  domainError('StockLimitExceeded', 'rule_violation', `SKU ${sku} cannot hold ${onHand} + ${increase} units`, {
    onHand,
    increase,
  });

export const insufficientStock = (sku: Sku, requested: number, available: number): InventoryError =>
  domainError('InsufficientStock', 'rule_violation', `SKU ${sku} has ${available} available, ${requested} requested`, {
    requested,
    available,
  });

export const invalidReservationExpiry = (orderId: OrderId, at: string, expiresAt: string): InventoryError =>
  domainError(
    'InvalidReservationExpiry',
    'rule_violation',
    `reservation for order ${orderId} would expire at ${expiresAt}, not after it is made at ${at}`,
    { orderId, at, expiresAt },
  );

export const reservationMismatch = (orderId: OrderId, held: number, requested: number): InventoryError =>
  domainError(
    'ReservationMismatch',
    'conflict',
    `order ${orderId} already holds a reservation of ${held}, not ${requested}`,
    { orderId, held, requested },
  );

export const reservationClosed = (orderId: OrderId, closedAs: string): InventoryError =>
  domainError('ReservationClosed', 'conflict', `the reservation for order ${orderId} was already ${closedAs}`, {
    orderId,
    closedAs,
  });

export const reservationNotFound = (sku: Sku, orderId: OrderId, warehouse?: WarehouseId): InventoryError =>
  warehouse === undefined
    ? domainError('ReservationNotFound', 'conflict', `order ${orderId} never reserved SKU ${sku}`, { orderId })
    : domainError(
        'ReservationNotFound',
        'conflict',
        `order ${orderId} never reserved SKU ${sku} in warehouse ${warehouse}`,
        { orderId, warehouse },
      );

export const reservationAlreadyCommitted = (orderId: OrderId): InventoryError =>
  domainError(
    'ReservationCommitted',
    'conflict',
    `the reservation for order ${orderId} was committed (shipped) and can no longer be released`,
    { orderId },
  );

export const reservationNotDue = (orderId: OrderId, expiresAt: string, now: string): InventoryError =>
  domainError('ReservationNotDue', 'rule_violation', `the reservation for order ${orderId} expires at ${expiresAt}`, {
    orderId,
    expiresAt,
    now,
  });

export const purchaseLimitExceeded = (
  sku: Sku,
  customerId: CustomerId,
  limit: number,
  live: number,
  requested: number,
): InventoryError =>
  domainError(
    'PurchaseLimitExceeded',
    'rule_violation',
    `customer ${customerId} may hold at most ${limit} of SKU ${sku}; ${live} held, ${requested} more requested`,
    { sku, customerId, limit, live, requested },
  );
