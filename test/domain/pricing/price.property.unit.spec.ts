import { expect } from 'chai';
import * as fc from 'fast-check';
import {
  basisPoints,
  price,
  priority,
  refundAmountOf,
  unitAmounts,
  unitCount,
  type ActivePromotion,
  type PriceInput,
  type PricedOrder,
  type PromotionRule,
} from '../../../domain/pricing';
import {
  couponCode,
  currency,
  money,
  name,
  promotionId,
  quantity,
  sku,
  timestamp,
  type Currency,
  type Sku,
} from '../../../domain/shared';

const EUR = currency('EUR');
const USD = currency('USD');
const skus: readonly Sku[] = ['A', 'B', 'C', 'D', 'E', 'F'].map((s) => sku(s));
const numRuns = 400;

/** amounts mostly small (where rounding bites), sometimes large (where exactness does; 6 lines stay below 2^53) */
const amountArb = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 10_000 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 100_000_000_000 }) },
);
const quantityArb = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 12 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 5_000 }) },
);
const skuSubset = (min: number, max: number) => fc.subarray([...skus], { minLength: min, maxLength: max });

const ruleArb = (cur: Currency): fc.Arbitrary<PromotionRule> =>
  fc.oneof(
    fc
      .record({ bp: fc.integer({ min: 1, max: 10_000 }), only: fc.option(skuSubset(1, 3), { nil: undefined }) })
      .map(({ bp, only }): PromotionRule =>
        only === undefined
          ? { kind: 'PercentOff', basisPoints: basisPoints(bp) }
          : { kind: 'PercentOff', basisPoints: basisPoints(bp), skus: only },
      ),
    fc.record({ amount: amountArb, threshold: amountArb }).map(({ amount, threshold }): PromotionRule => ({
      kind: 'AmountOffOrder',
      amount: money(amount, cur),
      threshold: money(threshold, cur),
    })),
    fc
      .record({
        on: fc.constantFrom(...skus),
        buy: fc.integer({ min: 1, max: 4 }),
        free: fc.integer({ min: 1, max: 3 }),
      })
      .map(({ on, buy, free }): PromotionRule => ({
        kind: 'BuyNGetMFree',
        sku: on,
        buy: unitCount(buy),
        free: unitCount(free),
      })),
    fc.record({ set: skuSubset(2, 4), bundlePrice: amountArb }).map(({ set, bundlePrice }): PromotionRule => ({
      kind: 'BundlePrice',
      skus: set,
      price: money(bundlePrice, cur),
    })),
  );

const promotionArb = (index: number): fc.Arbitrary<ActivePromotion> =>
  fc
    .record({
      cur: fc.constantFrom(EUR, EUR, EUR, USD),
      /** one in six exclusive, one in four coupon-only */
      rarelyExclusive: fc.integer({ min: 0, max: 5 }),
      requiresCoupon: fc.integer({ min: 0, max: 3 }),
    })
    .chain(({ cur, rarelyExclusive, requiresCoupon }) =>
      ruleArb(cur).map((rule): ActivePromotion => ({
        promotionId: promotionId(`p-${index}`),
        definition: {
          name: name(`promotion ${index}`),
          currency: cur,
          validFrom: timestamp('2026-01-01T00:00:00.000Z'),
          priority: priority(index),
          exclusive: rarelyExclusive === 0,
          requiresCoupon: requiresCoupon === 0,
          rule,
        },
      })),
    );

const inputArb: fc.Arbitrary<PriceInput> = fc
  .record({
    lines: fc.uniqueArray(fc.record({ sku: fc.constantFrom(...skus), quantity: quantityArb, unitPrice: amountArb }), {
      minLength: 1,
      maxLength: 6,
      selector: (line) => line.sku,
    }),
    promotionCount: fc.integer({ min: 0, max: 6 }),
    couponFor: fc.integer({ min: -1, max: 6 }),
  })
  .chain(({ lines, promotionCount, couponFor }) =>
    fc.tuple(...Array.from({ length: promotionCount }, (_, i) => promotionArb(i))).map((promotions): PriceInput => ({
      currency: EUR,
      lines: lines.map((line) => ({
        sku: line.sku,
        quantity: quantity(line.quantity),
        unitPrice: money(line.unitPrice, EUR),
      })),
      promotions,
      ...(couponFor < 0 ? {} : { coupon: { code: couponCode('CODE-1'), promotionId: promotionId(`p-${couponFor}`) } }),
    })),
  );

