import { expect } from 'chai';
import * as E from 'fp-ts/Either';
import {
  CouponCommand,
  couponDecider,
  couponEvents,
  couponPerCustomerLimit,
  couponRedemptionsLeft,
  couponRefusalFor,
  couponStreamId,
  couponTotalLimit,
  type CouponEvent,
  type CouponState,
} from '../../../domain/pricing';
import {
  couponCode,
  customerId,
  describeErrors,
  fold,
  orderId,
  promotionId,
  reason,
  timestamp,
  type CustomerId,
  type OrderId,
  type Timestamp,
} from '../../../domain/shared';
import { givenDecider } from '../../decider-spec';

const given = givenDecider(couponDecider);

const CODE = couponCode('SPRING-10');
const OTHER_CODE = couponCode('SUMMER-20');
const PROMO = promotionId('spring-coupon');
const OTHER_PROMO = promotionId('summer-coupon');
const ANNA = customerId('anna');
const BEN = customerId('ben');
const ORDER = orderId('order-1');
const ORDER_2 = orderId('order-2');
const ORDER_3 = orderId('order-3');
const T0 = Date.parse('2026-03-01T00:00:00.000Z');
const at = (minutes: number): Timestamp => timestamp(new Date(T0 + minutes * 60_000).toISOString());
const CANCELLED = reason('order cancelled');

const define = (totalLimit = 2, perCustomerLimit = 1, promotion = PROMO, minute = 0): CouponCommand => ({
  type: 'DefineCoupon',
  code: CODE,
  promotionId: promotion,
  totalLimit: couponTotalLimit(totalLimit),
  perCustomerLimit: couponPerCustomerLimit(perCustomerLimit),
  at: at(minute),
});
const defined = (totalLimit = 2, perCustomerLimit = 1, promotion = PROMO, minute = 0): CouponEvent => ({
  type: 'CouponDefined',
  code: CODE,
  promotionId: promotion,
  totalLimit: couponTotalLimit(totalLimit),
  perCustomerLimit: couponPerCustomerLimit(perCustomerLimit),
  at: at(minute),
});
const reserve = (order: OrderId = ORDER, customer: CustomerId = ANNA): CouponCommand => ({
  type: 'ReserveCoupon',
  code: CODE,
  orderId: order,
  customerId: customer,
  at: at(1),
});
const reserved = (order: OrderId = ORDER, customer: CustomerId = ANNA): CouponEvent => ({
  type: 'CouponReserved',
  code: CODE,
  orderId: order,
  customerId: customer,
  at: at(1),
});
const release = (order: OrderId = ORDER): CouponCommand => ({
  type: 'ReleaseCoupon',
  code: CODE,
  orderId: order,
  reason: CANCELLED,
  at: at(2),
});
const released = (order: OrderId = ORDER): CouponEvent => ({
  type: 'CouponReleased',
  code: CODE,
  orderId: order,
  reason: CANCELLED,
  at: at(2),
});
const redeem = (order: OrderId = ORDER): CouponCommand => ({
  type: 'RedeemCoupon',
  code: CODE,
  orderId: order,
  at: at(3),
});
const redeemed = (order: OrderId = ORDER): CouponEvent => ({
  type: 'CouponRedeemed',
  code: CODE,
  orderId: order,
  at: at(3),
});

const coupon = (...events: CouponEvent[]): CouponState => fold(couponDecider, events);

const counts = (state: CouponState) => {
  if (state.status !== 'Active') return expect.fail(`expected an active coupon, got ${state.status}`);
  return { reserved: state.reserved, redeemed: state.redeemed, left: couponRedemptionsLeft(state) };
};

