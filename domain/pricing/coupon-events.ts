import * as t from 'io-ts';
import { CouponCode, CustomerId, eventRegistry, OrderId, PromotionId, Reason, Timestamp } from '../shared';
import { CouponPerCustomerLimit, CouponTotalLimit } from './values';

/** Also a redefinition: the whole coupon as it now is. */
export const CouponDefined = t.readonly(
  t.strict({
    type: t.literal('CouponDefined'),
    code: CouponCode,
    promotionId: PromotionId,
    totalLimit: CouponTotalLimit,
    perCustomerLimit: CouponPerCustomerLimit,
    at: Timestamp,
  }),
  'CouponDefined',
);
export type CouponDefined = t.TypeOf<typeof CouponDefined>;

export const CouponReserved = t.readonly(
  t.strict({
    type: t.literal('CouponReserved'),
    code: CouponCode,
    orderId: OrderId,
    customerId: CustomerId,
    at: Timestamp,
  }),
  'CouponReserved',
);
export type CouponReserved = t.TypeOf<typeof CouponReserved>;

/** The order gave back what it held: its reservation, or its redemption when it was redeemed. */
export const CouponReleased = t.readonly(
  t.strict({ type: t.literal('CouponReleased'), code: CouponCode, orderId: OrderId, reason: Reason, at: Timestamp }),
  'CouponReleased',
);
export type CouponReleased = t.TypeOf<typeof CouponReleased>;

export const CouponRedeemed = t.readonly(
  t.strict({ type: t.literal('CouponRedeemed'), code: CouponCode, orderId: OrderId, at: Timestamp }),
  'CouponRedeemed',
);
export type CouponRedeemed = t.TypeOf<typeof CouponRedeemed>;

export const CouponEvent = t.union([CouponDefined, CouponReserved, CouponReleased, CouponRedeemed], 'CouponEvent');
export type CouponEvent = t.TypeOf<typeof CouponEvent>;

export const couponEvents = eventRegistry<CouponEvent>(
  {
    CouponDefined: { version: 1, codec: CouponDefined },
    CouponReserved: { version: 1, codec: CouponReserved },
    CouponReleased: { version: 1, codec: CouponReleased },
    CouponRedeemed: { version: 1, codec: CouponRedeemed },
  },
  [],
);
