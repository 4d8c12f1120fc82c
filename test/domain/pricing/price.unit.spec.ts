import { expect } from 'chai';
import * as E from 'fp-ts/Either';
import {
  basisPoints,
  price,
  PricedOrder,
  priority,
  refundAmountOf,
  unitAmounts,
  unitCount,
  type ActivePromotion,
  type PriceInput,
  type PriceLineInput,
  type PromotionDefinition,
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
  type PromotionId,
} from '../../../domain/shared';

const EUR = currency('EUR');
const USD = currency('USD');
const A = sku('A');
const B = sku('B');
const C = sku('C');
const eur = (amount: number) => money(amount, EUR);

const line = (s: typeof A, units: number, unitPrice: number, cur = EUR): PriceLineInput => ({
  sku: s,
  quantity: quantity(units),
  unitPrice: money(unitPrice, cur),
});

let nextId = 0;
const promotion = (rule: PromotionRule, overrides: Partial<PromotionDefinition> = {}, id?: string): ActivePromotion => {
  nextId += 1;
  return {
    promotionId: promotionId(id ?? `p-${nextId}`),
    definition: {
      name: name(`promotion ${id ?? nextId}`),
      currency: EUR,
      validFrom: timestamp('2026-01-01T00:00:00.000Z'),
      priority: priority(0),
      exclusive: false,
      requiresCoupon: false,
      rule,
      ...overrides,
    },
  };
};

const percent = (bp: number, skus?: (typeof A)[]): PromotionRule =>
  skus === undefined
    ? { kind: 'PercentOff', basisPoints: basisPoints(bp) }
    : { kind: 'PercentOff', basisPoints: basisPoints(bp), skus };
const amountOff = (amount: number, threshold: number): PromotionRule => ({
  kind: 'AmountOffOrder',
  amount: eur(amount),
  threshold: eur(threshold),
});
const buyGet = (s: typeof A, buy: number, free: number): PromotionRule => ({
  kind: 'BuyNGetMFree',
  sku: s,
  buy: unitCount(buy),
  free: unitCount(free),
});
const bundle = (skus: (typeof A)[], bundlePrice: number): PromotionRule => ({
  kind: 'BundlePrice',
  skus,
  price: eur(bundlePrice),
});

const priceOf = (lines: PriceLineInput[], promotions: ActivePromotion[] = [], coupon?: PriceInput['coupon']) =>
  price({ currency: EUR, lines, promotions, ...(coupon ? { coupon } : {}) });

/** each line's total, in line order */
const lineTotals = (lines: PriceLineInput[], promotions: ActivePromotion[] = [], coupon?: PriceInput['coupon']) =>
  priceOf(lines, promotions, coupon).lines.map((l) => l.lineTotal.amount);

const couponFor = (id: PromotionId) => ({ code: couponCode('SPRING-10'), promotionId: id });

