import type { DomainEvent } from '../../projections/projection';
import {
  couponDefined,
  couponRedeemed,
  couponReleased,
  couponReserved,
  orderCancelled,
  orderPlaced,
  promotionDefined,
  promotionEnded,
} from './fixtures';

/**
 * Two promotions, orders priced with them (some through a coupon), some of those cancelled, and the coupon's
 * reservations, redemptions and releases: written straight to the store, as the pricing centre and the sagas would.
 */
export const pricingHistory = (): DomainEvent[] => {
  const minute = (n: number): string => new Date(Date.parse('2026-03-01T12:00:00.000Z') + n * 60_000).toISOString();
  const events: DomainEvent[] = [
    promotionDefined({ promotionId: 'p-1', at: minute(0) }),
    promotionDefined({ promotionId: 'p-2', name: 'Coupon', requiresCoupon: true, at: minute(0) }),
    couponDefined({ code: 'SPRING-10', promotionId: 'p-2', totalLimit: 8, at: minute(1) }),
  ];
  for (let i = 0; i < 12; i++) {
    const orderId = `pr-${i}`;
    const withCoupon = i % 2 === 0;
    const placed = orderPlaced({
      orderId,
      promotions: [
        { promotionId: 'p-1', amount: 100 + i },
        ...(withCoupon ? [{ promotionId: 'p-2', amount: 50, viaCoupon: true }] : []),
      ],
      ...(withCoupon ? { coupon: 'SPRING-10' } : {}),
      at: minute(2 + i * 9),
    });
    events.push(placed);
    if (withCoupon) events.push(couponReserved({ orderId, customer: `c-${i}`, at: minute(3 + i * 9) }));
    if (i % 3 === 0) {
      if (withCoupon) events.push(couponReleased({ orderId, at: minute(4 + i * 9) }));
      events.push(orderCancelled({ orderId, pricing: placed.pricing, at: minute(4 + i * 9) }));
    } else if (withCoupon) events.push(couponRedeemed({ orderId, at: minute(5 + i * 9) }));
  }
  events.push(promotionEnded({ promotionId: 'p-2', at: minute(200) }));
  return events;
};
