import type { MoneyView } from '../payments/projection';

/** One promotion's part of an order's discount, as the order's events carry it. */
export interface PromotionShare {
  readonly promotionId: string;
  readonly amount: MoneyView;
}

/** The part of an order's price breakdown the read models count: the whole discount and each promotion's part. */
export interface DiscountBreakdown {
  readonly discount: MoneyView;
  readonly promotions: readonly PromotionShare[];
}

/** The promotions an order names, each once, in the order of its breakdown. */
export const promotionIdsOf = (pricing: DiscountBreakdown | undefined): readonly string[] =>
  pricing === undefined ? [] : [...new Set(pricing.promotions.map((p) => p.promotionId))];

/** What one promotion took off one order (a promotion named twice counts both parts). */
export const shareOf = (pricing: DiscountBreakdown, promotionId: string): number =>
  pricing.promotions.filter((p) => p.promotionId === promotionId).reduce((sum, p) => sum + p.amount.amount, 0);