describe('pricing an order', () => {
  describe('without promotions', () => {
    it('charges the list price of every line', () => {
      expect(priceOf([line(A, 3, 333), line(B, 1, 1000)])).to.deep.equal({
        currency: EUR,
        lines: [
          { sku: A, quantity: 3, unitPrice: eur(333), listTotal: eur(999), discount: eur(0), lineTotal: eur(999) },
          { sku: B, quantity: 1, unitPrice: eur(1000), listTotal: eur(1000), discount: eur(0), lineTotal: eur(1000) },
        ],
        listTotal: eur(1999),
        discount: eur(0),
        total: eur(1999),
        applied: [],
      });
    });
  });

  describe('a percentage off', () => {
    it('takes 15 % off 3 × 333, rounding 149.85 half-even to 150', () => {
      const spring = promotion(percent(1500), {}, 'spring');
      const priced = priceOf([line(A, 3, 333)], [spring]);
      expect(priced.lines[0]).to.deep.include({ listTotal: eur(999), discount: eur(150), lineTotal: eur(849) });
      expect(priced.applied).to.deep.equal([
        {
          promotionId: 'spring',
          name: 'promotion spring',
          amount: eur(150),
          lines: [{ sku: A, amount: eur(150) }],
          viaCoupon: false,
        },
      ]);
      expect(priced.total).to.deep.equal(eur(849));
    });

    it('rounds an exact half to the even minor unit, per line', () => {
      // 10 % of 125 is 12.5 → 12; of 135 is 13.5 → 14; of 145 is 14.5 → 14
      expect(lineTotals([line(A, 1, 125), line(B, 1, 135), line(C, 1, 145)], [promotion(percent(1000))])).to.deep.equal(
        [113, 121, 131],
      );
    });

    it('applies to every line when it names no SKUs, and only to those named otherwise', () => {
      expect(lineTotals([line(A, 1, 1000), line(B, 1, 1000)], [promotion(percent(2000))])).to.deep.equal([800, 800]);
      expect(lineTotals([line(A, 1, 1000), line(B, 1, 1000)], [promotion(percent(2000, [B, C]))])).to.deep.equal([
        1000, 800,
      ]);
    });

    it('makes a line free at 100 %, never negative', () => {
      expect(lineTotals([line(A, 2, 999)], [promotion(percent(10_000)), promotion(percent(5000))])).to.deep.equal([0]);
    });
  });

  describe('an amount off the order from a threshold ("€10 off from €50")', () => {
    const tenOffFifty = () => promotion(amountOff(1000, 5000));

    it('gives nothing below the threshold', () => {
      expect(priceOf([line(A, 1, 4999)], [tenOffFifty()]).discount).to.deep.equal(eur(0));
    });

    it('applies from the threshold exactly', () => {
      expect(priceOf([line(A, 1, 5000)], [tenOffFifty()]).total).to.deep.equal(eur(4000));
    });

    it('splits the amount over the lines in proportion, by largest remainder', () => {
      // exact shares 166.67 and 833.33: floors 166 + 833, the unit left goes to the larger remainder
      const priced = priceOf([line(A, 1, 1000), line(B, 1, 5000)], [tenOffFifty()]);
      expect(priced.lines.map((l) => l.discount.amount)).to.deep.equal([167, 833]);
      expect(priced.discount).to.deep.equal(eur(1000));
    });

    it('gives a tied remainder to the earlier line', () => {
      const priced = priceOf([line(A, 1, 2000), line(B, 1, 2000), line(C, 1, 2000)], [tenOffFifty()]);
      expect(priced.lines.map((l) => l.discount.amount)).to.deep.equal([334, 333, 333]);
    });

    it('never takes more than the order costs', () => {
      const priced = priceOf([line(A, 1, 300), line(B, 1, 200)], [promotion(amountOff(1000, 0))]);
      expect(priced.lines.map((l) => l.lineTotal.amount)).to.deep.equal([0, 0]);
      expect(priced.applied[0]?.amount).to.deep.equal(eur(500));
    });

    it('measures the threshold on the total after the promotions before it', () => {
      expect(priceOf([line(A, 1, 5000)], [promotion(percent(1000)), tenOffFifty()]).total).to.deep.equal(eur(4500));
    });
  });

  describe('buy N get M free', () => {
    it('makes M units of every complete group of N + M free', () => {
      // 7 units, groups of 3: two complete groups, two units free
      expect(priceOf([line(A, 7, 100)], [promotion(buyGet(A, 2, 1))]).lines[0]?.discount).to.deep.equal(eur(200));
    });

    it('gives nothing short of a complete group', () => {
      expect(priceOf([line(A, 2, 100)], [promotion(buyGet(A, 2, 1))]).discount).to.deep.equal(eur(0));
    });

    it('leaves other SKUs alone', () => {
      expect(lineTotals([line(A, 3, 100), line(B, 3, 100)], [promotion(buyGet(B, 1, 1))])).to.deep.equal([300, 200]);
    });

    it('frees the units at their running price after an earlier promotion', () => {
      // 10 % off 700 leaves 630; 2 of 7 units free is 180
      expect(lineTotals([line(A, 7, 100)], [promotion(percent(1000)), promotion(buyGet(A, 2, 1))])).to.deep.equal([
        450,
      ]);
    });

    it('rounds the share of the freed units half-even', () => {
      // 100 % − 15 % of 3 × 333 leaves 849; one of 3 units free is 283
      expect(lineTotals([line(A, 3, 333)], [promotion(percent(1500)), promotion(buyGet(A, 2, 1))])).to.deep.equal([
        566,
      ]);
    });
  });

  describe('a bundle price', () => {
    it('charges each complete set the bundle price, spreading the saving over its lines', () => {
      // 2 sets of A (1000) + B (600) cost 3200, as a bundle 2400: 800 saved, split 2000 : 1200
      const priced = priceOf([line(A, 2, 1000), line(B, 3, 600)], [promotion(bundle([A, B], 1200))]);
      expect(priced.lines.map((l) => l.discount.amount)).to.deep.equal([500, 300]);
      expect(priced.total).to.deep.equal(eur(3000));
    });

    it('gives nothing without every SKU of the set', () => {
      expect(priceOf([line(A, 2, 1000), line(C, 1, 10)], [promotion(bundle([A, B], 1200))]).discount).to.deep.equal(
        eur(0),
      );
    });

    it('gives nothing when the bundle costs more than its units', () => {
      expect(priceOf([line(A, 1, 500), line(B, 1, 500)], [promotion(bundle([A, B], 1000))]).applied).to.deep.equal([]);
    });

    it('leaves lines outside the bundle alone', () => {
      expect(
        lineTotals([line(C, 1, 700), line(A, 1, 1000), line(B, 1, 600)], [promotion(bundle([A, B], 1200))]),
      ).to.deep.equal([700, 750, 450]);
    });
  });

  describe('stacking promotions', () => {
    it('applies them in the order given, each to the running amounts', () => {
      const tenPercent = promotion(percent(1000));
      const fiveOff = promotion(amountOff(500, 0));
      expect(priceOf([line(A, 1, 10_000)], [tenPercent, fiveOff]).total).to.deep.equal(eur(8500));
      expect(priceOf([line(A, 1, 10_000)], [fiveOff, tenPercent]).total).to.deep.equal(eur(8550));
    });

    it('lists each promotion that gave something with its own amount, in order', () => {
      const first = promotion(percent(1000), {}, 'first');
      const nothing = promotion(buyGet(C, 1, 1), {}, 'nothing');
      const second = promotion(amountOff(500, 0), {}, 'second');
      const priced = priceOf([line(A, 1, 10_000)], [first, nothing, second]);
      expect(priced.applied.map((a) => [a.promotionId, a.amount.amount])).to.deep.equal([
        ['first', 1000],
        ['second', 500],
      ]);
    });

    it('stops at an exclusive promotion that gave a discount', () => {
      const exclusive = promotion(percent(1000), { exclusive: true });
      expect(priceOf([line(A, 1, 10_000)], [exclusive, promotion(amountOff(500, 0))]).total).to.deep.equal(eur(9000));
    });

    it('goes on past an exclusive promotion that gave nothing', () => {
      const exclusive = promotion(percent(1000, [C]), { exclusive: true });
      expect(priceOf([line(A, 1, 10_000)], [exclusive, promotion(amountOff(500, 0))]).total).to.deep.equal(eur(9500));
    });

    it('lets promotions before an exclusive one stand', () => {
      const exclusive = promotion(amountOff(500, 0), { exclusive: true });
      expect(
        priceOf([line(A, 1, 10_000)], [promotion(percent(1000)), exclusive, promotion(percent(5000))]).total,
      ).to.deep.equal(eur(8500));
    });
  });

  describe('promotions that require a coupon', () => {
    const couponOnly = promotion(percent(2000), { requiresCoupon: true }, 'coupon-only');

    it('do not apply without a coupon', () => {
      expect(priceOf([line(A, 1, 1000)], [couponOnly]).total).to.deep.equal(eur(1000));
    });

    it('apply when the coupon names them, marked as applied through the coupon', () => {
      const priced = priceOf([line(A, 1, 1000)], [couponOnly], couponFor(couponOnly.promotionId));
      expect(priced.total).to.deep.equal(eur(800));
      expect(priced.applied[0]?.viaCoupon).to.equal(true);
    });

    it('do not apply through a coupon naming another promotion', () => {
      expect(priceOf([line(A, 1, 1000)], [couponOnly], couponFor(promotionId('something-else'))).total).to.deep.equal(
        eur(1000),
      );
    });

    it('give nothing when the coupon names a promotion that is not active', () => {
      const priced = priceOf([line(A, 1, 1000)], [], couponFor(couponOnly.promotionId));
      expect([priced.total, priced.applied]).to.deep.equal([eur(1000), []]);
    });

    it('leave promotions without a coupon applying as usual, not marked as through the coupon', () => {
      const automatic = promotion(percent(1000));
      const priced = priceOf([line(A, 1, 1000)], [automatic, couponOnly], couponFor(couponOnly.promotionId));
      expect(priced.applied.map((a) => a.viaCoupon)).to.deep.equal([false, true]);
      expect(priced.total).to.deep.equal(eur(720));
    });
  });

  describe('currencies', () => {
    it("ignores a promotion in another currency than the order's", () => {
      expect(priceOf([line(A, 1, 1000)], [promotion(percent(1000), { currency: USD })]).total).to.deep.equal(eur(1000));
    });

    it('ignores a rule whose amounts are in another currency (a definition the book would refuse)', () => {
      const odd: PromotionRule = { kind: 'AmountOffOrder', amount: money(100, USD), threshold: eur(0) };
      expect(priceOf([line(A, 1, 1000)], [promotion(odd)]).total).to.deep.equal(eur(1000));
    });

    it('refuses a line priced in another currency (the order checks that first)', () => {
      expect(() => priceOf([line(A, 1, 1000, USD)])).to.throw(TypeError, /currency mismatch/);
    });

    it('refuses a SKU on two lines', () => {
      expect(() => priceOf([line(A, 1, 1000), line(A, 2, 1000)])).to.throw(TypeError, /two lines/);
    });

    it('refuses an order too large to price exactly', () => {
      expect(() => priceOf([line(A, 1_000_000, Number.MAX_SAFE_INTEGER)])).to.throw(RangeError);
    });
  });

  it('reads back a priced order through its codec', () => {
    const priced = priceOf([line(A, 3, 333), line(B, 2, 50)], [promotion(percent(1500)), promotion(amountOff(10, 0))]);
    expect(PricedOrder.decode(JSON.parse(JSON.stringify(PricedOrder.encode(priced))))).to.deep.equal(E.right(priced));
  });
});