const total = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);

const check = (property: (input: PriceInput, priced: PricedOrder) => void): void => {
  fc.assert(
    fc.property(inputArb, (input) => {
      property(input, price(input));
    }),
    { numRuns },
  );
};

describe('pricing, over random orders and promotion sets', () => {
  it('never makes a line negative, nor dearer than its list price', () => {
    check((_, priced) => {
      for (const line of priced.lines) {
        expect(line.lineTotal.amount).to.be.within(0, line.listTotal.amount);
        expect(line.discount.amount).to.equal(line.listTotal.amount - line.lineTotal.amount);
        expect(line.listTotal.amount).to.equal(line.unitPrice.amount * line.quantity);
      }
    });
  });

  it('keeps total = Σ line totals = list total − discount', () => {
    check((_, priced) => {
      expect(priced.total.amount).to.equal(total(priced.lines.map((l) => l.lineTotal.amount)));
      expect(priced.listTotal.amount).to.equal(total(priced.lines.map((l) => l.listTotal.amount)));
      expect(priced.total.amount).to.equal(priced.listTotal.amount - priced.discount.amount);
    });
  });

  it("sums the applied promotions' amounts to the discount, per promotion and per line", () => {
    check((_, priced) => {
      expect(total(priced.applied.map((a) => a.amount.amount))).to.equal(priced.discount.amount);
      for (const applied of priced.applied) {
        expect(applied.amount.amount).to.be.above(0);
        expect(total(applied.lines.map((l) => l.amount.amount))).to.equal(applied.amount.amount);
        for (const l of applied.lines) expect(l.amount.amount).to.be.above(0);
      }
      for (const line of priced.lines) {
        const fromPromotions = priced.applied.flatMap((a) => a.lines.filter((l) => l.sku === line.sku));
        expect(total(fromPromotions.map((l) => l.amount.amount))).to.equal(line.discount.amount);
      }
    });
  });

  it('applies only eligible promotions, in the order given, none after an exclusive one', () => {
    check((input, priced) => {
      const order = input.promotions.map((p) => p.promotionId);
      const positions = priced.applied.map((a) => order.indexOf(a.promotionId));
      expect(positions).to.deep.equal([...positions].sort((a, b) => a - b));
      expect(new Set(positions).size).to.equal(positions.length);
      priced.applied.forEach((applied, i) => {
        const promotion = input.promotions[positions[i] ?? -1];
        if (!promotion) return expect.fail(`unknown promotion ${applied.promotionId}`);
        expect(promotion.definition.currency).to.equal(input.currency);
        expect(applied.viaCoupon).to.equal(promotion.definition.requiresCoupon);
        if (promotion.definition.requiresCoupon) expect(input.coupon?.promotionId).to.equal(promotion.promotionId);
        if (promotion.definition.exclusive) expect(i).to.equal(priced.applied.length - 1);
      });
    });
  });

  it('rounds a lone percentage half-even per line', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 1_000_000_000_000 }),
        fc.integer({ min: 1, max: 1000 }),
        fc.integer({ min: 1, max: 10_000 }),
        (unit, units, bp) => {
          const rule: PromotionRule = { kind: 'PercentOff', basisPoints: basisPoints(bp) };
          const lone: ActivePromotion = {
            promotionId: promotionId('p'),
            definition: {
              name: name('p'),
              currency: EUR,
              validFrom: timestamp('2026-01-01T00:00:00.000Z'),
              priority: priority(0),
              exclusive: false,
              requiresCoupon: false,
              rule,
            },
          };
          const line = { sku: sku('A'), quantity: quantity(units), unitPrice: money(unit, EUR) };
          const priced = price({ currency: EUR, lines: [line], promotions: [lone] });
          // reference in bigint: numerator / 10 000, half to even
          const numerator = BigInt(unit) * BigInt(units) * BigInt(bp);
          const floor = numerator / 10_000n;
          const twice = 2n * (numerator % 10_000n);
          const expected = twice > 10_000n || (twice === 10_000n && floor % 2n === 1n) ? floor + 1n : floor;
          expect(priced.discount.amount).to.equal(Number(expected));
        },
      ),
      { numRuns },
    );
  });

  it('splits an order amount into parts within one minor unit of the exact shares', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.record({ sku: fc.constantFrom(...skus), unitPrice: amountArb }), {
          minLength: 1,
          maxLength: 6,
          selector: (line) => line.sku,
        }),
        amountArb,
        (lines, amount) => {
          const lone: ActivePromotion = {
            promotionId: promotionId('p'),
            definition: {
              name: name('p'),
              currency: EUR,
              validFrom: timestamp('2026-01-01T00:00:00.000Z'),
              priority: priority(0),
              exclusive: false,
              requiresCoupon: false,
              rule: { kind: 'AmountOffOrder', amount: money(amount, EUR), threshold: money(0, EUR) },
            },
          };
          const input = lines.map((l) => ({ sku: l.sku, quantity: quantity(1), unitPrice: money(l.unitPrice, EUR) }));
          const priced = price({ currency: EUR, lines: input, promotions: [lone] });
          const whole = BigInt(total(lines.map((l) => l.unitPrice)));
          const applied = BigInt(Math.min(amount, Number(whole)));
          expect(priced.discount.amount).to.equal(Number(applied));
          priced.lines.forEach((line, i) => {
            if (whole === 0n) {
              expect(line.discount.amount).to.equal(0);
              return;
            }
            const exact = applied * BigInt(lines[i]?.unitPrice ?? 0);
            const floor = exact / whole;
            const part = BigInt(line.discount.amount);
            expect(part === floor || (part === floor + 1n && exact % whole !== 0n), `line ${i}`).to.equal(true);
          });
        },
      ),
      { numRuns },
    );
  });
});

