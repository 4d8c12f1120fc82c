import type { CouponEvent } from '../../domain/pricing';
import { defineProjection, type On, type Projection } from '../projection';

/**
 * `coupons` read model: one document per code (id = code), fed by the coupon's own stream only, so its events arrive
 * in order from one source. A type alias so it is assignable to the store's JSON body type.
 */
export type CouponDoc = {
  readonly code: string;
  /** null only before the coupon's definition was projected, which its stream never records first */
  readonly promotionId: string | null;
  readonly totalLimit: number | null;
  readonly perCustomerLimit: number | null;
  /** orders holding a reservation now (reserved, neither redeemed nor released yet) */
  readonly reserved: number;
  /** orders holding a redemption now (a redeemed order that was cancelled gave it back) */
  readonly redeemed: number;
  /** releases ever (reservations and redemptions given back) */
  readonly released: number;
  /** reservations ever */
  readonly reservedTotal: number;
  /** totalLimit − reserved − redeemed, never below 0 (0 until defined) */
  readonly redemptionsLeft: number;
  /**
   * The orders behind `reserved`, so a release can tell a reservation from a redemption (the event names only the
   * order). Bounded by the orders in flight on the coupon, never more than its total limit.
   */
  readonly holding: readonly string[];
  readonly definedAt: string | null;
  readonly updatedAt: string;
};

const emptyCoupon = (code: string, at: string): CouponDoc => ({
  code,
  promotionId: null,
  totalLimit: null,
  perCustomerLimit: null,
  reserved: 0,
  redeemed: 0,
  released: 0,
  reservedTotal: 0,
  redemptionsLeft: 0,
  holding: [],
  definedAt: null,
  updatedAt: at,
});

/** Recomputes what is left; counts never go below zero even on a history the aggregate would not write. */
const withCounts = (doc: CouponDoc, reserved: number, redeemed: number): CouponDoc => {
  const held = Math.max(0, reserved);
  const used = Math.max(0, redeemed);
  return {
    ...doc,
    reserved: held,
    redeemed: used,
    redemptionsLeft: Math.max(0, (doc.totalLimit ?? 0) - held - used),
  };
};

const without = (orders: readonly string[], orderId: string): readonly string[] => orders.filter((o) => o !== orderId);

/**
 * Every coupon event changes its code's document. The worker folds a batch per document and writes it once, so a
 * hot coupon's thousands of reservations cost one write per batch, not one per event.
 */
const onCoupon = <Ev extends CouponEvent>(apply: (doc: CouponDoc, event: Ev) => CouponDoc): On<CouponDoc, Ev> => ({
  ids: (e) => [e.event.code],
  evolve: (doc, e, id) => apply({ ...(doc ?? emptyCoupon(id, e.event.at)), updatedAt: e.event.at }, e.event),
});

export const couponsProjection: Projection<CouponDoc> = defineProjection<CouponDoc>({
  name: 'coupons',
  version: 1,
  indexes: ['promotionId', 'code'],
  on: {
    // also a redefinition: limits and promotion as they now are, the counts as they were
    CouponDefined: onCoupon((doc, event) =>
      withCounts(
        {
          ...doc,
          promotionId: event.promotionId,
          totalLimit: event.totalLimit,
          perCustomerLimit: event.perCustomerLimit,
          definedAt: doc.definedAt ?? event.at,
        },
        doc.reserved,
        doc.redeemed,
      ),
    ),
    CouponReserved: onCoupon((doc, event) =>
      // an order holds the coupon once (the aggregate never reserves it twice for one order)
      doc.holding.includes(event.orderId)
        ? doc
        : withCounts(
            { ...doc, holding: [...doc.holding, event.orderId], reservedTotal: doc.reservedTotal + 1 },
            doc.reserved + 1,
            doc.redeemed,
          ),
    ),
    CouponRedeemed: onCoupon((doc, event) =>
      doc.holding.includes(event.orderId)
        ? withCounts({ ...doc, holding: without(doc.holding, event.orderId) }, doc.reserved - 1, doc.redeemed + 1)
        : doc,
    ),
    // the order gives back its reservation when it holds one, else its redemption
    CouponReleased: onCoupon((doc, event) =>
      doc.holding.includes(event.orderId)
        ? withCounts(
            { ...doc, holding: without(doc.holding, event.orderId), released: doc.released + 1 },
            doc.reserved - 1,
            doc.redeemed,
          )
        : withCounts({ ...doc, released: doc.released + 1 }, doc.reserved, doc.redeemed - 1),
    ),
  },
});
