import type {
  BalanceRequested,
  DepositPaid,
  DeliveryRefused,
  OrderDelivered,
  OrderEvent,
  OrderPlaced,
  RefundCompleted,
  RefundFailed,
  RefundRequested,
} from '../../domain/order';
import type { PaymentEvent, PaymentRefunded, PaymentRefundFailed } from '../../domain/payment';
import { cancellationRefundId } from '../../domain/sagas';
import { evolvePaymentSummary, type MoneyView, type PaymentSummary } from '../payments/projection';
import { defineProjection, type On, type Projection } from '../projection';
import { addToTimeline, timelineEntry, type OrderStockEvent, type TimelineEntry, type TimelineEvent } from './timeline';
import { plannedShipments, shipmentsAfter, type ShipmentView } from './shipments';

export type OrderStatus =
  | 'Placed'
  | 'Confirmed'
  | 'Shipped'
  | 'Cancelled'
  | 'PartiallyRefunded'
  | 'Refunded'
  // a pre-sale whose deposit is paid; cash on delivery handed over and paid
  | 'AwaitingBalance'
  | 'Delivered'
  // a split order some of whose shipments left
  | 'PartiallyShipped';

/**
 * A pre-sale's terms and progress: the window the balance is paid in, what happens to the deposit when it is late,
 * the deposit once paid and the balance tries asked for so far.
 */
export interface PresaleView {
  readonly depositBasisPoints: number;
  readonly balanceFrom: string;
  readonly balanceUntil: string;
  readonly lateBalance: 'keepDeposit' | 'refundDeposit';
  readonly deposit?: MoneyView;
  readonly depositPaidAt?: string;
  readonly balanceRequests?: number;
  readonly balanceRequestedAt?: string;
}

export interface OrderLineView {
  readonly sku: string;
  readonly quantity: number;
  readonly unitPrice: MoneyView;
  /** what the customer pays for the line: list price less `discount` */
  readonly lineTotal: MoneyView;
  /** what promotions took off the line (absent: nothing) */
  readonly discount?: MoneyView;
  /** units covered by completed refunds */
  readonly refundedQuantity: number;
}

/** How the order was priced when promotions or a coupon took something off (absent otherwise). */
export interface OrderPricingView {
  readonly listTotal: MoneyView;
  readonly discount: MoneyView;
  readonly promotions: readonly {
    readonly promotionId: string;
    readonly name: string;
    readonly amount: MoneyView;
    readonly viaCoupon: boolean;
  }[];
  readonly couponCode?: string;
}

export type OrderRefundStatus = 'Pending' | 'Completed' | 'Failed';

export interface OrderRefundView {
  readonly refundId: string;
  readonly amount: MoneyView;
  readonly status: OrderRefundStatus;
  readonly reason: string;
  /** units being returned; empty for a refund by amount */
  readonly lines: readonly { readonly sku: string; readonly quantity: number }[];
  readonly requestedAt: string;
  /** when it completed or failed */
  readonly settledAt?: string;
  readonly failureReason?: string;
}

/** Fields every order document has, whichever of its streams was projected first. */
interface OrderDocCommon {
  readonly orderId: string;
  /** latest `at` among the projected events */
  readonly updatedAt: string;
  /** null until a payment event of the order was projected */
  readonly payment: PaymentSummary | null;
  /** order, payment and stock-reservation events of the order, by store position, the latest TIMELINE_LIMIT */
  readonly timeline: readonly TimelineEntry[];
  /**
   * Customer refunds in order of request, then the payout of a cancelled order's capture (refund id
   * `order-cancellation`): only the payment stream records that one, so it may arrive before OrderPlaced.
   */
  readonly refunds: readonly OrderRefundView[];
}

/**
 * An order known only from other centres' events so far: payment and stock events travel on other topics than
 * the order's own stream, so they may be projected before OrderPlaced. Filters on status skip it; it becomes a
 * placed document when OrderPlaced arrives.
 */
export type UnplacedOrderDoc = OrderDocCommon & {
  readonly status: null;
  readonly customerId: null;
  readonly placedAt: null;
};

