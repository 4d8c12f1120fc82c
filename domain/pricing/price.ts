import * as t from 'io-ts';
import { absurd, CouponCode, Currency, Money, money, Name, PromotionId, Quantity, Sku, sum } from '../shared';
import { ruleMoneyFields, type ActivePromotion, type PromotionRule } from './promotion';

/**
 * Pricing an order: list prices, then the promotions that apply, as a pure function of its input (the caller picks
 * the promotions active at the order's instant, `activePromotions`, and decides whether the coupon may be used).
 *
 * Promotions apply one after the other in the order given, each to the running (already discounted) amount of each
 * line. A promotion marked `exclusive` that gives a discount stops every promotion after it. A promotion that
 * `requiresCoupon` applies only when the order's coupon names it; any promotion applies only in the order's currency.
 *
 * Rounding rule (amounts are whole minor units throughout):
 * - a share of ONE line (PercentOff's percentage, BuyNGetMFree's free units as a fraction of the line's units, a
 *   bundle's units as a fraction of the line) is rounded half-even to the minor unit: 15 % of 999 is 149.85 → 150;
 *   10 % of 125 is 12.5 → 12, of 135 is 13.5 → 14;
 * - an amount for SEVERAL lines (AmountOffOrder's discount, a bundle's saving) is split over them in proportion to
 *   their running amounts by the largest-remainder method: each line gets the floor of its exact share, and the minor
 *   units left go one each to the lines with the largest remainders (ties to the earlier line), so the parts sum
 *   exactly to the amount;
 * - no discount exceeds the running amount of its line, so no line goes below zero.
 * Hence total = Σ lineTotal = listTotal − discount, and discount = Σ applied amounts.
 *
 * Refunds (`unitAmounts`, `refundAmountOf`) split a line's total into per-unit amounts that differ by at most one
 * minor unit (the first `lineTotal mod quantity` units carry the extra one), so refunding units one by one returns
 * exactly what was paid for the line.
 */

export const PricedLine = t.readonly(
  t.strict({ sku: Sku, quantity: Quantity, unitPrice: Money, listTotal: Money, discount: Money, lineTotal: Money }),
  'PricedLine',
);
export type PricedLine = t.TypeOf<typeof PricedLine>;

/** What one promotion took off, in all and per line (lines it gave nothing are left out). */
export const AppliedPromotion = t.readonly(
  t.strict({
    promotionId: PromotionId,
    name: Name,
    amount: Money,
    lines: t.readonlyArray(t.readonly(t.strict({ sku: Sku, amount: Money }))),
    /** applied only because the order's coupon names it (`requiresCoupon`) */
    viaCoupon: t.boolean,
  }),
  'AppliedPromotion',
);
export type AppliedPromotion = t.TypeOf<typeof AppliedPromotion>;

export const PricedOrder = t.readonly(
  t.strict({
    currency: Currency,
    lines: t.readonlyArray(PricedLine),
    listTotal: Money,
    discount: Money,
    total: Money,
    /** promotions that gave a discount, in the order they applied */
    applied: t.readonlyArray(AppliedPromotion),
  }),
  'PricedOrder',
);
export type PricedOrder = t.TypeOf<typeof PricedOrder>;

export interface PriceLineInput {
  readonly sku: Sku;
  readonly quantity: Quantity;
  readonly unitPrice: Money;
}

export interface PriceInput {
  readonly currency: Currency;
  /** one line per SKU, each priced in `currency` (the order's own checks; pricing throws otherwise) */
  readonly lines: readonly PriceLineInput[];
  /** the promotions active at the order's instant, in application order (`activePromotions`) */
  readonly promotions: readonly ActivePromotion[];
  /** the order's coupon, once the caller knows it exists: its promotion applies if it is among `promotions` */
  readonly coupon?: { readonly code: CouponCode; readonly promotionId: PromotionId };
}

/** a × n / d rounded half-even, exactly, for 0 ≤ a ≤ 2^53 and 0 ≤ n ≤ d ≤ 10^6 (no product exceeds 10^12) */
const mulDivHalfEven = (a: number, n: number, d: number): number => {
  const aRemainder = a % d;
  const scaled = aRemainder * n;
  const remainder = scaled % d;
  const floor = ((a - aRemainder) / d) * n + (scaled - remainder) / d;
  const twice = 2 * remainder;
  return twice > d || (twice === d && floor % 2 === 1) ? floor + 1 : floor;
};

