import type * as E from 'fp-ts/Either';
import {
  absurd,
  accept,
  add,
  money,
  quantity,
  reject,
  subtract,
  zero,
  type Decider,
  type Money,
  type OrderId,
  type Sku,
  type Timestamp,
  type WarehouseId,
} from '../shared';
import type {
  CancelOrder,
  CompleteRefund,
  ConfirmOrder,
  FailRefund,
  OrderCommand,
  PlaceOrder,
  RefundLine,
  RequestRefund,
  ShipOrder,
  TradeCommand,
} from './commands';
import { channelOf } from './state';
import { orderError, type OrderError, type OrderErrorCode } from './errors';
import type {
  OrderCancelled,
  OrderConfirmed,
  OrderEvent,
  OrderPlaced,
  OrderedLine,
  RefundCompleted,
  RefundFailed,
  RefundRequested,
  RefundScope,
} from './events';
import {
  initialOrderState,
  type CancelledOrder,
  type OrderState,
  type PaidOrder,
  type PaidOrderData,
  type PlacedOrder,
  type PlacedOrderData,
  type RefundRecord,
} from './state';
import {
  confirmsWithoutPayment,
  decideAwaitingBalance,
  decideTrade,
  evolveTrade,
  isRepeatedCodConfirmation,
  isTradeCommand,
} from './trade';
import {
  planProblem,
  samePlan,
  toShipments,
  unshipped,
  withShipped,
  type PlanShipments,
  type ShipShipment,
  type ShipmentShipped,
} from './shipments';
import { amountOfRanges, firstFreeUnits, type RefundedUnits, type UnitRange } from './unit-shares';
import { duplicateSkus, maxOrderLines, type OrderPricing } from './values';

/** Each order is its own stream, so one append with an expected revision guards the whole aggregate. */
export const orderStreamId = (id: OrderId): string => `order-${id}`;

type Decision = E.Either<OrderError, readonly OrderEvent[]>;

/** An idempotent repeat: accepted, nothing new happened. */
const noEvents = (): Decision => accept<OrderEvent>();

const fail = (code: OrderErrorCode, message: string, details?: Readonly<Record<string, unknown>>): Decision =>
  reject(orderError(code, message, details));

const sameMoney = (a: Money, b: Money): boolean => a.amount === b.amount && a.currency === b.currency;

const bySku = <L extends { readonly sku: Sku }>(lines: readonly L[]): L[] =>
  [...lines].sort((a, b) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0));

const quantityOf = (quantities: ReadonlyMap<Sku, number>, sku: Sku): number => quantities.get(sku) ?? 0;

const sameRefundLines = (a: readonly RefundLine[], b: readonly RefundLine[]): boolean => {
  const left = bySku(a);
  const right = bySku(b);
  return (
    left.length === right.length && left.every((l, i) => l.sku === right[i]?.sku && l.quantity === right[i].quantity)
  );
};

const isPaid = (state: OrderState): state is PaidOrder =>
  state.status === 'Confirmed' ||
  state.status === 'PartiallyShipped' ||
  state.status === 'Shipped' ||
  state.status === 'PartiallyRefunded' ||
  state.status === 'Refunded' ||
  state.status === 'Delivered';

const shippedAtOf = (state: PaidOrder): Timestamp | null => {
  switch (state.status) {
    case 'Confirmed':
      return null;
    case 'PartiallyShipped':
    case 'Shipped':
    case 'PartiallyRefunded':
    case 'Refunded':
      return state.shippedAt;
    // cash on delivery may be handed over without a shipment recorded: delivery starts the refund window then
    case 'Delivered':
      return state.shippedAt ?? state.deliveredAt;
    default:
      return absurd(state);
  }
};

// ---------------------------------------------------------------------------------------------------------------
// PlaceOrder

const placementProblem = (command: PlaceOrder): OrderError | undefined => {
  if (command.lines.length === 0) return orderError('EmptyOrder', 'an order needs at least one line');
  if (command.lines.length > maxOrderLines) {
    return orderError('TooManyOrderLines', `an order holds at most ${maxOrderLines} lines`, {
      lines: command.lines.length,
      max: maxOrderLines,
    });
  }
  const duplicates = duplicateSkus(command.lines);
  if (duplicates.length > 0) {
    return orderError('DuplicateOrderLine', `each sku may appear on one line only: ${duplicates.join(', ')}`, {
      skus: duplicates,
    });
  }
  const foreign = command.lines.find((line) => line.unitPrice.currency !== command.currency);
  if (foreign) {
    return orderError(
      'CurrencyMismatch',
      `line ${foreign.sku} is priced in ${foreign.unitPrice.currency}, the order in ${command.currency}`,
      { sku: foreign.sku, expected: command.currency, actual: foreign.unitPrice.currency },
    );
  }
  return undefined;
};

const discountOf = (line: { readonly discount?: Money | undefined }): number => line.discount?.amount ?? 0;

