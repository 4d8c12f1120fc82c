import * as t from 'io-ts';
import * as E from 'fp-ts/Either';
import { pipe } from 'fp-ts/function';
import {
  CouponCode,
  Currency,
  Money,
  Name,
  PromotionId,
  PurchaseLimit,
  Timestamp,
  constrainedInteger,
  constrainedString,
  maxSafeInteger,
  notBlank,
  type Sku,
} from '../shared';

/** One order may carry this many lines at most: keeps a stream's first event and its refunds bounded. */
export const maxOrderLines = 100;

export interface PaymentTokenBrand {
  readonly PaymentToken: unique symbol;
}
/** Opaque token from the storefront's payment form (e.g. `tok_visa`), handed to the payment centre; 1..200 chars. */
export const PaymentToken = constrainedString<'PaymentToken', PaymentTokenBrand>('PaymentToken', {
  pattern: notBlank,
  minLength: 1,
  maxLength: 200,
});
export type PaymentToken = t.TypeOf<typeof PaymentToken>;

/** Trusted builder for tests and fixtures; user input goes through the codec. */
export const paymentToken = (value: string): PaymentToken => {
  if (!PaymentToken.is(value)) throw new TypeError(`invalid PaymentToken: ${JSON.stringify(value)}`);
  return value;
};

/**
 * A codec that adds a whole-value check to another without branding its type, so commands built in code stay
 * plain objects while decoded input still reports the problem at the field that holds it.
 */
export const checked = <A, O>(
  codec: t.Type<A, O>,
  name: string,
  problemWith: (value: A) => string | undefined,
): t.Type<A, O> =>
  new t.Type<A, O>(
    name,
    (u): u is A => codec.is(u) && problemWith(u) === undefined,
    (u, context) =>
      pipe(
        codec.validate(u, context),
        E.chain((value) => {
          const problem = problemWith(value);
          return problem === undefined ? t.success(value) : t.failure(u, context, problem);
        }),
      ),
    (value) => codec.encode(value),
  );

/** Skus that appear more than once, each reported once, in first-seen order. */
export const duplicateSkus = (lines: readonly { readonly sku: Sku }[]): Sku[] => {
  const seen = new Set<Sku>();
  const duplicates = new Set<Sku>();
  for (const { sku } of lines) {
    if (seen.has(sku)) duplicates.add(sku);
    seen.add(sku);
  }
  return [...duplicates];
};

/** Why a list of lines is unacceptable (none, too many, a sku twice), or undefined when it is fine. */
export const lineListProblem = (lines: readonly { readonly sku: Sku }[]): string | undefined => {
  if (lines.length === 0) return 'needs at least one line';
  if (lines.length > maxOrderLines) return `has ${lines.length} lines, at most ${maxOrderLines} allowed`;
  const duplicates = duplicateSkus(lines);
  return duplicates.length > 0 ? `lists sku ${duplicates.join(', ')} more than once` : undefined;
};

/** One promotion's part of an order's discount, as the pricing centre applied it. */
export const AppliedPromotion = t.readonly(
  t.strict({ promotionId: PromotionId, name: Name, amount: Money, viaCoupon: t.boolean }, 'AppliedPromotion'),
  'AppliedPromotion',
);
export type AppliedPromotion = t.TypeOf<typeof AppliedPromotion>;

/**
 * How an order's price came about: the list total, the discount off it and the promotions that make it up (with
 * the coupon that brought some of them). Consistent by the order decider's check: Σ promotion amounts = discount =
 * Σ line discounts, listTotal = Σ unit price × quantity, all in the order's currency.
 */
export const OrderPricing = t.intersection(
  [
    t.readonly(t.strict({ listTotal: Money, discount: Money, promotions: t.readonlyArray(AppliedPromotion) })),
    t.readonly(t.exact(t.partial({ couponCode: CouponCode }))),
  ],
  'OrderPricing',
);
export type OrderPricing = t.TypeOf<typeof OrderPricing>;

