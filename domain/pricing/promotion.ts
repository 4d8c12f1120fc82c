import * as t from 'io-ts';
import { pipe } from 'fp-ts/function';
import * as E from 'fp-ts/Either';
import { absurd, Currency, Money, Name, Sku, Timestamp, type PromotionId } from '../shared';
import { BasisPoints, Priority, UnitCount } from './values';

/** A list with a bounded number of entries (no brand: rules built in code stay plain arrays). */
const boundedList = <A, O>(item: t.Type<A, O>, min: number, max: number): t.Type<readonly A[], readonly O[]> => {
  const list = t.readonlyArray(item);
  const name = `${min}..${max} × ${item.name}`;
  const fits = (n: number): boolean => n >= min && n <= max;
  return new t.Type<readonly A[], readonly O[]>(
    name,
    (u): u is readonly A[] => list.is(u) && fits(u.length),
    (u, context) =>
      pipe(
        list.validate(u, context),
        E.chain((value) =>
          fits(value.length)
            ? t.success(value)
            : t.failure(u, context, `expected ${min} to ${max} entries, got ${value.length}`),
        ),
      ),
    (value) => list.encode(value),
  );
};

/** `skus` absent: every line of the order. */
export const PercentOff = t.intersection(
  [
    t.readonly(t.strict({ kind: t.literal('PercentOff'), basisPoints: BasisPoints })),
    t.readonly(t.exact(t.partial({ skus: boundedList(Sku, 1, 100) }))),
  ],
  'PercentOff',
);
export type PercentOff = t.TypeOf<typeof PercentOff>;

/** "€10 off from €50": applies when the running total reaches `threshold`; never more than that total. */
export const AmountOffOrder = t.readonly(
  t.strict({ kind: t.literal('AmountOffOrder'), amount: Money, threshold: Money }),
  'AmountOffOrder',
);
export type AmountOffOrder = t.TypeOf<typeof AmountOffOrder>;

/** Every complete group of `buy + free` units of `sku` has `free` of them at zero. */
export const BuyNGetMFree = t.readonly(
  t.strict({ kind: t.literal('BuyNGetMFree'), sku: Sku, buy: UnitCount, free: UnitCount }),
  'BuyNGetMFree',
);
export type BuyNGetMFree = t.TypeOf<typeof BuyNGetMFree>;

/** Each complete set (one unit of every listed SKU) costs `price`, when that is less than its units cost. */
export const BundlePrice = t.readonly(
  t.strict({ kind: t.literal('BundlePrice'), skus: boundedList(Sku, 2, 10), price: Money }),
  'BundlePrice',
);
export type BundlePrice = t.TypeOf<typeof BundlePrice>;

export const PromotionRule = t.union([PercentOff, AmountOffOrder, BuyNGetMFree, BundlePrice], 'PromotionRule');
export type PromotionRule = t.TypeOf<typeof PromotionRule>;

/**
 * What a promotion gives and when. The codec checks each field alone; the rules across fields (window, currency,
 * distinct SKUs) are the promotion book's domain errors (`definitionProblem`), so they name the field too.
 */
export const PromotionDefinition = t.intersection(
  [
    t.readonly(
      t.strict({
        name: Name,
        currency: Currency,
        validFrom: Timestamp,
        priority: Priority,
        exclusive: t.boolean,
        requiresCoupon: t.boolean,
        rule: PromotionRule,
      }),
    ),
    t.readonly(t.exact(t.partial({ validUntil: Timestamp }))),
  ],
  'PromotionDefinition',
);
export type PromotionDefinition = t.TypeOf<typeof PromotionDefinition>;

/** A promotion as pricing needs it: `activePromotions` hands these out, already filtered and sorted. */
export interface ActivePromotion {
  readonly promotionId: PromotionId;
  readonly definition: PromotionDefinition;
}

/** The Money fields of a rule, by field path, so a currency check can name the one that is off. */
export const ruleMoneyFields = (rule: PromotionRule): readonly (readonly [field: string, value: Money])[] => {
  switch (rule.kind) {
    case 'AmountOffOrder':
      return [
        ['rule.amount', rule.amount],
        ['rule.threshold', rule.threshold],
      ];
    case 'BundlePrice':
      return [['rule.price', rule.price]];
    case 'PercentOff':
    case 'BuyNGetMFree':
      return [];
    default:
      return absurd(rule);
  }
};

/** The SKUs a rule lists, by field path (those that must be distinct). */
export const ruleSkuList = (rule: PromotionRule): readonly [field: string, skus: readonly Sku[]] | undefined => {
  switch (rule.kind) {
    case 'PercentOff':
      return rule.skus === undefined ? undefined : ['rule.skus', rule.skus];
    case 'BundlePrice':
      return ['rule.skus', rule.skus];
    case 'AmountOffOrder':
    case 'BuyNGetMFree':
      return undefined;
    default:
      return absurd(rule);
  }
};