const samePricing = (a: OrderPricing | null, b: OrderPricing | null): boolean => {
  if (a === null || b === null) return a === b;
  return (
    sameMoney(a.listTotal, b.listTotal) &&
    sameMoney(a.discount, b.discount) &&
    a.couponCode === b.couponCode &&
    a.promotions.length === b.promotions.length &&
    a.promotions.every((p, i) => {
      const q = b.promotions[i];
      return (
        q !== undefined &&
        p.promotionId === q.promotionId &&
        p.name === q.name &&
        sameMoney(p.amount, q.amount) &&
        p.viaCoupon === q.viaCoupon
      );
    })
  );
};

/**
 * Same customer, currency, lines (in any order), price breakdown, channel and trade type as the order already placed:
 * a client retry. The terms are not compared: a retry after its channel's profile changed is still the same order,
 * and keeps the terms it was placed with.
 */
const isSamePlacement = (command: PlaceOrder, existing: PlacedOrderData): boolean => {
  const asked = bySku(command.lines);
  const held = bySku(existing.lines);
  return (
    command.customerId === existing.customerId &&
    command.currency === existing.currency &&
    asked.length === held.length &&
    asked.every((line, i) => {
      const other = held[i];
      return (
        other !== undefined &&
        line.sku === other.sku &&
        line.quantity === other.quantity &&
        sameMoney(line.unitPrice, other.unitPrice) &&
        discountOf(line) === discountOf(other)
      );
    }) &&
    samePricing(command.pricing ?? null, existing.pricing) &&
    (command.channel ?? null) === existing.channel &&
    (command.tradeType ?? 'standard') === existing.tradeType
  );
};

const currencyProblem = (field: string, found: Money, expected: PlaceOrder['currency']): OrderError | undefined =>
  found.currency === expected
    ? undefined
    : orderError('CurrencyMismatch', `${field} is in ${found.currency}, the order in ${expected}`, {
        field,
        expected,
        actual: found.currency,
      });

const inconsistent = (field: string, message: string, details: Readonly<Record<string, unknown>>): OrderError =>
  orderError('InconsistentPricing', `${field}: ${message}`, { field, ...details });

/**
 * The price breakdown must add up: each line's discount at most its list total, the promotions' amounts summing to
 * `pricing.discount`, which is the sum of the line discounts, and `pricing.listTotal` the sum of the list totals, all
 * in the order's currency. Discounted lines need the breakdown that explains them. Amounts are known to be safe
 * integers line by line (checked by the caller); sums are checked here.
 */
const pricingProblem = (command: PlaceOrder, listTotals: readonly number[]): OrderError | undefined => {
  let lineDiscounts = 0;
  for (const [i, line] of command.lines.entries()) {
    if (line.discount === undefined) continue;
    const field = `lines[${i}].discount`;
    const wrongCurrency = currencyProblem(field, line.discount, command.currency);
    if (wrongCurrency) return wrongCurrency;
    const listTotal = listTotals[i] ?? 0;
    if (line.discount.amount > listTotal) {
      return orderError(
        'DiscountExceedsLine',
        `${field} (${line.discount.amount}) is more than the line's list total (${listTotal})`,
        { field, sku: line.sku, discount: line.discount.amount, listTotal },
      );
    }
    lineDiscounts += line.discount.amount;
  }
  const pricing = command.pricing;
  if (pricing === undefined) {
    return lineDiscounts === 0
      ? undefined
      : inconsistent('pricing', 'discounted lines need the price breakdown that explains them', { lineDiscounts });
  }
  const moneyFields: [string, Money][] = [
    ['pricing.listTotal', pricing.listTotal],
    ['pricing.discount', pricing.discount],
    ...pricing.promotions.map((p, j): [string, Money] => [`pricing.promotions[${j}].amount`, p.amount]),
  ];
  for (const [field, amount] of moneyFields) {
    const wrongCurrency = currencyProblem(field, amount, command.currency);
    if (wrongCurrency) return wrongCurrency;
  }
  const listTotal = listTotals.reduce((sum, n) => sum + n, 0);
  if (pricing.listTotal.amount !== listTotal) {
    return inconsistent('pricing.listTotal', `is ${pricing.listTotal.amount}, the lines list ${listTotal}`, {
      listTotal: pricing.listTotal.amount,
      lines: listTotal,
    });
  }
  if (pricing.discount.amount !== lineDiscounts) {
    return inconsistent(
      'pricing.discount',
      `is ${pricing.discount.amount}, the line discounts sum to ${lineDiscounts}`,
      { discount: pricing.discount.amount, lineDiscounts },
    );
  }
  const promoted = pricing.promotions.reduce((sum, p) => sum + p.amount.amount, 0);
  if (!Number.isSafeInteger(promoted) || promoted !== pricing.discount.amount) {
    return inconsistent(
      'pricing.promotions',
      `the promotions' amounts sum to ${promoted}, the discount is ${pricing.discount.amount}`,
      { promotions: promoted, discount: pricing.discount.amount },
    );
  }
  const viaCoupon = pricing.promotions.findIndex((p) => p.viaCoupon);
  if (viaCoupon >= 0 && pricing.couponCode === undefined) {
    return inconsistent(
      `pricing.promotions[${viaCoupon}].viaCoupon`,
      'a promotion came with a coupon, but no couponCode is given',
      {},
    );
  }
  return undefined;
};

