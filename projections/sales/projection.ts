import type { OrderPlaced } from '../../domain/order';
import { defineProjection, type DomainEvent, type On, type Projection } from '../projection';
import { shareOf, type DiscountBreakdown } from '../promotions/pricing';

export type Granularity = 'hour' | 'day';

/** cancelledByReason holds at most this many keys, OTHER_REASON included. */
export const MAX_CANCEL_REASONS = 20;
export const OTHER_REASON = 'other';
/** topSkus keeps this many SKUs. */
export const TOP_SKUS = 20;

/**
 * `sales` read model: counters per UTC hour (`hour:2026-01-31T10`) and per UTC day (`day:2026-01-31`), each
 * event counted in the buckets of its own `at`. Records are keyed by reason, currency or SKU.
 */
export type SalesDoc = {
  readonly bucket: string;
  readonly granularity: Granularity;
  /** ISO instant the bucket starts at, e.g. `2026-01-31T10:00:00.000Z` */
  readonly start: string;
  readonly ordersPlaced: number;
  readonly ordersConfirmed: number;
  readonly ordersCancelled: number;
  readonly cancelledByReason: Readonly<Record<string, number>>;
  /** payments captured, minor units per currency */
  readonly revenue: Readonly<Record<string, number>>;
  /** refunds paid out (customer refunds and the capture of a cancelled order), minor units per currency */
  readonly refunds: Readonly<Record<string, number>>;
  /** refunds paid out */
  readonly refundCount: number;
  /** units on orders placed (confirmation does not repeat the lines) */
  readonly unitsOrdered: number;
  /**
   * Units ordered per SKU, the TOP_SKUS largest (ties: lower SKU first). Trimmed after every order, so a SKU
   * that falls out and comes back restarts from zero: approximate once more than TOP_SKUS SKUs sell in a bucket.
   */
  readonly topSkus: Readonly<Record<string, number>>;
} & Partial<SalesDiscounts> &
  Partial<SalesByChannel>;

/**
 * What each channel sold in the bucket (`default` for orders of the built-in default): the orders placed through it,
 * and — from the channel that OrderConfirmed, OrderCancelled and DeliveryRefused repeat — those confirmed (with what
 * they paid at confirmation) and cancelled. Orders placed before those events named their channel count under
 * `default` when confirmed or cancelled. Stored once a bucket has had an order since channels existed; the read API
 * always answers every field (`withChannelSales`).
 */
export interface ChannelSales {
  readonly ordersPlaced: number;
  readonly unitsOrdered: number;
  /** what the orders placed cost their customers (after discounts), minor units per currency */
  readonly orderValue: Readonly<Record<string, number>>;
  /** discounts on the orders placed, minor units per currency */
  readonly discounts: Readonly<Record<string, number>>;
  readonly ordersConfirmed?: number;
  /** paid at confirmation, minor units per currency (a cash-on-delivery order pays at delivery: in `revenue` only) */
  readonly paid?: Readonly<Record<string, number>>;
  readonly ordersCancelled?: number;
}

export interface SalesByChannel {
  readonly byChannel: Readonly<Record<string, ChannelSales>>;
}

/** A bucket as the read API answers it: `byChannel` present (empty for a bucket from before channels), each complete. */
export const withChannelSales = <Doc extends Readonly<Record<string, unknown>>>(
  doc: Doc & Partial<SalesByChannel>,
): Doc & SalesByChannel => ({
  ...doc,
  byChannel: Object.fromEntries(
    Object.entries(doc.byChannel ?? {}).map(([channel, sales]) => [
      channel,
      { ordersConfirmed: 0, paid: {}, ordersCancelled: 0, ...sales },
    ]),
  ),
});

const noChannelSales: ChannelSales = { ordersPlaced: 0, unitsOrdered: 0, orderValue: {}, discounts: {} };

/** A channel's figures in the bucket changed by `change`. */
const inChannel = (
  bucket: SalesDoc,
  channel: string | undefined,
  change: (current: ChannelSales) => ChannelSales,
): SalesDoc => {
  const name = channel ?? 'default';
  const byChannel = bucket.byChannel ?? {};
  const current = Object.hasOwn(byChannel, name) ? (byChannel[name] ?? noChannelSales) : noChannelSales;
  // a computed key defines an own property, so a channel named `__proto__` stays data
  return { ...bucket, byChannel: { ...byChannel, [name]: change(current) } };
};

const cancelledIn = (current: ChannelSales): ChannelSales => ({
  ...current,
  ordersCancelled: (current.ordersCancelled ?? 0) + 1,
});

/** The order counted under its channel. */
const withChannel = (bucket: SalesDoc, event: OrderPlaced): SalesDoc =>
  inChannel(bucket, event.channel, (current) => {
    const discount = event.pricing?.discount;
    return {
      ...current,
      ordersPlaced: current.ordersPlaced + 1,
      unitsOrdered: current.unitsOrdered + event.lines.reduce((sum, line) => sum + line.quantity, 0),
      orderValue: plus(current.orderValue, event.total.currency, event.total.amount),
      discounts:
        discount === undefined || discount.amount === 0
          ? current.discounts
          : plus(current.discounts, discount.currency, discount.amount),
    };
  });