export type PlacedOrderDoc = OrderDocCommon & {
  readonly status: OrderStatus;
  readonly customerId: string;
  /**
   * The channel it was placed through (`default` for the built-in default). Documents projected before channels
   * lack it and its trade type: the read API shows them as `default` and `standard` (see `withChannelDefaults`).
   */
  readonly channel?: string;
  readonly tradeType?: string;
  readonly currency: string;
  readonly lines: readonly OrderLineView[];
  readonly pricing?: OrderPricingView;
  readonly total: MoneyView;
  /** captured at confirmation; zero before */
  readonly paid: MoneyView;
  /** sum of completed refunds, the payout of a cancelled order's capture included */
  readonly refunded: MoneyView;
  /** sum of refunds requested but neither completed nor failed */
  readonly refundsPending: MoneyView;
  /** ISO instant of placement in toISOString's fixed-width form, so it sorts chronologically as text */
  readonly placedAt: string;
  readonly confirmedAt?: string;
  readonly shippedAt?: string;
  readonly cancelledAt?: string;
  readonly cancelReason?: string;
  /** pre-sale only */
  readonly presale?: PresaleView;
  /** cash on delivery: when it was handed over (the cash collected is `paid`) */
  readonly deliveredAt?: string;
  /** cash on delivery refused at the door: the customer's words (the order is Cancelled, `delivery_refused`) */
  readonly deliveryRefusal?: string;
  /** an order split over warehouses: one shipment each (absent: it ships whole); `shippedAt` is the first's */
  readonly shipments?: readonly ShipmentView[];
};

/** `orders` read model: one document per order (id = orderId), fed by the order, payment and SKU streams. */
export type OrderDoc = UnplacedOrderDoc | PlacedOrderDoc;

const amount = (value: number, currency: string): MoneyView => ({ amount: value, currency });

/** The channel of an order placed without one: the built-in default's. */
export const DEFAULT_CHANNEL = 'default';

/**
 * An order as the read API answers it: documents projected before channels existed carry no channel or trade type,
 * and were placed through the built-in default as standard orders.
 */
export const withChannelDefaults = <Body extends Readonly<Record<string, unknown>>>(body: Body): Body =>
  body.status === null || body.status === undefined
    ? body
    : { ...body, channel: body.channel ?? DEFAULT_CHANNEL, tradeType: body.tradeType ?? 'standard' };

const laterOf = (a: string, b: string): string => {
  const [ta, tb] = [Date.parse(a), Date.parse(b)];
  return tb > ta || (tb === ta && b > a) ? b : a;
};

/**
 * The sort key of the read API: timestamps may carry 0 to 9 fractional digits, and `10:00:00Z` sorts after
 * `10:00:00.5Z` as text, so placement times are stored in the one fixed-width form of toISOString.
 */
const sortableInstant = (at: string): string => {
  const ms = Date.parse(at);
  return Number.isNaN(ms) ? at : new Date(ms).toISOString();
};

const isPaid = (doc: PlacedOrderDoc): boolean =>
  doc.status === 'Confirmed' ||
  doc.status === 'PartiallyShipped' ||
  doc.status === 'Shipped' ||
  doc.status === 'PartiallyRefunded' ||
  doc.status === 'Refunded' ||
  doc.status === 'Delivered';

const replaceRefund = (doc: PlacedOrderDoc, refund: OrderRefundView): readonly OrderRefundView[] =>
  doc.refunds.map((r) => (r.refundId === refund.refundId ? refund : r));

const pendingRefund = (doc: PlacedOrderDoc, refundId: string): OrderRefundView | undefined =>
  isPaid(doc) ? doc.refunds.find((r) => r.refundId === refundId && r.status === 'Pending') : undefined;

/** What the order shows as the reason of the payout the fulfilment saga makes when a paid order is cancelled. */
export const CANCELLATION_REFUND_REASON = 'order cancelled';

const isCancellationRefund = (refund: { readonly refundId: string }): boolean =>
  refund.refundId === cancellationRefundId;