const placeOrder = (command: PlaceOrder, state: OrderState): Decision => {
  if (state.status !== 'None') {
    return isSamePlacement(command, state)
      ? noEvents()
      : fail('OrderAlreadyExists', `order ${command.orderId} already exists with different content`, {
          orderId: command.orderId,
        });
  }
  const problem = placementProblem(command);
  if (problem) return reject(problem);

  const listTotals: number[] = [];
  let listTotal = 0;
  for (const line of command.lines) {
    const lineList = line.unitPrice.amount * line.quantity;
    listTotal += lineList;
    // minor units must stay exact integers; past 2^53 they silently round
    if (!Number.isSafeInteger(lineList) || !Number.isSafeInteger(listTotal)) {
      return fail('AmountTooLarge', `the order total is too large to represent exactly`, { sku: line.sku });
    }
    listTotals.push(lineList);
  }
  const pricingError = pricingProblem(command, listTotals);
  if (pricingError) return reject(pricingError);

  // what the customer pays per line; each discount is at most its line's list total (checked above)
  const lines: OrderedLine[] = command.lines.map((line, i) => ({
    ...line,
    lineTotal: money((listTotals[i] ?? 0) - discountOf(line), command.currency),
  }));
  const total = lines.reduce((sum, line) => sum + line.lineTotal.amount, 0);
  // a zero total could never be confirmed (a payment must be positive), so the order would hang
  if (total === 0) return fail('OrderTotalZero', 'an order must cost something');

  const placed: OrderPlaced = {
    type: 'OrderPlaced',
    orderId: command.orderId,
    customerId: command.customerId,
    currency: command.currency,
    lines,
    total: money(total, command.currency),
    paymentToken: command.paymentToken,
    ...(command.pricing === undefined ? {} : { pricing: command.pricing }),
    ...(command.channel === undefined ? {} : { channel: command.channel }),
    ...(command.tradeType === undefined ? {} : { tradeType: command.tradeType }),
    ...(command.terms === undefined ? {} : { terms: command.terms }),
    at: command.at,
  };
  return accept(placed);
};

// ---------------------------------------------------------------------------------------------------------------
// Commands on a placed (unpaid) order

const confirmPlaced = (command: ConfirmOrder, state: PlacedOrder): Decision => {
  if (command.paid.currency !== state.currency) {
    return fail('CurrencyMismatch', `the order is in ${state.currency}, the payment in ${command.paid.currency}`, {
      expected: state.currency,
      actual: command.paid.currency,
    });
  }
  if (command.paid.amount === 0 && !confirmsWithoutPayment(state, command))
    return fail('ZeroPayment', 'a confirmation needs a positive captured amount');
  if (command.paid.amount > state.total.amount) {
    return fail('PaymentExceedsTotal', 'more was captured than the order costs', {
      paid: command.paid.amount,
      total: state.total.amount,
    });
  }
  const confirmed: OrderConfirmed = {
    type: 'OrderConfirmed',
    orderId: state.orderId,
    paid: command.paid,
    ...channelOf(state),
    at: command.at,
  };
  return accept(confirmed);
};

const cancelled = (command: CancelOrder, wasPaid: Money, state: PlacedOrderData): Decision => {
  const event: OrderCancelled = {
    type: 'OrderCancelled',
    orderId: command.orderId,
    reason: command.reason,
    wasPaid,
    ...(state.pricing === null ? {} : { pricing: state.pricing }),
    ...channelOf(state),
    at: command.at,
  };
  return accept(event);
};

/** The commands decided by the order's status (placement, the trade types' and the plan are decided apart). */
type StatusCommand = Exclude<OrderCommand, PlaceOrder | TradeCommand | PlanShipments>;

const decidePlaced = (command: StatusCommand, state: PlacedOrder): Decision => {
  switch (command.type) {
    case 'ConfirmOrder':
      return confirmPlaced(command, state);
    case 'ShipOrder':
    case 'ShipShipment':
      return fail('OrderNotConfirmed', 'only a confirmed (paid) order can ship', { orderId: state.orderId });
    case 'CancelOrder':
      return cancelled(command, zero(state.currency), state);
    case 'RequestRefund':
      return fail('OrderNotConfirmed', 'nothing was paid yet, so nothing can be refunded', { orderId: state.orderId });
    case 'CompleteRefund':
    case 'FailRefund':
      return fail('RefundNotFound', `no refund ${command.refundId} on order ${state.orderId}`, {
        refundId: command.refundId,
      });
    default:
      return absurd(command);
  }
};

// ---------------------------------------------------------------------------------------------------------------
// Commands on a paid order

/**
 * A split order's shipments: the one of `warehouse`, or (none named) every one left. The last to leave also records
 * OrderShipped. A shipment that left already is a repeat.
 */