/**
 * Discounts of the promotions (pricing centre), counted like the orders: given at placement in the bucket of the
 * placement, taken back at cancellation in the bucket of the cancellation (as a cancelled order's capture stays in
 * `revenue` and its payout counts in `refunds`). Stored only once a bucket has had a discounted order, so buckets of
 * a history without promotions are exactly what they were before (no rebuild needed); the read API always answers
 * them (`withDiscounts`).
 */
export interface SalesDiscounts {
  /** discounts on orders placed, minor units per currency */
  readonly discounts: Readonly<Record<string, number>>;
  /** discounts of orders cancelled, minor units per currency */
  readonly discountsCancelled: Readonly<Record<string, number>>;
  /** discounts on orders placed per promotion id, minor units of the promotion's currency */
  readonly discountsByPromotion: Readonly<Record<string, number>>;
  /** discounts of orders cancelled per promotion id */
  readonly discountsCancelledByPromotion: Readonly<Record<string, number>>;
  /** orders placed with a discount */
  readonly ordersDiscounted: number;
}

const noDiscounts: SalesDiscounts = {
  discounts: {},
  discountsCancelled: {},
  discountsByPromotion: {},
  discountsCancelledByPromotion: {},
  ordersDiscounted: 0,
};

/** A bucket as the read API answers it: the discount fields present, empty when none was counted. */
export const withDiscounts = <Doc extends Partial<SalesDiscounts>>(doc: Doc): Doc & SalesDiscounts => ({
  ...doc,
  discounts: doc.discounts ?? noDiscounts.discounts,
  discountsCancelled: doc.discountsCancelled ?? noDiscounts.discountsCancelled,
  discountsByPromotion: doc.discountsByPromotion ?? noDiscounts.discountsByPromotion,
  discountsCancelledByPromotion: doc.discountsCancelledByPromotion ?? noDiscounts.discountsCancelledByPromotion,
  ordersDiscounted: doc.ordersDiscounted ?? noDiscounts.ordersDiscounted,
});

/** Timestamps are `YYYY-MM-DDTHH:mm:ss(.f)Z` (UTC), so the buckets are prefixes of the text. */
export const hourBucketId = (at: string): string => `hour:${at.slice(0, 13)}`;
export const dayBucketId = (at: string): string => `day:${at.slice(0, 10)}`;

const emptyBucket = (id: string): SalesDoc => {
  const hour = /^hour:(\d{4}-\d{2}-\d{2}T\d{2})$/.exec(id)?.[1];
  const day = /^day:(\d{4}-\d{2}-\d{2})$/.exec(id)?.[1];
  return {
    bucket: id,
    granularity: hour !== undefined ? 'hour' : 'day',
    // an id that is neither shape never comes from documentIds; keep it visible rather than throw
    start: hour !== undefined ? `${hour}:00:00.000Z` : day !== undefined ? `${day}T00:00:00.000Z` : id,
    ordersPlaced: 0,
    ordersConfirmed: 0,
    ordersCancelled: 0,
    cancelledByReason: {},
    revenue: {},
    refunds: {},
    refundCount: 0,
    unitsOrdered: 0,
    topSkus: {},
  };
};

/** Own keys only: a reason such as `__proto__` or `constructor` must count, not read Object.prototype. */
const countOf = (record: Readonly<Record<string, number>>, key: string): number =>
  Object.hasOwn(record, key) ? (record[key] ?? 0) : 0;

/** Computed keys define own properties, so `__proto__` is stored as data rather than setting the prototype. */
const plus = (record: Readonly<Record<string, number>>, key: string, n: number): Record<string, number> => ({
  ...record,
  [key]: countOf(record, key) + n,
});

const withReason = (record: Readonly<Record<string, number>>, reason: string): Record<string, number> => {
  const named = Object.keys(record).filter((key) => key !== OTHER_REASON).length;
  // room is kept for OTHER_REASON itself, so the record never exceeds MAX_CANCEL_REASONS keys
  const fits = Object.hasOwn(record, reason) || named < MAX_CANCEL_REASONS - 1;
  return plus(record, fits ? reason : OTHER_REASON, 1);
};

const bySalesRank = ([skuA, a]: [string, number], [skuB, b]: [string, number]): number =>
  b - a || (skuA < skuB ? -1 : skuA > skuB ? 1 : 0);