/** Customer refunds keep their order of request and the cancellation payout stays last, whenever it arrived. */
const withCustomerRefund = (
  refunds: readonly OrderRefundView[],
  refund: OrderRefundView,
): readonly OrderRefundView[] => {
  const index = refunds.findIndex(isCancellationRefund);
  return index === -1 ? [...refunds, refund] : [...refunds.slice(0, index), refund, ...refunds.slice(index)];
};

const onRefundRequested = (doc: PlacedOrderDoc, event: RefundRequested): PlacedOrderDoc => {
  if (!isPaid(doc) || doc.refunds.some((r) => r.refundId === event.refundId)) return doc;
  const refund: OrderRefundView = {
    refundId: event.refundId,
    amount: event.amount,
    status: 'Pending',
    reason: event.reason,
    lines: event.lines,
    requestedAt: event.at,
  };
  return { ...doc, refunds: withCustomerRefund(doc.refunds, refund) };
};

const onRefundCompleted = (doc: PlacedOrderDoc, event: RefundCompleted): PlacedOrderDoc => {
  const refund = pendingRefund(doc, event.refundId);
  if (refund === undefined) return doc;
  const refunded = doc.refunded.amount + refund.amount.amount;
  const returned = (sku: string): number =>
    refund.lines.filter((line) => line.sku === sku).reduce((sum, line) => sum + line.quantity, 0);
  return {
    ...doc,
    // as in the aggregate: fully refunded once the refunds reach what was paid
    status: refunded >= doc.paid.amount ? 'Refunded' : 'PartiallyRefunded',
    lines: doc.lines.map((line) => ({ ...line, refundedQuantity: line.refundedQuantity + returned(line.sku) })),
    refunds: replaceRefund(doc, { ...refund, status: 'Completed', settledAt: event.at }),
  };
};

const onRefundFailed = (doc: PlacedOrderDoc, event: RefundFailed): PlacedOrderDoc => {
  const refund = pendingRefund(doc, event.refundId);
  if (refund === undefined) return doc;
  return {
    ...doc,
    refunds: replaceRefund(doc, { ...refund, status: 'Failed', settledAt: event.at, failureReason: event.reason }),
  };
};

/**
 * The fulfilment saga pays a cancelled order's capture back through the payment centre alone (the order centre
 * never records it), so the order learns of that refund from its payment's events. A payout stays paid out; a
 * failed attempt leaves it pending (the saga retries, then hands it to an operator).
 */
const onCaptureRefund = (
  doc: OrderDoc,
  event: PaymentRefunded | PaymentRefundFailed,
  payment: PaymentSummary,
): readonly OrderRefundView[] => {
  const current = doc.refunds.find(isCancellationRefund);
  if (current?.status === 'Completed') return doc.refunds;
  const requestedAt = current?.requestedAt ?? event.at;
  const common = { refundId: event.refundId, amount: event.amount, reason: CANCELLATION_REFUND_REASON, lines: [] };
  let next: OrderRefundView;
  if (event.type === 'PaymentRefunded') {
    // the payment's own guards (nothing captured, more than captured) decide whether money went back
    if (payment.refunded.amount <= (doc.payment?.refunded.amount ?? 0)) return doc.refunds;
    next = { ...common, status: 'Completed', requestedAt, settledAt: event.at };
  } else {
    if (!isSettledPayment(payment)) return doc.refunds;
    next = { ...common, status: 'Pending', requestedAt, failureReason: event.message };
  }
  return current === undefined ? [...doc.refunds, next] : doc.refunds.map((r) => (isCancellationRefund(r) ? next : r));
};

const isSettledPayment = (payment: PaymentSummary): boolean =>
  payment.status === 'Captured' || payment.status === 'PartiallyRefunded' || payment.status === 'Refunded';

const sumOf = (doc: PlacedOrderDoc, status: OrderRefundStatus): MoneyView =>
  amount(
    doc.refunds
      .filter((r) => r.status === status && r.amount.currency === doc.currency)
      .reduce((sum, r) => sum + r.amount.amount, 0),
    doc.currency,
  );

/** The totals follow from the refunds listed (after every event), whichever stream delivered them first. */
const withRefundTotals = (doc: OrderDoc): OrderDoc =>
  doc.status === null ? doc : { ...doc, refunded: sumOf(doc, 'Completed'), refundsPending: sumOf(doc, 'Pending') };