const shipShipments = (warehouse: WarehouseId | undefined, at: Timestamp, state: PaidOrder): Decision => {
  const shipment = state.shipments.find((s) => s.warehouse === warehouse);
  if (warehouse !== undefined && shipment === undefined) {
    return fail('ShipmentNotFound', `order ${state.orderId} has no shipment from warehouse ${warehouse}`, {
      orderId: state.orderId,
      warehouse,
      warehouses: state.shipments.map((s) => s.warehouse),
    });
  }
  const left = unshipped(state.shipments);
  const leaving = shipment === undefined ? left : left.filter((s) => s === shipment);
  if (leaving.length === 0) return noEvents();
  switch (state.status) {
    case 'Confirmed':
    case 'PartiallyShipped': {
      const shipped = leaving.map((s): ShipmentShipped => ({
        type: 'ShipmentShipped',
        orderId: state.orderId,
        warehouse: s.warehouse,
        at,
      }));
      const last = leaving.length === left.length;
      return accept<OrderEvent>(
        ...shipped,
        ...(last ? [{ type: 'OrderShipped' as const, orderId: state.orderId, at }] : []),
      );
    }
    // handed over already (cash on delivery)
    case 'Shipped':
    case 'Delivered':
      return noEvents();
    // as for an order shipped whole: a refund before the goods left stops them
    case 'PartiallyRefunded':
    case 'Refunded':
      return fail('OrderRefunded', 'the order was refunded before this shipment shipped', {
        orderId: state.orderId,
        warehouses: leaving.map((s) => s.warehouse),
      });
    default:
      return absurd(state);
  }
};

const shipPaid = (command: ShipOrder | ShipShipment, state: PaidOrder): Decision => {
  const warehouse = command.type === 'ShipShipment' ? command.warehouse : undefined;
  if (state.shipments.length > 0) return shipShipments(warehouse, command.at, state);
  if (warehouse !== undefined) {
    return fail('ShipmentNotFound', `order ${state.orderId} ships whole from one warehouse: ship it naming none`, {
      orderId: state.orderId,
      warehouse,
    });
  }
  switch (state.status) {
    case 'Confirmed':
      return accept<OrderEvent>({ type: 'OrderShipped', orderId: state.orderId, at: command.at });
    // PartiallyShipped only for split orders
    case 'PartiallyShipped':
    case 'Shipped':
    case 'Delivered':
      return noEvents();
    case 'PartiallyRefunded':
    case 'Refunded':
      return state.shippedAt !== null
        ? noEvents()
        : fail('OrderRefunded', 'the order was refunded before it shipped', { orderId: state.orderId });
    default:
      return absurd(state);
  }
};

const cancelPaid = (command: CancelOrder, state: PaidOrder): Decision => {
  switch (state.status) {
    case 'Confirmed':
      // cancelling refunds what was paid; a refund already on its way would pay the same money back twice
      return state.pending.amount > 0
        ? fail('RefundInProgress', 'a refund is pending; complete or fail it before cancelling', {
            pending: state.pending.amount,
          })
        : cancelled(command, state.paid, state);
    case 'Shipped':
    case 'PartiallyShipped':
      return fail('OrderAlreadyShipped', 'a shipped order cannot be cancelled; request a refund', {
        orderId: state.orderId,
      });
    case 'Delivered':
      return fail('OrderAlreadyDelivered', 'a delivered order cannot be cancelled; request a refund', {
        orderId: state.orderId,
      });
    case 'PartiallyRefunded':
    case 'Refunded':
      return state.shippedAt !== null
        ? fail('OrderAlreadyShipped', 'a shipped order cannot be cancelled; request a refund', {
            orderId: state.orderId,
          })
        : fail('OrderRefunded', 'money was already refunded on this order; request a refund for the rest', {
            orderId: state.orderId,
          });
    default:
      return absurd(state);
  }
};

/** Units of a line taken by the refunds not failed. */
const takenUnits = (state: PaidOrderData, sku: Sku): UnitRange[] =>
  [...state.refunds.values()].flatMap((refund) =>
    refund.status === 'Failed' ? [] : refund.units.flatMap((u) => (u.sku === sku ? u.ranges : [])),
  );

/**
 * The units a refund of `lines` returns: of each line, the first units no refund holds (see `unit-shares`). Decide
 * prices the refund with them, and evolve records them on the refund, so a failed refund gives back exactly its own.
 */
const refundedUnitsOf = (state: PaidOrderData, lines: readonly RefundLine[]): RefundedUnits[] =>
  lines.flatMap((line) => {
    const ordered = state.lines.find((o) => o.sku === line.sku);
    return ordered === undefined
      ? []
      : [{ sku: line.sku, ranges: firstFreeUnits(takenUnits(state, line.sku), ordered.quantity, line.quantity) }];
  });

/** What the customer paid for these units: each line's per-unit shares of its total. */
const valueOf = (state: PlacedOrderData, units: readonly RefundedUnits[]): number =>
  units.reduce((sum, { sku, ranges }) => {
    const ordered = state.lines.find((o) => o.sku === sku);
    return ordered === undefined ? sum : sum + amountOfRanges(ordered, ranges);
  }, 0);

const dayMs = 86_400_000;

const latest = (times: readonly Timestamp[]): Timestamp | null =>
  times.reduce<Timestamp | null>((a, b) => (a === null || Date.parse(b) > Date.parse(a) ? b : a), null);