/** One working copy per order (not per line), and the top list built in one go. */
const withSkus = (record: Readonly<Record<string, number>>, lines: OrderPlaced['lines']): Record<string, number> => {
  const merged = new Map<string, number>(Object.entries(record));
  for (const line of lines) merged.set(line.sku, (merged.get(line.sku) ?? 0) + line.quantity);
  // fromEntries defines own data properties, so a SKU named `__proto__` stays a key
  return Object.fromEntries([...merged].sort(bySalesRank).slice(0, TOP_SKUS));
};

/** Each promotion's part of the breakdown added to its key. */
const withPromotions = (
  record: Readonly<Record<string, number>>,
  pricing: DiscountBreakdown,
): Record<string, number> => {
  let next: Record<string, number> = { ...record };
  for (const promotionId of new Set(pricing.promotions.map((p) => p.promotionId)))
    next = plus(next, promotionId, shareOf(pricing, promotionId));
  return next;
};

/** An order's discount into a bucket (placement) or into its cancelled discounts (cancellation); none: unchanged. */
const withDiscount = (
  bucket: SalesDoc,
  pricing: DiscountBreakdown | undefined,
  as: 'placed' | 'cancelled',
): SalesDoc => {
  if (pricing === undefined || (pricing.discount.amount === 0 && pricing.promotions.length === 0)) return bucket;
  const current = withDiscounts(bucket);
  const { currency, amount } = pricing.discount;
  return as === 'placed'
    ? {
        ...current,
        discounts: plus(current.discounts, currency, amount),
        discountsByPromotion: withPromotions(current.discountsByPromotion, pricing),
        ordersDiscounted: current.ordersDiscounted + 1,
      }
    : {
        ...current,
        discountsCancelled: plus(current.discountsCancelled, currency, amount),
        discountsCancelledByPromotion: withPromotions(current.discountsCancelledByPromotion, pricing),
      };
};

/** Every counted event adds to the hour and the day it happened in. */
const onBuckets = <Ev extends DomainEvent>(add: (bucket: SalesDoc, event: Ev) => SalesDoc): On<SalesDoc, Ev> => ({
  ids: (e) => [hourBucketId(e.event.at), dayBucketId(e.event.at)],
  evolve: (doc, e, id) => add(doc ?? emptyBucket(id), e.event),
});

/**
 * Money is counted from the payment centre's facts: a cancelled order's capture is paid back by the payment
 * centre alone (no RefundCompleted), and a capture can land for an order whose confirmation lost to a cancel.
 */
export const salesProjection: Projection<SalesDoc> = defineProjection<SalesDoc>({
  name: 'sales',
  // 2: revenue and refunds are the payment centre's captures and payouts (cancelled orders' payouts included)
  version: 2,
  indexes: ['granularity', 'start'],
  on: {
    OrderPlaced: onBuckets((bucket, event) =>
      withChannel(
        withDiscount(
          {
            ...bucket,
            ordersPlaced: bucket.ordersPlaced + 1,
            unitsOrdered: bucket.unitsOrdered + event.lines.reduce((sum, line) => sum + line.quantity, 0),
            topSkus: withSkus(bucket.topSkus, event.lines),
          },
          event.pricing,
          'placed',
        ),
        event,
      ),
    ),
    OrderConfirmed: onBuckets((bucket, event) =>
      inChannel({ ...bucket, ordersConfirmed: bucket.ordersConfirmed + 1 }, event.channel, (current) => ({
        ...current,
        ordersConfirmed: (current.ordersConfirmed ?? 0) + 1,
        paid:
          event.paid.amount === 0
            ? (current.paid ?? {})
            : plus(current.paid ?? {}, event.paid.currency, event.paid.amount),
      })),
    ),
    OrderCancelled: onBuckets((bucket, event) =>
      inChannel(
        withDiscount(
          {
            ...bucket,
            ordersCancelled: bucket.ordersCancelled + 1,
            cancelledByReason: withReason(bucket.cancelledByReason, event.reason),
          },
          event.pricing,
          'cancelled',
        ),
        event.channel,
        cancelledIn,
      ),
    ),
    // cash on delivery refused at the door: the order is closed as a cancellation
    DeliveryRefused: onBuckets((bucket, event) =>
      inChannel(
        withDiscount(
          {
            ...bucket,
            ordersCancelled: bucket.ordersCancelled + 1,
            cancelledByReason: withReason(bucket.cancelledByReason, 'delivery_refused'),
          },
          event.pricing,
          'cancelled',
        ),
        event.channel,
        cancelledIn,
      ),
    ),
    PaymentCaptured: onBuckets((bucket, event) => ({
      ...bucket,
      revenue: plus(bucket.revenue, event.amount.currency, event.amount.amount),
    })),
    CashCollected: onBuckets((bucket, event) => ({
      ...bucket,
      revenue: plus(bucket.revenue, event.amount.currency, event.amount.amount),
    })),
    PaymentRefunded: onBuckets((bucket, event) => ({
      ...bucket,
      refundCount: bucket.refundCount + 1,
      refunds: plus(bucket.refunds, event.amount.currency, event.amount.amount),
    })),
  },
});