const unplaced = (id: string, at: string): UnplacedOrderDoc => ({
  orderId: id,
  status: null,
  customerId: null,
  placedAt: null,
  updatedAt: at,
  payment: null,
  timeline: [],
  refunds: [],
});

/**
 * Every event the model reads changes the document of the order it names (if it names one) and adds to its
 * timeline; the refund totals are recomputed after each.
 */
const onOrder = <Ev extends TimelineEvent>(apply: (doc: OrderDoc, event: Ev) => OrderDoc): On<OrderDoc, Ev> => ({
  ids: (e) => (e.event.orderId === undefined ? [] : [e.event.orderId]),
  evolve: (doc, e, id) => {
    const base = doc ?? unplaced(id, e.event.at);
    // the worker asks only for the ids above; any other document stays as it was
    if (e.event.orderId !== id) return base;
    const next = withRefundTotals(apply(base, e.event));
    return {
      ...next,
      updatedAt: laterOf(base.updatedAt, e.event.at),
      timeline: addToTimeline(next.timeline, timelineEntry(e)),
    };
  },
});

/** An order known so far only from other centres' events becomes placed; a redelivered OrderPlaced changes nothing. */
const placed = (doc: OrderDoc, event: OrderPlaced): OrderDoc => {
  if (doc.status !== null) return doc;
  const zero = amount(0, event.currency);
  return {
    orderId: doc.orderId,
    updatedAt: doc.updatedAt,
    payment: doc.payment,
    timeline: doc.timeline,
    refunds: doc.refunds,
    status: 'Placed',
    customerId: event.customerId,
    channel: event.channel ?? DEFAULT_CHANNEL,
    tradeType: event.tradeType ?? 'standard',
    currency: event.currency,
    lines: event.lines.map((line) => ({
      sku: line.sku,
      quantity: line.quantity,
      unitPrice: line.unitPrice,
      lineTotal: line.lineTotal,
      ...(line.discount === undefined ? {} : { discount: line.discount }),
      refundedQuantity: 0,
    })),
    ...(event.pricing === undefined ? {} : { pricing: event.pricing }),
    ...presaleOf(event),
    total: event.total,
    paid: zero,
    refunded: zero,
    refundsPending: zero,
    placedAt: sortableInstant(event.at),
  };
};

const presaleOf = (event: OrderPlaced): { readonly presale?: PresaleView } => {
  const terms = event.tradeType === 'presale' ? event.terms?.presale : undefined;
  return terms === undefined ? {} : { presale: { ...terms } };
};

/** The pre-sale's deposit is paid: the order waits for its balance (`paid` shows the deposit until confirmed). */
const onDepositPaid = (doc: PlacedOrderDoc, event: DepositPaid): PlacedOrderDoc =>
  doc.status === 'Placed' && doc.presale !== undefined
    ? {
        ...doc,
        status: 'AwaitingBalance',
        paid: event.amount,
        presale: { ...doc.presale, deposit: event.amount, depositPaidAt: event.at },
      }
    : doc;

const onBalanceRequested = (doc: PlacedOrderDoc, event: BalanceRequested): PlacedOrderDoc =>
  doc.status === 'AwaitingBalance' && doc.presale !== undefined
    ? { ...doc, presale: { ...doc.presale, balanceRequests: event.attempt, balanceRequestedAt: event.at } }
    : doc;

const outForDelivery = (doc: PlacedOrderDoc): boolean =>
  doc.status === 'Confirmed' || doc.status === 'Shipped' || doc.status === 'PartiallyShipped';

const onDelivered = (doc: PlacedOrderDoc, event: OrderDelivered): PlacedOrderDoc =>
  outForDelivery(doc) ? { ...doc, status: 'Delivered', paid: event.collected, deliveredAt: event.at } : doc;

const onDeliveryRefused = (doc: PlacedOrderDoc, event: DeliveryRefused): PlacedOrderDoc =>
  outForDelivery(doc)
    ? {
        ...doc,
        status: 'Cancelled',
        cancelReason: 'delivery_refused',
        cancelledAt: event.at,
        deliveryRefusal: event.reason,
      }
    : doc;