/**
 * When the refund window of this refund starts. A split order's shipments each start their own: lines refunded count
 * from the last shipment that carried them (the line whose window closes first decides), a whole or amount refund
 * from the last shipment that left. Null: nothing it refunds has shipped.
 */
const windowStartOf = (command: RequestRefund, state: PaidOrder): Timestamp | null => {
  if (state.shipments.length === 0 || state.status === 'Delivered') return shippedAtOf(state);
  const shippedWith = (sku: Sku | undefined): Timestamp[] =>
    state.shipments.flatMap((s) =>
      s.shippedAt !== null && (sku === undefined || s.lines.some((l) => l.sku === sku)) ? [s.shippedAt] : [],
    );
  if (command.lines === undefined) return latest(shippedWith(undefined));
  const perLine = command.lines.flatMap((line) => {
    const at = latest(shippedWith(line.sku));
    return at === null ? [] : [at];
  });
  return perLine.reduce<Timestamp | null>((a, b) => (a === null || Date.parse(b) < Date.parse(a) ? b : a), null);
};

/** Past the channel's refund window after shipment (the order's frozen terms; none: no window). */
const refundWindowProblem = (command: RequestRefund, state: PaidOrder): OrderError | undefined => {
  const windowMs = state.terms?.refundWindowMs ?? null;
  const shippedAt = windowStartOf(command, state);
  if (windowMs === null || shippedAt === null) return undefined;
  const closesAt = Date.parse(shippedAt) + windowMs;
  if (Date.parse(command.at) <= closesAt) return undefined;
  return orderError(
    'RefundWindowClosed',
    `refunds on this order closed ${windowMs / dayMs} day(s) after shipment, at ${new Date(closesAt).toISOString()}`,
    { orderId: state.orderId, shippedAt, refundWindowMs: windowMs, closedAt: new Date(closesAt).toISOString() },
  );
};

/**
 * A channel without partial refunds (the order's frozen terms) takes only a refund of everything still refundable:
 * the whole order, or lines or an amount that come to all of it.
 */
const partialRefundProblem = (
  state: PaidOrder,
  scope: RefundScope,
  amount: number,
  lines: readonly RefundLine[],
  refundable: number,
): OrderError | undefined => {
  if (state.terms?.partialRefunds !== false || scope === 'Whole') return undefined;
  const unitsLeft = state.lines.some((ordered) => {
    const asked = lines.find((line) => line.sku === ordered.sku)?.quantity ?? 0;
    return ordered.quantity - quantityOf(state.requestedQuantities, ordered.sku) > asked;
  });
  if (amount >= refundable && (scope === 'Amount' || !unitsLeft)) return undefined;
  return orderError(
    'PartialRefundNotAllowed',
    `this order's channel allows only a refund of everything still refundable (${refundable}); ask for the whole order`,
    { orderId: state.orderId, requested: amount, refundable },
  );
};

const scopeOf = (command: RequestRefund): RefundScope | undefined => {
  if (command.lines !== undefined && command.amount !== undefined) return undefined;
  if (command.lines !== undefined) return 'Lines';
  if (command.amount !== undefined) return 'Amount';
  return 'Whole';
};

/** A retry carries the same request; the computed amount of a whole-order refund may differ by now, so it is not compared. */
const isSameRequest = (command: RequestRefund, record: RefundRecord): boolean => {
  const scope = scopeOf(command);
  if (scope !== record.scope || command.reason !== record.reason || command.restock !== record.restock) return false;
  switch (scope) {
    case 'Whole':
      return true;
    case 'Lines':
      return command.lines !== undefined && sameRefundLines(command.lines, record.lines);
    case 'Amount':
      return command.amount !== undefined && sameMoney(command.amount, record.amount);
    default:
      return absurd(scope);
  }
};

