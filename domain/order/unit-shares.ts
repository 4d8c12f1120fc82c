import { refundAmountOf } from '../pricing';
import type { Money, Sku } from '../shared';

/**
 * What each unit of a line was paid (the pricing centre's rule, `unitAmounts`): the line total (after its discount)
 * split into whole minor amounts, the floor share each and the first `lineTotal mod quantity` units one more, so the
 * units sum to the line total exactly. Refunds return units in that order, each at its own amount.
 */
export interface PricedUnits {
  readonly quantity: number;
  readonly lineTotal: Money;
}

/** Units `from` (included) to `to` (excluded) of a line. */
export type UnitRange = readonly [from: number, to: number];

/** The units of one line a refund covers. */
export interface RefundedUnits {
  readonly sku: Sku;
  readonly ranges: readonly UnitRange[];
}

/**
 * The first `count` units of a line of `quantity` that no range in `taken` covers. Refunds take units in order, so
 * the customer gets back exactly what each unit was paid; a failed refund gives its units back, and the next refund
 * takes them again, keeping every unit refunded at most once and all refunds of a line summing to its total.
 */
export const firstFreeUnits = (taken: readonly UnitRange[], quantity: number, count: number): UnitRange[] => {
  const ranges: UnitRange[] = [];
  let left = count;
  let cursor = 0;
  const take = (upTo: number): void => {
    const units = Math.min(left, upTo - cursor);
    if (units <= 0) return;
    ranges.push([cursor, cursor + units]);
    left -= units;
  };
  for (const [from, to] of [...taken].sort((a, b) => a[0] - b[0])) {
    if (left === 0) break;
    take(from);
    cursor = Math.max(cursor, to);
  }
  take(quantity);
  return ranges;
};

/** What the units in `ranges` of the line were paid. */
export const amountOfRanges = (line: PricedUnits, ranges: readonly UnitRange[]): number =>
  ranges.reduce((sum, [from, to]) => sum + refundAmountOf(line, from, to - from).amount, 0);
