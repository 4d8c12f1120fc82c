import type * as E from 'fp-ts/Either';
import {
  absurd,
  accept,
  PersistentMap,
  reject,
  type CouponCode,
  type CustomerId,
  type Decider,
  type OrderId,
  type PromotionId,
} from '../shared';
import type { CouponCommand, DefineCoupon, RedeemCoupon, ReleaseCoupon, ReserveCoupon } from './commands';
import {
  couponCustomerLimitReached,
  couponExhausted,
  couponMismatch,
  couponNotFound,
  couponNotReserved,
  couponReservationClosed,
  type PricingError,
} from './errors';
import type { CouponEvent } from './coupon-events';
import type { CouponPerCustomerLimit, CouponTotalLimit } from './values';

/**
 * What an order holds of the coupon. A released order is remembered, so a late or repeated reservation for it is
 * refused instead of taking a use again (as a closed stock reservation is).
 */
export type CouponHoldingStatus = 'reserved' | 'redeemed' | 'released';

export interface CouponHolding {
  readonly customerId: CustomerId;
  readonly status: CouponHoldingStatus;
}

export interface UndefinedCoupon {
  readonly status: 'Undefined';
}

export interface ActiveCoupon {
  readonly status: 'Active';
  readonly code: CouponCode;
  readonly promotionId: PromotionId;
  readonly totalLimit: CouponTotalLimit;
  readonly perCustomerLimit: CouponPerCustomerLimit;
  /** orders holding a reservation now */
  readonly reserved: number;
  /** orders whose reservation was redeemed (and not released since) */
  readonly redeemed: number;
  readonly orders: ReadonlyMap<OrderId, CouponHolding>;
  /** reserved + redeemed per customer; customers holding nothing are absent */
  readonly customers: ReadonlyMap<CustomerId, number>;
}

export type CouponState = UndefinedCoupon | ActiveCoupon;

export const couponStreamId = (code: CouponCode): string => `coupon-${code}`;

/** Uses a new order could still take (0 for an undefined coupon, or when a lowered limit is below the uses held). */
export const couponRedemptionsLeft = (state: CouponState): number => {
  switch (state.status) {
    case 'Undefined':
      return 0;
    case 'Active':
      return Math.max(0, state.totalLimit - state.reserved - state.redeemed);
    default:
      return absurd(state);
  }
};

/**
 * The error ReserveCoupon would answer now for a new order of this customer, or undefined when it would reserve.
 * `code` only names the coupon in the not-found message (an undefined coupon's state does not know its code).
 */
export const couponRefusalFor = (
  state: CouponState,
  customerId: CustomerId,
  code?: CouponCode,
): PricingError | undefined => {
  switch (state.status) {
    case 'Undefined':
      return couponNotFound(code);
    case 'Active':
      if (couponRedemptionsLeft(state) === 0) return couponExhausted(state.code, state.totalLimit);
      if ((state.customers.get(customerId) ?? 0) >= state.perCustomerLimit) {
        return couponCustomerLimitReached(state.code, customerId, state.perCustomerLimit);
      }
      return undefined;
    default:
      return absurd(state);
  }
};

type Decision = E.Either<PricingError, readonly CouponEvent[]>;

const nothing: Decision = accept<CouponEvent>();

const defineCoupon = (command: DefineCoupon, state: CouponState): Decision => {
  const { code, promotionId, totalLimit, perCustomerLimit, at } = command;
  const unchanged =
    state.status === 'Active' &&
    state.promotionId === promotionId &&
    state.totalLimit === totalLimit &&
    state.perCustomerLimit === perCustomerLimit;
  return unchanged ? nothing : accept({ type: 'CouponDefined', code, promotionId, totalLimit, perCustomerLimit, at });
};

const reserve = (command: ReserveCoupon, state: ActiveCoupon): Decision => {
  const { code, orderId, customerId, at } = command;
  const held = state.orders.get(orderId)?.status;
  switch (held) {
    case 'reserved':
    case 'redeemed':
      return nothing;
    case 'released':
      return reject(couponReservationClosed(code, orderId));
    case undefined: {
      const refusal = couponRefusalFor(state, customerId);
      return refusal ? reject(refusal) : accept({ type: 'CouponReserved', code, orderId, customerId, at });
    }
    default:
      return absurd(held);
  }
};

