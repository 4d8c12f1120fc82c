import * as E from 'fp-ts/Either';
import { available, purchaseLimitRefusal, skuStreamId, type InventoryState } from '../domain/inventory';
import { appliesToChannel, type ChannelProfile } from '../domain/channels';
import { duplicateSkus } from '../domain/order';
import {
  activePromotions,
  couponRedemptionsLeft,
  couponRefusalFor,
  couponStreamId,
  price,
  promotionBookStreamId,
  type PricedOrder,
} from '../domain/pricing';
import {
  domainError,
  type CouponCode,
  type CustomerId,
  type DomainError,
  type PromotionId,
  type Quantity,
  type Sku,
  type Timestamp,
} from '../domain/shared';
import { couponCentre, inventoryCentre, promotionsCentre } from '../domain/centres';
import type { CommandHandler } from './command-handler';

export interface OrderLineRequest {
  readonly sku: Sku;
  readonly quantity: Quantity;
}

export interface QuoteRequest {
  readonly customerId: CustomerId;
  readonly lines: readonly OrderLineRequest[];
  readonly couponCode?: CouponCode;
  readonly at: Timestamp;
  /**
   * The profile of the channel the order goes through: only its promotions apply, and its default purchase limit
   * counts where a SKU has none. Absent: every promotion, the SKUs' own limits (as the built-in default).
   */
  readonly channel?: ChannelProfile;
}

/** What a coupon does for this order now. */
export interface CouponQuote {
  readonly code: CouponCode;
  /** absent for a code that names no coupon */
  readonly promotionId?: PromotionId;
  /** its promotion gave this order a discount */
  readonly applied: boolean;
  readonly redemptionsLeft: number;
}

/**
 * An order priced as a placement at the same instant would price it, with the units each SKU has available now and
 * every refusal the placement would answer now (coupon, purchase limits, stock). The reservations made by the
 * fulfilment saga stay the guard: a quote without refusals can still lose a race for the last unit or coupon.
 */
export interface Quote {
  readonly priced: PricedOrder;
  /** units available per line, in the order of the lines */
  readonly available: readonly number[];
  readonly coupon?: CouponQuote;
  readonly refusals: readonly DomainError[];
}

/**
 * Prices orders. The command side is given this service so that prices never come from the client and placing an
 * order can be tested without HTTP.
 */
export type QuoteOrder = (request: QuoteRequest) => Promise<E.Either<DomainError, Quote>>;

/**
 * Quotes from the centres' own streams, through the command handler's cache: the SKUs' catalogue entries (price,
 * stock, purchase limit), the promotion book and the coupon. A SKU not in the catalogue is `UnknownSku`, lines in
 * more than one currency are `CurrencyMismatch` (what the order centre would answer).
 */