/** The order's own events after OrderPlaced, with the aggregate's guards: one that does not fit changes nothing. */
const onPlacedOrder = <Ev extends OrderEvent>(
  apply: (doc: PlacedOrderDoc, event: Ev) => PlacedOrderDoc,
): On<OrderDoc, Ev> => onOrder((doc, event) => (doc.status === null ? doc : apply(doc, event)));

/** Payment events fold into the order's `payment` summary. */
const onPayment = onOrder<PaymentEvent>((doc, event) => ({
  ...doc,
  payment: evolvePaymentSummary(doc.payment, event),
}));

/** A payout or failed payout attempt of the cancellation refund also shows among the order's refunds. */
const onPayout = onOrder<PaymentRefunded | PaymentRefundFailed>((doc, event) => {
  const payment = evolvePaymentSummary(doc.payment, event);
  return isCancellationRefund(event)
    ? { ...doc, payment, refunds: onCaptureRefund(doc, event, payment) }
    : { ...doc, payment };
});

/** Stock events only add to the timeline. */
const onStock = onOrder<OrderStockEvent>((doc) => doc);

export const ordersProjection: Projection<OrderDoc> = defineProjection<OrderDoc>({
  name: 'orders',
  // 2: a cancelled order's payout (the payment centre's refund) counts as a completed refund of the order
  version: 2,
  indexes: ['status', 'customerId', 'placedAt', 'channel', 'tradeType'],
  on: {
    OrderPlaced: onOrder(placed),
    OrderConfirmed: onPlacedOrder((doc, event) =>
      doc.status === 'Placed' || doc.status === 'AwaitingBalance'
        ? { ...doc, status: 'Confirmed', paid: event.paid, confirmedAt: event.at }
        : doc,
    ),
    OrderShipped: onPlacedOrder((doc, event) =>
      doc.status === 'Confirmed' || doc.status === 'PartiallyShipped'
        ? { ...doc, status: 'Shipped', shippedAt: doc.shippedAt ?? event.at }
        : doc,
    ),
    // split orders (projections/orders/shipments.ts): the plan, then each shipment
    ShipmentsPlanned: onPlacedOrder((doc, event) =>
      doc.shipments === undefined ? { ...doc, shipments: plannedShipments(event) } : doc,
    ),
    ShipmentShipped: onPlacedOrder((doc, event) =>
      doc.shipments !== undefined && (doc.status === 'Confirmed' || doc.status === 'PartiallyShipped')
        ? {
            ...doc,
            status: 'PartiallyShipped',
            shippedAt: doc.shippedAt ?? event.at,
            shipments: shipmentsAfter(doc.shipments, event.warehouse, event.at),
          }
        : doc,
    ),
    OrderCancelled: onPlacedOrder((doc, event) =>
      doc.status === 'Placed' || doc.status === 'Confirmed' || doc.status === 'AwaitingBalance'
        ? { ...doc, status: 'Cancelled', cancelReason: event.reason, cancelledAt: event.at }
        : doc,
    ),
    RefundRequested: onPlacedOrder(onRefundRequested),
    RefundCompleted: onPlacedOrder(onRefundCompleted),
    RefundFailed: onPlacedOrder(onRefundFailed),
    DepositPaid: onPlacedOrder(onDepositPaid),
    BalanceRequested: onPlacedOrder(onBalanceRequested),
    OrderDelivered: onPlacedOrder(onDelivered),
    DeliveryRefused: onPlacedOrder(onDeliveryRefused),
    PaymentAuthorized: onPayment,
    PaymentDeclined: onPayment,
    PaymentAuthorizationFailed: onPayment,
    PaymentCaptured: onPayment,
    PaymentVoided: onPayment,
    CashCollected: onPayment,
    PaymentRefunded: onPayout,
    PaymentRefundFailed: onPayout,
    StockRestocked: onStock,
    StockReserved: onStock,
    ReservationReleased: onStock,
    ReservationCommitted: onStock,
    ReservationExpired: onStock,
  },
});