const requestRefund = (command: RequestRefund, state: PaidOrder): Decision => {
  const existing = state.refunds.get(command.refundId);
  if (existing) {
    return isSameRequest(command, existing)
      ? noEvents()
      : fail('RefundIdReused', `refund ${command.refundId} was already requested with different content`, {
          refundId: command.refundId,
        });
  }
  if (state.status === 'Refunded') {
    return fail('OrderFullyRefunded', 'everything paid was already refunded', { orderId: state.orderId });
  }
  if (command.lines !== undefined && command.amount !== undefined) {
    return fail('AmbiguousRefund', 'refund either some lines or an amount, not both');
  }
  const windowClosed = refundWindowProblem(command, state);
  if (windowClosed) return reject(windowClosed);

  const refundable = state.paid.amount - state.refunded.amount - state.pending.amount;
  const requested = (scope: RefundScope, amount: number, lines: readonly RefundLine[]): Decision => {
    const partial = partialRefundProblem(state, scope, amount, lines, refundable);
    if (partial) return reject(partial);
    const event: RefundRequested = {
      type: 'RefundRequested',
      orderId: state.orderId,
      refundId: command.refundId,
      scope,
      amount: money(amount, state.currency),
      lines,
      reason: command.reason,
      restock: command.restock,
      customerId: state.customerId,
      at: command.at,
    };
    return accept(event);
  };

  if (command.amount !== undefined) {
    const amount = command.amount;
    if (amount.currency !== state.currency) {
      return fail('CurrencyMismatch', `the order is in ${state.currency}, the refund in ${amount.currency}`, {
        expected: state.currency,
        actual: amount.currency,
      });
    }
    // a refund by amount names no units, so there is nothing to put back on the shelf
    if (command.restock) return fail('RestockNeedsLines', 'restocking needs the returned lines, not an amount');
    if (amount.amount === 0) return fail('NothingToRefund', 'the refund amount must be positive');
    if (amount.amount > refundable) {
      return fail('RefundExceedsPaid', 'the refund is more than what was paid and not yet refunded', {
        requested: amount.amount,
        refundable,
      });
    }
    return requested('Amount', amount.amount, []);
  }

  if (command.lines !== undefined) {
    if (command.lines.length === 0) return fail('NothingToRefund', 'name at least one line to refund');
    const duplicates = duplicateSkus(command.lines);
    if (duplicates.length > 0) {
      return fail('DuplicateRefundLine', `each sku may appear once in a refund: ${duplicates.join(', ')}`, {
        skus: duplicates,
      });
    }
    for (const line of command.lines) {
      const ordered = state.lines.find((o) => o.sku === line.sku);
      if (!ordered) {
        return fail('UnknownOrderLine', `sku ${line.sku} is not on order ${state.orderId}`, { sku: line.sku });
      }
      const available = ordered.quantity - quantityOf(state.requestedQuantities, line.sku);
      if (line.quantity > available) {
        return fail('RefundQuantityExceeded', `only ${available} of ${line.sku} can still be refunded`, {
          sku: line.sku,
          requested: line.quantity,
          available,
        });
      }
    }
    const value = valueOf(state, refundedUnitsOf(state, command.lines));
    // a partial capture or earlier refunds by amount may leave less money than the lines are worth
    const amount = Math.min(value, refundable);
    if (amount === 0) return fail('NothingToRefund', 'nothing refundable remains for these lines', { refundable });
    return requested('Lines', amount, command.lines);
  }

  if (refundable === 0) return fail('NothingToRefund', 'everything paid is already refunded or being refunded');
  const remainingLines = state.lines.flatMap((ordered) => {
    const left = ordered.quantity - quantityOf(state.requestedQuantities, ordered.sku);
    return left > 0 ? [{ sku: ordered.sku, quantity: quantity(left) }] : [];
  });
  if (command.restock && remainingLines.length === 0) {
    return fail('RestockNeedsLines', 'every unit is already being refunded, so there is nothing left to restock');
  }
  // what is still refundable, whatever the remaining units were paid (a refund by amount names no units)
  return requested('Whole', refundable, remainingLines);
};

const refundNotFound = (refundId: string, state: PaidOrder): Decision =>
  fail('RefundNotFound', `no refund ${refundId} on order ${state.orderId}`, { refundId });

const completeRefund = (command: CompleteRefund, state: PaidOrder): Decision => {
  const refund = state.refunds.get(command.refundId);
  if (!refund) return refundNotFound(command.refundId, state);
  switch (refund.status) {
    case 'Pending': {
      const event: RefundCompleted = {
        type: 'RefundCompleted',
        orderId: state.orderId,
        refundId: refund.refundId,
        amount: refund.amount,
        at: command.at,
      };
      return accept(event);
    }
    case 'Completed':
      return noEvents();
    case 'Failed':
      return fail('RefundAlreadyFailed', `refund ${refund.refundId} failed; request a new refund`, {
        refundId: refund.refundId,
      });
    default:
      return absurd(refund.status);
  }
};

const failRefund = (command: FailRefund, state: PaidOrder): Decision => {
  const refund = state.refunds.get(command.refundId);
  if (!refund) return refundNotFound(command.refundId, state);
  switch (refund.status) {
    case 'Pending': {
      const event: RefundFailed = {
        type: 'RefundFailed',
        orderId: state.orderId,
        refundId: refund.refundId,
        reason: command.reason,
        at: command.at,
      };
      return accept(event);
    }
    case 'Failed':
      return noEvents();
    case 'Completed':
      return fail('RefundAlreadyCompleted', `refund ${refund.refundId} already completed; the money is gone`, {
        refundId: refund.refundId,
      });
    default:
      return absurd(refund.status);
  }
};

const decidePaid = (command: StatusCommand, state: PaidOrder): Decision => {
  switch (command.type) {
    case 'ConfirmOrder':
      // a retried confirmation with the same capture is a repeat; anything else contradicts the recorded payment
      return sameMoney(command.paid, state.paid) || isRepeatedCodConfirmation(state, command)
        ? noEvents()
        : fail('OrderAlreadyConfirmed', 'the order was already confirmed with a different payment', {
            paid: state.paid,
          });
    case 'ShipOrder':
    case 'ShipShipment':
      return shipPaid(command, state);
    case 'CancelOrder':
      return cancelPaid(command, state);
    case 'RequestRefund':
      return requestRefund(command, state);
    case 'CompleteRefund':
      return completeRefund(command, state);
    case 'FailRefund':
      return failRefund(command, state);
    default:
      return absurd(command);
  }
};