describe('what each unit of a priced line was paid (for refunds)', () => {
  const paid = (units: number, total: number) => ({ quantity: units, lineTotal: eur(total) });

  it('splits a line total evenly, the first units carrying the minor units left', () => {
    expect(unitAmounts(paid(3, 849))).to.deep.equal([283, 283, 283]);
    expect(unitAmounts(paid(3, 850))).to.deep.equal([284, 283, 283]);
    expect(unitAmounts(paid(4, 2))).to.deep.equal([1, 1, 0, 0]);
  });

  it('refunds the amounts of the next units, so a line refunded in parts returns what was paid', () => {
    const line = paid(3, 851);
    const parts = [refundAmountOf(line, 0, 1), refundAmountOf(line, 1, 1), refundAmountOf(line, 2, 1)];
    expect(parts.map((m) => m.amount)).to.deep.equal([284, 284, 283]);
    expect(refundAmountOf(line, 0, 3)).to.deep.equal(eur(851));
    expect(refundAmountOf(line, 1, 2)).to.deep.equal(eur(567));
    expect(refundAmountOf(line, 3, 0)).to.deep.equal(eur(0));
  });

  it('refunds one discounted unit at its discounted price', () => {
    const [priced] = priceOf([line(A, 3, 333)], [promotion(percent(1500))]).lines;
    if (!priced) return expect.fail('no line');
    expect(refundAmountOf(priced, 0, 1)).to.deep.equal(eur(283));
  });

  it('refuses to refund more units than the line has, or a negative number', () => {
    expect(() => refundAmountOf(paid(3, 900), 2, 2)).to.throw(RangeError);
    expect(() => refundAmountOf(paid(3, 900), -1, 1)).to.throw(RangeError);
    expect(() => refundAmountOf(paid(3, 900), 0, 1.5)).to.throw(RangeError);
  });
});