const at = (values: readonly number[], index: number): number => values[index] ?? 0;

const totalOf = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);

/** `amount` split over `weights` in proportion, by largest remainder (ties to the earlier); parts sum to `amount`. */
const distribute = (amount: number, weights: readonly number[]): number[] => {
  const whole = totalOf(weights);
  if (amount === 0 || whole === 0) return weights.map(() => 0);
  // exact shares need products up to 2^106: bigint
  const shares = weights.map((weight) => BigInt(amount) * BigInt(weight));
  const parts = shares.map((share) => Number(share / BigInt(whole)));
  const remainders = shares.map((share) => share % BigInt(whole));
  const left = amount - totalOf(parts);
  const byRemainder = remainders
    .map((remainder, index) => ({ remainder, index }))
    .sort((a, b) => (a.remainder === b.remainder ? a.index - b.index : a.remainder > b.remainder ? -1 : 1));
  for (const { index } of byRemainder.slice(0, left)) parts[index] = (parts[index] ?? 0) + 1;
  return parts;
};

const percentOff = (
  rule: Extract<PromotionRule, { kind: 'PercentOff' }>,
  lines: readonly PriceLineInput[],
  running: readonly number[],
): number[] =>
  lines.map((line, i) =>
    rule.skus === undefined || rule.skus.includes(line.sku)
      ? mulDivHalfEven(at(running, i), rule.basisPoints, 10_000)
      : 0,
  );

const amountOffOrder = (
  rule: Extract<PromotionRule, { kind: 'AmountOffOrder' }>,
  running: readonly number[],
): number[] => {
  const total = totalOf(running);
  return total >= rule.threshold.amount
    ? distribute(Math.min(rule.amount.amount, total), running)
    : running.map(() => 0);
};

const buyNGetMFree = (
  rule: Extract<PromotionRule, { kind: 'BuyNGetMFree' }>,
  lines: readonly PriceLineInput[],
  running: readonly number[],
): number[] =>
  lines.map((line, i) => {
    if (line.sku !== rule.sku) return 0;
    const freeUnits = Math.floor(line.quantity / (rule.buy + rule.free)) * rule.free;
    return mulDivHalfEven(at(running, i), freeUnits, line.quantity);
  });

const bundlePrice = (
  rule: Extract<PromotionRule, { kind: 'BundlePrice' }>,
  lines: readonly PriceLineInput[],
  running: readonly number[],
): number[] => {
  const none = running.map(() => 0);
  const indexes = rule.skus.map((sku) => lines.findIndex((line) => line.sku === sku));
  if (indexes.includes(-1)) return none;
  const sets = Math.min(...indexes.map((i) => lines[i]?.quantity ?? 0));
  // what the units in complete sets cost now, per bundle line
  const covered = indexes.map((i) => mulDivHalfEven(at(running, i), sets, lines[i]?.quantity ?? 1));
  const coveredTotal = totalOf(covered);
  const bundleCost = rule.price.amount * sets;
  if (bundleCost >= coveredTotal) return none;
  const parts = distribute(coveredTotal - bundleCost, covered);
  return running.map((_, i) => (indexes.includes(i) ? at(parts, indexes.indexOf(i)) : 0));
};

/** Each line's discount under `rule`, never above the line's running amount. */
const discountsOf = (rule: PromotionRule, lines: readonly PriceLineInput[], running: readonly number[]): number[] => {
  switch (rule.kind) {
    case 'PercentOff':
      return percentOff(rule, lines, running);
    case 'AmountOffOrder':
      return amountOffOrder(rule, running);
    case 'BuyNGetMFree':
      return buyNGetMFree(rule, lines, running);
    case 'BundlePrice':
      return bundlePrice(rule, lines, running);
    default:
      return absurd(rule);
  }
};

const appliesTo = (promotion: ActivePromotion, input: PriceInput): boolean => {
  const { definition } = promotion;
  const inCurrency =
    definition.currency === input.currency &&
    ruleMoneyFields(definition.rule).every(([, value]) => value.currency === input.currency);
  return inCurrency && (!definition.requiresCoupon || input.coupon?.promotionId === promotion.promotionId);
};