// ---------------------------------------------------------------------------------------------------------------
// PlanShipments

/** The plan the fulfilment saga sends once every line is reserved: kept once, before anything shipped. */
const planShipments = (command: PlanShipments, state: OrderState): Decision => {
  if (state.status === 'None') {
    return fail('OrderNotFound', `order ${command.orderId} does not exist`, { orderId: command.orderId });
  }
  if (state.status === 'Cancelled') {
    return fail('OrderCancelled', `order ${state.orderId} was cancelled`, { orderId: state.orderId });
  }
  if (state.shipments.length > 0) {
    return samePlan(state.shipments, command.shipments)
      ? noEvents()
      : fail('ShipmentsAlreadyPlanned', `order ${state.orderId} already has its shipments`, {
          orderId: state.orderId,
          warehouses: state.shipments.map((s) => s.warehouse),
        });
  }
  switch (state.status) {
    case 'Placed':
    case 'AwaitingBalance':
    case 'Confirmed': {
      const problem = planProblem(command.shipments, state.lines);
      return problem === undefined
        ? accept<OrderEvent>({
            type: 'ShipmentsPlanned',
            orderId: state.orderId,
            shipments: command.shipments,
            at: command.at,
          })
        : fail('InvalidShipmentPlan', problem, { orderId: state.orderId });
    }
    // it left whole before the plan came: nothing to split any more
    case 'PartiallyShipped':
    case 'Shipped':
    case 'Delivered':
    case 'PartiallyRefunded':
    case 'Refunded':
      return fail('OrderAlreadyShipped', `order ${state.orderId} shipped (or was refunded) before a plan came`, {
        orderId: state.orderId,
      });
    default:
      return absurd(state);
  }
};

const decide = (command: OrderCommand, state: OrderState): Decision => {
  // placement first: an identical retry is answered the same whatever happened to the order since
  if (command.type === 'PlaceOrder') return placeOrder(command, state);
  // the pre-sale's and cash on delivery's own commands (trade.ts)
  if (isTradeCommand(command)) return decideTrade(command, state);
  if (command.type === 'PlanShipments') return planShipments(command, state);
  switch (state.status) {
    case 'None':
      return fail('OrderNotFound', `order ${command.orderId} does not exist`, { orderId: command.orderId });
    case 'Cancelled':
      return command.type === 'CancelOrder'
        ? noEvents()
        : fail('OrderCancelled', `order ${state.orderId} was cancelled`, { orderId: state.orderId });
    case 'Placed':
      return decidePlaced(command, state);
    case 'AwaitingBalance':
      return command.type === 'ShipShipment'
        ? fail('OrderNotConfirmed', 'a pre-sale ships once its balance is paid', { orderId: state.orderId })
        : decideAwaitingBalance(command, state, cancelled);
    case 'Confirmed':
    case 'PartiallyShipped':
    case 'Shipped':
    case 'PartiallyRefunded':
    case 'Refunded':
    case 'Delivered':
      return decidePaid(command, state);
    default:
      return absurd(state);
  }
};

// ---------------------------------------------------------------------------------------------------------------
// evolve: events come from decide, so one that does not fit the state is ignored rather than thrown

const placedDataOf = (state: PlacedOrderData): PlacedOrderData => ({
  orderId: state.orderId,
  customerId: state.customerId,
  currency: state.currency,
  lines: state.lines,
  total: state.total,
  paymentToken: state.paymentToken,
  placedAt: state.placedAt,
  pricing: state.pricing,
  channel: state.channel,
  tradeType: state.tradeType,
  terms: state.terms,
  shipments: state.shipments,
});

const paidDataOf = (state: PaidOrderData): PaidOrderData => ({
  ...placedDataOf(state),
  paid: state.paid,
  confirmedAt: state.confirmedAt,
  refunded: state.refunded,
  pending: state.pending,
  refunds: state.refunds,
  requestedQuantities: state.requestedQuantities,
  refundedQuantities: state.refundedQuantities,
});

/** Adds (or with sign −1 removes) the units of some lines; zero counts are dropped so equal states compare equal. */
const shiftQuantities = (
  quantities: ReadonlyMap<Sku, number>,
  lines: readonly RefundLine[],
  sign: 1 | -1,
): ReadonlyMap<Sku, number> => {
  const next = new Map(quantities);
  for (const line of lines) {
    const count = quantityOf(next, line.sku) + sign * line.quantity;
    if (count === 0) next.delete(line.sku);
    else next.set(line.sku, count);
  }
  return next;
};

const withRefund = (
  refunds: ReadonlyMap<RefundRecord['refundId'], RefundRecord>,
  record: RefundRecord,
): ReadonlyMap<RefundRecord['refundId'], RefundRecord> => new Map(refunds).set(record.refundId, record);

