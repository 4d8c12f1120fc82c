import type { OrderCancelled, OrderPlaced } from '../../domain/order';
import type { PromotionDefined, PromotionEnded, PromotionRule } from '../../domain/pricing';
import { NO_CURRENCY, type MoneyView } from '../payments/projection';
import { defineProjection, type On, type Projection } from '../projection';
import { promotionIdsOf, shareOf, type DiscountBreakdown } from './pricing';

/** `activeUntil` of a promotion without an end: later than any instant a request names. */
export const OPEN_END = '9999-12-31T23:59:59.999Z';

/** A promotion's rule as stored: the definition's own JSON (kind plus its fields). */
export type PromotionRuleView = PromotionRule;

/**
 * `promotions` read model: one document per promotion (id = promotionId), fed by the promotion book's stream and by
 * the orders that name the promotion in their price breakdown. Those travel on other topics, so an order may be
 * projected before the promotion's definition: the definition fields stay null until it arrives.
 *
 * Orders count at placement, when the price is fixed (as the sales read model counts orders placed and units), and a
 * cancellation takes its order and discount back out: `orders` and `discountTotal` are those of orders not cancelled.
 * Revenue is the payment centre's business (captures, in the sales read model); a discount is never money paid.
 */
export type PromotionDoc = {
  readonly promotionId: string;
  readonly name: string | null;
  readonly currency: string | null;
  readonly rule: PromotionRuleView | null;
  readonly priority: number | null;
  readonly exclusive: boolean | null;
  readonly requiresCoupon: boolean | null;
  /** ISO instants in toISOString's fixed-width form, so they compare and sort as text */
  readonly validFrom: string | null;
  /** the definition's end, or the moment the promotion was ended early, whichever is first */
  readonly validUntil: string | null;
  /** when it was ended early (PromotionEnded); null again after a redefinition */
  readonly endedAt: string | null;
  /** validUntil, or OPEN_END without one: the read API's status filters are ranges on validFrom and this */
  readonly activeUntil: string | null;
  readonly definedAt: string | null;
  readonly updatedAt: string;
  /** orders placed with a discount from it, less those cancelled */
  readonly orders: number;
  /** what it took off those orders, in minor units of its currency */
  readonly discountTotal: MoneyView;
  /** orders with a discount from it that were cancelled since */
  readonly ordersCancelled: number;
  /** what it had taken off the cancelled ones */
  readonly discountCancelled: MoneyView;
};

/** Instants as toISOString writes them (0 to 9 fractional digits in, exactly 3 out), so text order is time order. */
export const sortableInstant = (at: string): string => {
  const ms = Date.parse(at);
  return Number.isNaN(ms) ? at : new Date(ms).toISOString();
};

const earlierOf = (a: string, b: string): string => (Date.parse(b) < Date.parse(a) ? b : a);

const laterOf = (a: string, b: string): string => {
  const [ta, tb] = [Date.parse(a), Date.parse(b)];
  return tb > ta || (tb === ta && b > a) ? b : a;
};

const emptyPromotion = (id: string, currency: string, at: string): PromotionDoc => ({
  promotionId: id,
  name: null,
  currency: null,
  rule: null,
  priority: null,
  exclusive: null,
  requiresCoupon: null,
  validFrom: null,
  validUntil: null,
  endedAt: null,
  activeUntil: null,
  definedAt: null,
  updatedAt: at,
  orders: 0,
  discountTotal: { amount: 0, currency },
  ordersCancelled: 0,
  discountCancelled: { amount: 0, currency },
});

const plus = (money: MoneyView, amount: number): MoneyView => ({
  amount: money.amount + amount,
  currency: money.currency,
});

/** The whole definition, also on a replacement: an early end no longer holds, the order counts stay. */
const defined = (doc: PromotionDoc, event: PromotionDefined): PromotionDoc => {
  const { definition } = event;
  const validUntil = definition.validUntil === undefined ? null : sortableInstant(definition.validUntil);
  // counts from orders projected before the definition are in the promotion's currency too: pricing applies a
  // promotion only to orders in its currency
  return {
    ...doc,
    name: definition.name,
    currency: definition.currency,
    rule: definition.rule,
    priority: definition.priority,
    exclusive: definition.exclusive,
    requiresCoupon: definition.requiresCoupon,
    validFrom: sortableInstant(definition.validFrom),
    validUntil,
    endedAt: null,
    activeUntil: validUntil ?? OPEN_END,
    definedAt: doc.definedAt ?? sortableInstant(event.at),
    discountTotal: { ...doc.discountTotal, currency: definition.currency },
    discountCancelled: { ...doc.discountCancelled, currency: definition.currency },
  };
};

/** Its validUntil is now the end (an end after the definition's own validUntil changes nothing of it). */
const ended = (doc: PromotionDoc, event: PromotionEnded): PromotionDoc => {
  const at = sortableInstant(event.at);
  const validUntil = doc.validUntil === null ? at : earlierOf(doc.validUntil, at);
  return { ...doc, endedAt: at, validUntil, activeUntil: validUntil };
};

const onBook = <Ev extends PromotionDefined | PromotionEnded>(
  apply: (doc: PromotionDoc, event: Ev) => PromotionDoc,
): On<PromotionDoc, Ev> => ({
  ids: (e) => [e.event.promotionId],
  evolve: (doc, e, id) => {
    const base = doc ?? emptyPromotion(id, NO_CURRENCY, e.event.at);
    return { ...apply(base, e.event), updatedAt: laterOf(base.updatedAt, e.event.at) };
  },
});

/**
 * An order event changes the document of every promotion its breakdown names, by that promotion's part; `sign` +1
 * adds the order (placement), −1 takes it back (cancellation).
 */
const onOrder = <Ev extends OrderPlaced | OrderCancelled>(
  breakdownOf: (event: Ev) => DiscountBreakdown | undefined,
  apply: (doc: PromotionDoc, share: number) => PromotionDoc,
): On<PromotionDoc, Ev> => ({
  ids: (e) => promotionIdsOf(breakdownOf(e.event)),
  evolve: (doc, e, id) => {
    const pricing = breakdownOf(e.event);
    const currency = pricing?.promotions.find((p) => p.promotionId === id)?.amount.currency ?? NO_CURRENCY;
    const base = doc ?? emptyPromotion(id, currency, e.event.at);
    if (pricing === undefined) return base;
    return { ...apply(base, shareOf(pricing, id)), updatedAt: laterOf(base.updatedAt, e.event.at) };
  },
});

export const promotionsProjection: Projection<PromotionDoc> = defineProjection<PromotionDoc>({
  name: 'promotions',
  version: 1,
  indexes: ['promotionId', 'validFrom', 'activeUntil'],
  on: {
    PromotionDefined: onBook(defined),
    PromotionEnded: onBook(ended),
    OrderPlaced: onOrder(
      (event) => event.pricing,
      (doc, share) => ({ ...doc, orders: doc.orders + 1, discountTotal: plus(doc.discountTotal, share) }),
    ),
    OrderCancelled: onOrder(
      (event) => event.pricing,
      (doc, share) => ({
        ...doc,
        orders: Math.max(0, doc.orders - 1),
        discountTotal: plus(doc.discountTotal, -share),
        ordersCancelled: doc.ordersCancelled + 1,
        discountCancelled: plus(doc.discountCancelled, share),
      }),
    ),
  },
});