const release = (command: ReleaseCoupon, state: ActiveCoupon): Decision => {
  const { code, orderId, reason, at } = command;
  const held = state.orders.get(orderId)?.status;
  // nothing held (never reserved, or already released): a compensation that arrives twice is fine
  return held === 'reserved' || held === 'redeemed'
    ? accept({ type: 'CouponReleased', code, orderId, reason, at })
    : nothing;
};

const redeem = (command: RedeemCoupon, state: ActiveCoupon): Decision => {
  const { code, orderId, at } = command;
  const held = state.orders.get(orderId)?.status;
  switch (held) {
    case 'reserved':
      return accept({ type: 'CouponRedeemed', code, orderId, at });
    case 'redeemed':
      return nothing;
    case 'released':
    case undefined:
      return reject(couponNotReserved(code, orderId));
    default:
      return absurd(held);
  }
};

const decideActive = (command: CouponCommand, state: ActiveCoupon): Decision => {
  if (command.code !== state.code) return reject(couponMismatch(state.code, command.code));
  switch (command.type) {
    case 'DefineCoupon':
      return defineCoupon(command, state);
    case 'ReserveCoupon':
      return reserve(command, state);
    case 'ReleaseCoupon':
      return release(command, state);
    case 'RedeemCoupon':
      return redeem(command, state);
    default:
      return absurd(command);
  }
};

const decide = (command: CouponCommand, state: CouponState): Decision => {
  switch (state.status) {
    case 'Undefined':
      return command.type === 'DefineCoupon' ? defineCoupon(command, state) : reject(couponNotFound(command.code));
    case 'Active':
      return decideActive(command, state);
    default:
      return absurd(state);
  }
};

/** The customer's count of uses held, moved by `delta`; a customer at zero leaves the map. */
const countCustomer = (state: ActiveCoupon, customerId: CustomerId, delta: number): ActiveCoupon['customers'] => {
  const count = (state.customers.get(customerId) ?? 0) + delta;
  const customers = PersistentMap.from(state.customers);
  return count > 0 ? customers.set(customerId, count) : customers.delete(customerId);
};

const hold = (state: ActiveCoupon, orderId: OrderId, holding: CouponHolding): ActiveCoupon['orders'] =>
  PersistentMap.from(state.orders).set(orderId, holding);

const evolveActive = (state: ActiveCoupon, event: CouponEvent): ActiveCoupon => {
  const held = event.type === 'CouponDefined' ? undefined : state.orders.get(event.orderId);
  switch (event.type) {
    case 'CouponDefined':
      return {
        ...state,
        promotionId: event.promotionId,
        totalLimit: event.totalLimit,
        perCustomerLimit: event.perCustomerLimit,
      };
    case 'CouponReserved':
      // decide never reserves twice for an order; a replayed odd history must not count it twice either
      if (held && held.status !== 'released') return state;
      return {
        ...state,
        reserved: state.reserved + 1,
        orders: hold(state, event.orderId, { customerId: event.customerId, status: 'reserved' }),
        customers: countCustomer(state, event.customerId, 1),
      };
    case 'CouponRedeemed':
      if (held?.status !== 'reserved') return state;
      return {
        ...state,
        reserved: state.reserved - 1,
        redeemed: state.redeemed + 1,
        orders: hold(state, event.orderId, { ...held, status: 'redeemed' }),
      };
    case 'CouponReleased':
      if (held === undefined || held.status === 'released') return state;
      return {
        ...state,
        reserved: state.reserved - (held.status === 'reserved' ? 1 : 0),
        redeemed: state.redeemed - (held.status === 'redeemed' ? 1 : 0),
        orders: hold(state, event.orderId, { ...held, status: 'released' }),
        customers: countCustomer(state, held.customerId, -1),
      };
    default:
      return absurd(event);
  }
};

const evolve = (state: CouponState, event: CouponEvent): CouponState => {
  switch (state.status) {
    case 'Undefined':
      // only a definition starts the stream; decide never emits anything else before it
      return event.type === 'CouponDefined'
        ? {
            status: 'Active',
            code: event.code,
            promotionId: event.promotionId,
            totalLimit: event.totalLimit,
            perCustomerLimit: event.perCustomerLimit,
            reserved: 0,
            redeemed: 0,
            orders: PersistentMap.empty(),
            customers: PersistentMap.empty(),
          }
        : state;
    case 'Active':
      return evolveActive(state, event);
    default:
      return absurd(state);
  }
};

export const couponDecider: Decider<CouponCommand, CouponState, CouponEvent, PricingError> = {
  initialState: { status: 'Undefined' },
  evolve,
  decide,
};