describe('per-unit amounts of a priced line, over random lines', () => {
  const lineArb = fc.record({ quantity: fc.integer({ min: 1, max: 2_000 }), lineTotal: amountArb });

  it('sum to the line total and differ by at most one minor unit', () => {
    fc.assert(
      fc.property(lineArb, ({ quantity: units, lineTotal }) => {
        const amounts = unitAmounts({ quantity: units, lineTotal: money(lineTotal, EUR) });
        expect(amounts).to.have.length(units);
        expect(total(amounts)).to.equal(lineTotal);
        expect(Math.max(...amounts) - Math.min(...amounts)).to.be.at.most(1);
      }),
      { numRuns },
    );
  });

  it('refund, over any split of the units into parts, exactly the line total, each part the sum of its units', () => {
    fc.assert(
      fc.property(
        lineArb,
        fc.array(fc.integer({ min: 0, max: 400 }), { maxLength: 8 }),
        ({ quantity: units, lineTotal }, cuts) => {
          const line = { quantity: units, lineTotal: money(lineTotal, EUR) };
          const amounts = unitAmounts(line);
          const bounds = [...new Set([0, ...cuts.map((c) => Math.min(c, units)), units])].sort((a, b) => a - b);
          let refunded = 0;
          for (let i = 1; i < bounds.length; i++) {
            const from = bounds[i - 1] ?? 0;
            const to = bounds[i] ?? 0;
            const part = refundAmountOf(line, from, to - from).amount;
            expect(part).to.equal(total(amounts.slice(from, to)));
            refunded += part;
          }
          expect(refunded).to.equal(lineTotal);
        },
      ),
      { numRuns },
    );
  });
});