/** How an order is paid: all at placement (`standard`), a deposit then the balance (`presale`), cash on delivery. */
export const TradeType = t.union([t.literal('standard'), t.literal('presale'), t.literal('cod')], 'TradeType');
export type TradeType = t.TypeOf<typeof TradeType>;
export const tradeTypes: readonly TradeType[] = ['standard', 'presale', 'cod'];

export interface DurationMsBrand {
  readonly DurationMs: unique symbol;
}
/** A positive span of time in milliseconds, at most 366 days. */
export const DurationMs = constrainedInteger<'DurationMs', DurationMsBrand>('DurationMs', {
  minimum: 1,
  maximum: 366 * 86_400_000,
});
export type DurationMs = t.TypeOf<typeof DurationMs>;

export interface RefundWindowMsBrand {
  readonly RefundWindowMs: unique symbol;
}
/** How long after shipment a refund may be asked for, in milliseconds (0: not after shipment), at most 10 years. */
export const RefundWindowMs = constrainedInteger<'RefundWindowMs', RefundWindowMsBrand>('RefundWindowMs', {
  minimum: 0,
  maximum: 3660 * 86_400_000,
});
export type RefundWindowMs = t.TypeOf<typeof RefundWindowMs>;

export interface MinorAmountBrand {
  readonly MinorAmount: unique symbol;
}
/** A positive amount in minor units (cents), without its currency. */
export const MinorAmount = constrainedInteger<'MinorAmount', MinorAmountBrand>('MinorAmount', {
  minimum: 1,
  maximum: maxSafeInteger,
});
export type MinorAmount = t.TypeOf<typeof MinorAmount>;

export interface DepositBasisPointsBrand {
  readonly DepositBasisPoints: unique symbol;
}
/** A share in hundredths of a percent, strictly between 0 and 100 %. */
export const DepositBasisPoints = constrainedInteger<'DepositBasisPoints', DepositBasisPointsBrand>(
  'DepositBasisPoints',
  {
    minimum: 1,
    maximum: 9999,
  },
);
export type DepositBasisPoints = t.TypeOf<typeof DepositBasisPoints>;

/** Cash on delivery is allowed for orders up to `maxAmount` (minor units) in `currency`. */
export const CodTerms = t.readonly(t.strict({ maxAmount: MinorAmount, currency: Currency }, 'CodTerms'), 'CodTerms');
export type CodTerms = t.TypeOf<typeof CodTerms>;

/**
 * Pre-sale: a deposit of `depositBasisPoints` of the total at placement, the balance paid between `balanceFrom` and
 * `balanceUntil`; a balance not paid by then cancels the order and keeps or refunds the deposit (`lateBalance`).
 */
export const PresaleTerms = t.readonly(
  t.strict(
    {
      depositBasisPoints: DepositBasisPoints,
      balanceFrom: Timestamp,
      balanceUntil: Timestamp,
      lateBalance: t.union([t.literal('keepDeposit'), t.literal('refundDeposit')]),
    },
    'PresaleTerms',
  ),
  'PresaleTerms',
);
export type PresaleTerms = t.TypeOf<typeof PresaleTerms>;

/**
 * The channel's terms frozen into an order at placement, so a later change of the channel's profile never changes
 * an order already placed. Absent on orders placed before channels: today's behaviour (the saga's configured
 * timeouts, partial refunds allowed, no refund window, the SKU's own limits only).
 */
export const OrderTerms = t.intersection(
  [
    t.readonly(
      t.strict({
        paymentTimeoutMs: DurationMs,
        reservationTtlMs: DurationMs,
        partialRefunds: t.boolean,
        refundWindowMs: t.union([RefundWindowMs, t.null]),
      }),
    ),
    t.readonly(t.exact(t.partial({ purchaseLimitPerCustomer: PurchaseLimit, cod: CodTerms, presale: PresaleTerms }))),
  ],
  'OrderTerms',
);
export type OrderTerms = t.TypeOf<typeof OrderTerms>;
