import * as t from 'io-ts';
import { CouponCode, CustomerId, OrderId, PromotionId, Reason, Timestamp } from '../shared';
import { PromotionDefinition } from './promotion';
import { CouponPerCustomerLimit, CouponTotalLimit } from './values';

/** Creates or replaces a promotion of the book; an identical repeat changes nothing. */
export const DefinePromotion = t.readonly(
  t.strict({
    type: t.literal('DefinePromotion'),
    promotionId: PromotionId,
    definition: PromotionDefinition,
    at: Timestamp,
  }),
  'DefinePromotion',
);
export type DefinePromotion = t.TypeOf<typeof DefinePromotion>;

/** Ends a promotion at `at` (its validUntil becomes `at` unless it already ends earlier). */
export const EndPromotion = t.readonly(
  t.strict({ type: t.literal('EndPromotion'), promotionId: PromotionId, at: Timestamp }),
  'EndPromotion',
);
export type EndPromotion = t.TypeOf<typeof EndPromotion>;

export const PromotionCommand = t.union([DefinePromotion, EndPromotion], 'PromotionCommand');
export type PromotionCommand = t.TypeOf<typeof PromotionCommand>;

/** Creates a coupon, or changes its promotion or limits; an identical repeat changes nothing. */
export const DefineCoupon = t.readonly(
  t.strict({
    type: t.literal('DefineCoupon'),
    code: CouponCode,
    promotionId: PromotionId,
    totalLimit: CouponTotalLimit,
    perCustomerLimit: CouponPerCustomerLimit,
    at: Timestamp,
  }),
  'DefineCoupon',
);
export type DefineCoupon = t.TypeOf<typeof DefineCoupon>;

/** Holds one use of the coupon for an order, like a stock reservation; idempotent per order. */
export const ReserveCoupon = t.readonly(
  t.strict({
    type: t.literal('ReserveCoupon'),
    code: CouponCode,
    orderId: OrderId,
    customerId: CustomerId,
    at: Timestamp,
  }),
  'ReserveCoupon',
);
export type ReserveCoupon = t.TypeOf<typeof ReserveCoupon>;

/** Gives back what the order holds (a reservation, or a redemption of an order cancelled after confirmation). */
export const ReleaseCoupon = t.readonly(
  t.strict({ type: t.literal('ReleaseCoupon'), code: CouponCode, orderId: OrderId, reason: Reason, at: Timestamp }),
  'ReleaseCoupon',
);
export type ReleaseCoupon = t.TypeOf<typeof ReleaseCoupon>;

/** On confirmation: the order's reservation becomes a redemption. */
export const RedeemCoupon = t.readonly(
  t.strict({ type: t.literal('RedeemCoupon'), code: CouponCode, orderId: OrderId, at: Timestamp }),
  'RedeemCoupon',
);
export type RedeemCoupon = t.TypeOf<typeof RedeemCoupon>;

export const CouponCommand = t.union([DefineCoupon, ReserveCoupon, ReleaseCoupon, RedeemCoupon], 'CouponCommand');
export type CouponCommand = t.TypeOf<typeof CouponCommand>;