const safeAmount = (amount: number, what: string): number => {
  if (!Number.isSafeInteger(amount)) throw new RangeError(`${what} is too large to price exactly`);
  return amount;
};

const checkLines = (input: PriceInput): void => {
  const seen = new Set<Sku>();
  for (const line of input.lines) {
    if (line.unitPrice.currency !== input.currency) {
      throw new TypeError(
        `currency mismatch: ${line.sku} is priced in ${line.unitPrice.currency}, not ${input.currency}`,
      );
    }
    if (seen.has(line.sku)) throw new TypeError(`sku ${line.sku} is on two lines`);
    seen.add(line.sku);
  }
};

/** Prices an order: see the module comment for the order of promotions and the rounding rule. */
export const price = (input: PriceInput): PricedOrder => {
  checkLines(input);
  const { currency, lines } = input;
  const cash = (amount: number): Money => money(amount, currency);
  const list = lines.map((line) => safeAmount(line.unitPrice.amount * line.quantity, `line ${line.sku}`));
  safeAmount(totalOf(list), 'the order total');
  let running = list;
  const applied: AppliedPromotion[] = [];
  for (const promotion of input.promotions) {
    if (!appliesTo(promotion, input)) continue;
    const discounts = discountsOf(promotion.definition.rule, lines, running);
    const amount = totalOf(discounts);
    if (amount === 0) continue;
    running = running.map((r, i) => r - at(discounts, i));
    applied.push({
      promotionId: promotion.promotionId,
      name: promotion.definition.name,
      amount: cash(amount),
      lines: lines.flatMap((line, i) =>
        at(discounts, i) > 0 ? [{ sku: line.sku, amount: cash(at(discounts, i)) }] : [],
      ),
      viaCoupon: promotion.definition.requiresCoupon,
    });
    if (promotion.definition.exclusive) break;
  }
  const priced = lines.map((line, i): PricedLine => ({
    sku: line.sku,
    quantity: line.quantity,
    unitPrice: line.unitPrice,
    listTotal: cash(at(list, i)),
    discount: cash(at(list, i) - at(running, i)),
    lineTotal: cash(at(running, i)),
  }));
  return {
    currency,
    lines: priced,
    listTotal: sum(
      currency,
      priced.map((line) => line.listTotal),
    ),
    discount: sum(
      currency,
      priced.map((line) => line.discount),
    ),
    total: sum(
      currency,
      priced.map((line) => line.lineTotal),
    ),
    applied,
  };
};

interface PaidLine {
  readonly quantity: number;
  readonly lineTotal: Money;
}

/** The line total as whole per-unit amounts: the floor share each, and one more for the first `total mod quantity`. */
const unitSplit = (line: PaidLine): { readonly base: number; readonly extra: number } => {
  const extra = line.lineTotal.amount % line.quantity;
  return { base: (line.lineTotal.amount - extra) / line.quantity, extra };
};

/** What each unit of a line was paid, in unit order; the amounts sum to the line total and differ by at most 1. */
export const unitAmounts = (line: PaidLine): number[] => {
  const { base, extra } = unitSplit(line);
  return Array.from({ length: line.quantity }, (_, i) => (i < extra ? base + 1 : base));
};

/**
 * What refunding `units` more units of a line returns when `alreadyRefundedUnits` were refunded before: the amounts
 * of units [already, already + units), so a line's refunds always sum to what was paid for it.
 */
export const refundAmountOf = (line: PaidLine, alreadyRefundedUnits: number, units: number): Money => {
  const end = alreadyRefundedUnits + units;
  if (!Number.isSafeInteger(alreadyRefundedUnits) || !Number.isSafeInteger(units)) {
    throw new RangeError('refunded units must be whole numbers');
  }
  if (alreadyRefundedUnits < 0 || units < 0 || end > line.quantity) {
    throw new RangeError(`cannot refund units ${alreadyRefundedUnits}..${end} of a line of ${line.quantity}`);
  }
  const { base, extra } = unitSplit(line);
  const withExtra = Math.max(0, Math.min(end, extra) - alreadyRefundedUnits);
  return money(base * units + withExtra, line.lineTotal.currency);
};