const onRefundRequested = (state: PaidOrder, event: RefundRequested): OrderState => {
  if (state.refunds.has(event.refundId)) return state;
  const record: RefundRecord = {
    refundId: event.refundId,
    scope: event.scope,
    amount: event.amount,
    lines: event.lines,
    units: refundedUnitsOf(state, event.lines),
    reason: event.reason,
    restock: event.restock,
    status: 'Pending',
    requestedAt: event.at,
    settledAt: null,
  };
  return {
    ...state,
    refunds: withRefund(state.refunds, record),
    pending: add(state.pending, event.amount),
    requestedQuantities: shiftQuantities(state.requestedQuantities, event.lines, 1),
  };
};

const onRefundCompleted = (state: PaidOrder, event: RefundCompleted): OrderState => {
  const refund = state.refunds.get(event.refundId);
  if (refund?.status !== 'Pending') return state;
  const data: PaidOrderData = {
    ...paidDataOf(state),
    refunds: withRefund(state.refunds, { ...refund, status: 'Completed', settledAt: event.at }),
    refunded: add(state.refunded, refund.amount),
    pending: subtract(state.pending, refund.amount),
    refundedQuantities: shiftQuantities(state.refundedQuantities, refund.lines, 1),
  };
  const shippedAt = shippedAtOf(state);
  return data.refunded.amount === data.paid.amount
    ? { ...data, status: 'Refunded', shippedAt, refundedAt: event.at }
    : { ...data, status: 'PartiallyRefunded', shippedAt };
};

const onRefundFailed = (state: PaidOrder, event: RefundFailed): OrderState => {
  const refund = state.refunds.get(event.refundId);
  if (refund?.status !== 'Pending') return state;
  return {
    ...state,
    refunds: withRefund(state.refunds, { ...refund, status: 'Failed', settledAt: event.at }),
    pending: subtract(state.pending, refund.amount),
    requestedQuantities: shiftQuantities(state.requestedQuantities, refund.lines, -1),
  };
};

const onCancelled = (state: PlacedOrderData, event: OrderCancelled): CancelledOrder => ({
  ...placedDataOf(state),
  status: 'Cancelled',
  reason: event.reason,
  wasPaid: event.wasPaid,
  cancelledAt: event.at,
});

const onShipmentShipped = (state: OrderState, event: ShipmentShipped): OrderState => {
  switch (state.status) {
    case 'Confirmed':
      return {
        ...state,
        status: 'PartiallyShipped',
        shippedAt: event.at,
        shipments: withShipped(state.shipments, event.warehouse, event.at),
      };
    case 'PartiallyShipped':
      return { ...state, shipments: withShipped(state.shipments, event.warehouse, event.at) };
    // decide ships only confirmed orders
    case 'None':
    case 'Placed':
    case 'AwaitingBalance':
    case 'Shipped':
    case 'PartiallyRefunded':
    case 'Refunded':
    case 'Delivered':
    case 'Cancelled':
      return state;
    default:
      return absurd(state);
  }
};

const evolve = (state: OrderState, event: OrderEvent): OrderState => {
  switch (event.type) {
    case 'OrderPlaced':
      return state.status === 'None'
        ? {
            status: 'Placed',
            orderId: event.orderId,
            customerId: event.customerId,
            currency: event.currency,
            lines: event.lines,
            total: event.total,
            paymentToken: event.paymentToken,
            placedAt: event.at,
            pricing: event.pricing ?? null,
            channel: event.channel ?? null,
            tradeType: event.tradeType ?? 'standard',
            terms: event.terms ?? null,
            shipments: [],
          }
        : state;
    case 'OrderConfirmed':
      return state.status === 'Placed' || state.status === 'AwaitingBalance'
        ? {
            ...placedDataOf(state),
            status: 'Confirmed',
            paid: event.paid,
            confirmedAt: event.at,
            refunded: zero(state.currency),
            pending: zero(state.currency),
            refunds: new Map(),
            requestedQuantities: new Map(),
            refundedQuantities: new Map(),
          }
        : state;
    case 'OrderShipped':
      // a split order's last shipment: it shipped
      return state.status === 'Confirmed' || state.status === 'PartiallyShipped'
        ? { ...state, status: 'Shipped', shippedAt: event.at }
        : state;
    case 'ShipmentsPlanned':
      return state.status === 'None' || state.shipments.length > 0
        ? state
        : { ...state, shipments: toShipments(event.shipments) };
    case 'ShipmentShipped':
      return onShipmentShipped(state, event);
    case 'OrderCancelled':
      return state.status === 'Placed' || state.status === 'Confirmed' || state.status === 'AwaitingBalance'
        ? onCancelled(state, event)
        : state;
    case 'RefundRequested':
      return isPaid(state) ? onRefundRequested(state, event) : state;
    case 'RefundCompleted':
      return isPaid(state) ? onRefundCompleted(state, event) : state;
    case 'RefundFailed':
      return isPaid(state) ? onRefundFailed(state, event) : state;
    case 'DepositPaid':
    case 'BalanceRequested':
    case 'OrderDelivered':
    case 'DeliveryRefused':
      return evolveTrade(state, event, { placedDataOf, paidDataOf });
    default:
      return absurd(event);
  }
};

export const orderDecider: Decider<OrderCommand, OrderState, OrderEvent, OrderError> = {
  initialState: initialOrderState,
  evolve,
  decide,
};