describe('a coupon (one stream per code)', () => {
  it('names the stream after the code', () => {
    expect(couponStreamId(CODE)).to.equal('coupon-SPRING-10');
  });

  describe('defining it', () => {
    it('records its promotion and limits', () => {
      given().when(define()).then(defined());
    });

    it('starts with every use left', () => {
      given()
        .when(define(5))
        .thenState((state) => expect(counts(state)).to.deep.equal({ reserved: 0, redeemed: 0, left: 5 }));
    });

    it('records nothing for an identical repeat', () => {
      given(defined())
        .when(define(2, 1, PROMO, 9))
        .then();
    });

    it('records a change of limits or promotion', () => {
      given(defined())
        .when(define(3, 1, PROMO, 9))
        .then(defined(3, 1, PROMO, 9));
      given(defined())
        .when(define(2, 2, PROMO, 9))
        .then(defined(2, 2, PROMO, 9));
      given(defined())
        .when(define(2, 1, OTHER_PROMO, 9))
        .then(defined(2, 1, OTHER_PROMO, 9));
    });

    it('keeps the uses held when the limit is lowered below them, and reserves no more', () => {
      const history = [defined(2, 2), reserved(ORDER), reserved(ORDER_2, BEN), defined(1, 2)];
      expect(counts(coupon(...history))).to.deep.equal({ reserved: 2, redeemed: 0, left: 0 });
      given(...history)
        .when(reserve(ORDER_3, BEN))
        .thenFails('CouponExhausted');
    });
  });

  describe('reserving it for an order', () => {
    it('holds one use for the order', () => {
      given(defined()).when(reserve()).then(reserved());
    });

    it('counts the reservation against the limit', () => {
      given(defined())
        .when(reserve())
        .thenState((state) => expect(counts(state)).to.deep.equal({ reserved: 1, redeemed: 0, left: 1 }));
    });

    it('records nothing when the order already holds it (reserved or redeemed)', () => {
      given(defined(), reserved()).when(reserve()).then();
      given(defined(), reserved(), redeemed()).when(reserve()).then();
    });

    it('refuses a coupon that is not defined', () => {
      const error = given().when(reserve()).thenFails('CouponNotFound');
      expect(error.category).to.equal('not_found');
    });

    it('refuses once reservations and redemptions reach the total limit', () => {
      const error = given(defined(2, 1), reserved(ORDER, ANNA), reserved(ORDER_2, BEN), redeemed(ORDER_2))
        .when(reserve(ORDER_3, customerId('cleo')))
        .thenFails('CouponExhausted');
      expect(error.category).to.equal('rule_violation');
    });

    it("refuses once the customer's orders hold it as often as allowed per customer", () => {
      const error = given(defined(10, 1), reserved(ORDER, ANNA))
        .when(reserve(ORDER_2, ANNA))
        .thenFails('CouponCustomerLimitReached');
      expect(error.category).to.equal('rule_violation');
      expect(error.details).to.include({ customerId: ANNA, perCustomerLimit: 1 });
    });

    it('counts redeemed orders against the customer too', () => {
      given(defined(10, 2), reserved(ORDER, ANNA), redeemed(ORDER), reserved(ORDER_2, ANNA))
        .when(reserve(ORDER_3, ANNA))
        .thenFails('CouponCustomerLimitReached');
    });

    it('lets other customers reserve when one is at their limit', () => {
      given(defined(10, 1), reserved(ORDER, ANNA)).when(reserve(ORDER_2, BEN)).then(reserved(ORDER_2, BEN));
    });

    it('gives a released use to the next order', () => {
      given(defined(1, 1), reserved(ORDER, ANNA), released(ORDER))
        .when(reserve(ORDER_2, ANNA))
        .then(reserved(ORDER_2, ANNA));
    });

    it('refuses to reserve again for an order that released it', () => {
      const error = given(defined(), reserved(), released()).when(reserve()).thenFails('CouponReservationClosed');
      expect(error.category).to.equal('conflict');
    });

    it('refuses a command for another code (a routing bug)', () => {
      given(defined())
        .when({ ...reserve(), code: OTHER_CODE })
        .thenFails('CouponMismatch');
    });
  });

  describe('releasing it', () => {
    it("gives the order's reservation back", () => {
      given(defined(), reserved()).when(release()).then(released());
    });

    it('frees the use and the customer count', () => {
      given(defined(1, 1), reserved())
        .when(release())
        .thenState((state) => {
          expect(counts(state)).to.deep.equal({ reserved: 0, redeemed: 0, left: 1 });
          expect(couponRefusalFor(state, ANNA)).to.equal(undefined);
        });
    });

    it('gives back a redemption (an order cancelled after confirmation)', () => {
      given(defined(), reserved(), redeemed())
        .when(release())
        .thenState((state, events) => {
          expect(events).to.deep.equal([released()]);
          expect(counts(state)).to.deep.equal({ reserved: 0, redeemed: 0, left: 2 });
        });
    });

    it('records nothing for an order that holds nothing', () => {
      given(defined()).when(release()).then();
      given(defined(), reserved(), released()).when(release()).then();
    });

    it('refuses a coupon that is not defined', () => {
      given().when(release()).thenFails('CouponNotFound');
    });
  });

  describe('redeeming it', () => {
    it("turns the order's reservation into a redemption", () => {
      given(defined(), reserved()).when(redeem()).then(redeemed());
    });

    it('moves the use from reserved to redeemed, still counted', () => {
      given(defined(), reserved())
        .when(redeem())
        .thenState((state) => expect(counts(state)).to.deep.equal({ reserved: 0, redeemed: 1, left: 1 }));
    });

    it('records nothing when already redeemed', () => {
      given(defined(), reserved(), redeemed()).when(redeem()).then();
    });

    it('refuses an order without a reservation', () => {
      const error = given(defined()).when(redeem()).thenFails('CouponNotReserved');
      expect(error.category).to.equal('conflict');
      given(defined(), reserved(), released()).when(redeem()).thenFails('CouponNotReserved');
    });

    it('refuses a coupon that is not defined', () => {
      given().when(redeem()).thenFails('CouponNotFound');
    });
  });

  describe('answering quotes', () => {
    it('has no uses left when undefined', () => {
      expect(couponRedemptionsLeft(couponDecider.initialState)).to.equal(0);
    });

    it('answers the refusal a reservation would give now, or nothing', () => {
      expect(couponRefusalFor(couponDecider.initialState, ANNA, CODE)?.code).to.equal('CouponNotFound');
      expect(couponRefusalFor(couponDecider.initialState, ANNA, CODE)?.message).to.contain('SPRING-10');
      expect(couponRefusalFor(couponDecider.initialState, ANNA)?.code).to.equal('CouponNotFound');
      const state = coupon(defined(2, 1), reserved(ORDER, ANNA));
      expect(couponRefusalFor(state, ANNA)?.code).to.equal('CouponCustomerLimitReached');
      expect(couponRefusalFor(state, BEN)).to.equal(undefined);
      expect(
        couponRefusalFor(coupon(defined(2, 1), reserved(ORDER, ANNA), reserved(ORDER_2, BEN)), BEN)?.code,
      ).to.equal('CouponExhausted');
    });

    it('keeps 10,000 reservations of a hot coupon exact', () => {
      const events: CouponEvent[] = [defined(10_000, 1)];
      for (let i = 0; i < 10_000; i++) events.push(reserved(orderId(`o-${i}`), customerId(`c-${i}`)));
      for (let i = 0; i < 10_000; i += 2) events.push(released(orderId(`o-${i}`)));
      for (let i = 1; i < 10_000; i += 4) events.push(redeemed(orderId(`o-${i}`)));
      expect(counts(coupon(...events))).to.deep.equal({ reserved: 2500, redeemed: 2500, left: 5000 });
    });
  });

  describe('its codecs', () => {
    it('defines every event at version 1', () => {
      expect(couponEvents.storedTypes).to.have.members([
        'CouponDefined.v1',
        'CouponReserved.v1',
        'CouponReleased.v1',
        'CouponRedeemed.v1',
      ]);
    });

    it('reads back stored events unchanged', () => {
      for (const event of [defined(), reserved(), released(), redeemed()]) {
        const stored = JSON.parse(JSON.stringify(couponEvents.encode(event))) as { type: string; data: unknown };
        expect(couponEvents.decode(stored)).to.deep.equal(E.right(event));
      }
    });

    it('names limits out of range', () => {
      const decoded = CouponCommand.decode({ ...define(), totalLimit: 10_000_001, perCustomerLimit: 0 });
      const message = E.isLeft(decoded) ? describeErrors(decoded.left) : '';
      expect(message)
        .to.match(/totalLimit/)
        .and.match(/perCustomerLimit/);
    });

    it('names a bad code', () => {
      const decoded = CouponCommand.decode({ ...reserve(), code: 'x' });
      expect(E.isLeft(decoded) ? describeErrors(decoded.left) : '').to.match(/^code: /);
    });
  });
});
