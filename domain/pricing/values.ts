import type * as t from 'io-ts';
import { constrainedInteger } from '../shared';

/** Bounded whole numbers of the pricing centre; each carries its constraints as data (see shared/constraints). */

export interface BasisPointsBrand {
  readonly BasisPoints: unique symbol;
}
/** Hundredths of a percent off: 1 (0.01 %) to 10,000 (100 %). */
export const BasisPoints = constrainedInteger<'BasisPoints', BasisPointsBrand>('BasisPoints', {
  minimum: 1,
  maximum: 10_000,
});
export type BasisPoints = t.TypeOf<typeof BasisPoints>;

export interface UnitCountBrand {
  readonly UnitCount: unique symbol;
}
/** Units in a "buy N get M free" group: 1..1000 each. */
export const UnitCount = constrainedInteger<'UnitCount', UnitCountBrand>('UnitCount', { minimum: 1, maximum: 1000 });
export type UnitCount = t.TypeOf<typeof UnitCount>;

export interface PriorityBrand {
  readonly Priority: unique symbol;
}
/** Order of application: the lower number applies first. */
export const Priority = constrainedInteger<'Priority', PriorityBrand>('Priority', { minimum: 0, maximum: 1_000_000 });
export type Priority = t.TypeOf<typeof Priority>;

export interface CouponTotalLimitBrand {
  readonly CouponTotalLimit: unique symbol;
}
/** How many orders may hold (reserved or redeemed) a coupon at once: 1..10,000,000. */
export const CouponTotalLimit = constrainedInteger<'CouponTotalLimit', CouponTotalLimitBrand>('CouponTotalLimit', {
  minimum: 1,
  maximum: 10_000_000,
});
export type CouponTotalLimit = t.TypeOf<typeof CouponTotalLimit>;

export interface CouponPerCustomerLimitBrand {
  readonly CouponPerCustomerLimit: unique symbol;
}
/** How many of one customer's orders may hold a coupon: 1..1000. */
export const CouponPerCustomerLimit = constrainedInteger<'CouponPerCustomerLimit', CouponPerCustomerLimitBrand>(
  'CouponPerCustomerLimit',
  { minimum: 1, maximum: 1000 },
);
export type CouponPerCustomerLimit = t.TypeOf<typeof CouponPerCustomerLimit>;

const make =
  <A>(codec: t.Type<A, unknown>) =>
  (value: number): A => {
    if (!codec.is(value)) throw new TypeError(`invalid ${codec.name}: ${value}`);
    return value;
  };

/** Trusted builders for fixtures and computed values; user input goes through the codecs instead. */
export const basisPoints = make(BasisPoints);
export const unitCount = make(UnitCount);
export const priority = make(Priority);
export const couponTotalLimit = make(CouponTotalLimit);
export const couponPerCustomerLimit = make(CouponPerCustomerLimit);