export const centreQuotes =
  (handler: CommandHandler): QuoteOrder =>
  async (request) => {
    const { customerId, lines, couponCode, at, channel } = request;
    const [entries, book, coupon] = await Promise.all([
      Promise.all(lines.map((line) => handler.load(inventoryCentre, skuStreamId(line.sku)))),
      handler.load(promotionsCentre, promotionBookStreamId()),
      couponCode === undefined ? undefined : handler.load(couponCentre, couponStreamId(couponCode)),
    ]);
    const duplicates = duplicateSkus(lines);
    if (duplicates.length > 0) return E.left(duplicateLines(duplicates));
    const catalogued: Catalogued[] = [];
    for (const [i, line] of lines.entries()) {
      const entry = entries[i]?.state;
      if (entry?.status !== 'Active') return E.left(unknownSku(line.sku));
      catalogued.push({ line, entry });
    }
    const currency = catalogued[0]?.entry.unitPrice.currency;
    if (currency === undefined) return E.left(domainError('InvalidOrder', 'rule_violation', 'an order needs a line'));
    const foreign = catalogued.find(({ entry }) => entry.unitPrice.currency !== currency);
    if (foreign !== undefined) return E.left(currencyMismatch(foreign.entry, currency));

    const tooLarge = catalogued.find(
      ({ line, entry }) => !Number.isSafeInteger(entry.unitPrice.amount * line.quantity),
    );
    if (tooLarge !== undefined || !Number.isSafeInteger(listTotalOf(catalogued))) {
      return E.left(amountTooLarge(tooLarge?.line.sku));
    }
    const promotions = activePromotions(book.state, at, currency).filter(
      (promotion) => channel === undefined || appliesToChannel(channel, promotion.promotionId),
    );
    const refusals: DomainError[] = [];
    let couponQuote: CouponQuote | undefined;
    let pricingCoupon: { readonly code: CouponCode; readonly promotionId: PromotionId } | undefined;
    if (couponCode !== undefined && coupon !== undefined) {
      const state = coupon.state;
      const refusal = couponRefusalFor(state, customerId, couponCode);
      if (refusal !== undefined) refusals.push(refusal);
      if (state.status === 'Active') {
        if (refusal === undefined) pricingCoupon = { code: couponCode, promotionId: state.promotionId };
        couponQuote = {
          code: couponCode,
          promotionId: state.promotionId,
          applied: false,
          redemptionsLeft: couponRedemptionsLeft(state),
        };
      } else {
        couponQuote = { code: couponCode, applied: false, redemptionsLeft: 0 };
      }
    }
    const priced = price({
      currency,
      lines: catalogued.map(({ line, entry }) => ({
        sku: line.sku,
        quantity: line.quantity,
        unitPrice: entry.unitPrice,
      })),
      promotions,
      ...(pricingCoupon === undefined ? {} : { coupon: pricingCoupon }),
    });
    if (couponQuote !== undefined) {
      const applied = priced.applied.some((promotion) => promotion.viaCoupon);
      couponQuote = { ...couponQuote, applied };
      if (!applied && pricingCoupon !== undefined) refusals.push(couponNotApplicable(pricingCoupon.code));
    }
    for (const { line, entry } of catalogued) {
      const overLimit = purchaseLimitRefusal(entry, customerId, line.quantity, channel?.purchaseLimitPerCustomer);
      if (overLimit !== undefined) refusals.push(overLimit);
    }
    const stock = catalogued.map(({ entry }) => available(entry));
    const short = outOfStock(lines, stock);
    if (short !== undefined) refusals.push(short);
    return E.right({
      priced,
      available: stock,
      ...(couponQuote === undefined ? {} : { coupon: couponQuote }),
      refusals,
    });
  };

type ActiveEntry = Extract<InventoryState, { readonly status: 'Active' }>;

interface Catalogued {
  readonly line: OrderLineRequest;
  readonly entry: ActiveEntry;
}

const listTotalOf = (catalogued: readonly Catalogued[]): number =>
  catalogued.reduce((total, { line, entry }) => total + entry.unitPrice.amount * line.quantity, 0);

/** The order centre's own answers to the same lines, so a quote and a placement refuse alike. */
const duplicateLines = (skus: readonly Sku[]): DomainError =>
  domainError('DuplicateOrderLine', 'rule_violation', `each sku may appear on one line only: ${skus.join(', ')}`, {
    skus,
  });

const amountTooLarge = (sku: Sku | undefined): DomainError =>
  domainError(
    'AmountTooLarge',
    'rule_violation',
    'the order total is too large to represent exactly',
    sku === undefined ? {} : { sku },
  );

const unknownSku = (sku: Sku): DomainError =>
  domainError('UnknownSku', 'rule_violation', `sku ${sku} is not in the catalogue`, { sku });

const currencyMismatch = (entry: ActiveEntry, currency: string): DomainError =>
  domainError(
    'CurrencyMismatch',
    'rule_violation',
    `line ${entry.sku} is priced in ${entry.unitPrice.currency}, the order in ${currency}`,
    { sku: entry.sku, expected: currency, actual: entry.unitPrice.currency },
  );

const couponNotApplicable = (code: CouponCode): DomainError =>
  domainError(
    'CouponNotApplicable',
    'rule_violation',
    `coupon ${code} gives this order no discount (its promotion is not running now, or not for these lines)`,
    { code },
  );

/** Every line asking for more than its SKU has available now, as one refusal naming them all. */
const outOfStock = (lines: readonly OrderLineRequest[], stock: readonly number[]): DomainError | undefined => {
  const short = lines.flatMap((line, i) =>
    (stock[i] ?? 0) < line.quantity ? [{ sku: line.sku, requested: line.quantity, available: stock[i] ?? 0 }] : [],
  );
  if (short.length === 0) return undefined;
  const what = short.map((line) => `${line.sku} has ${line.available} available, ${line.requested} requested`);
  return domainError('OutOfStock', 'rule_violation', `out of stock: ${what.join('; ')}`, { lines: short });
};
