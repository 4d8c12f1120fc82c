import { expect } from 'chai';
import { couponsProjection, type CouponDoc } from '../../projections/coupons/projection';
import { eventLog, foldBatches, givenProjection } from '../projection-spec';
import {
  P1,
  P2,
  SPRING,
  at,
  couponDefined,
  couponRedeemed,
  couponReleased,
  couponReserved,
  orderPlaced,
  promotionDefined,
} from './fixtures';

const given = givenProjection(couponsProjection);

const use = (doc: CouponDoc): Pick<CouponDoc, 'reserved' | 'redeemed' | 'released' | 'redemptionsLeft'> => ({
  reserved: doc.reserved,
  redeemed: doc.redeemed,
  released: doc.released,
  redemptionsLeft: doc.redemptionsLeft,
});

describe('the coupons projection', () => {
  describe('when a coupon is defined', () => {
    it('shows its promotion and limits, nothing used and the whole limit left', () => {
      const log = eventLog();
      given(...log(couponDefined({ totalLimit: 500, perCustomerLimit: 2, at: at(8, 30) }))).thenDocument(
        SPRING,
        (doc) => {
          expect(doc).to.deep.equal({
            code: SPRING,
            promotionId: P1,
            totalLimit: 500,
            perCustomerLimit: 2,
            reserved: 0,
            redeemed: 0,
            released: 0,
            reservedTotal: 0,
            redemptionsLeft: 500,
            holding: [],
            definedAt: at(8, 30),
            updatedAt: at(8, 30),
          });
        },
      );
    });

    it('declares the promotion and the code as indexes', () => {
      expect(couponsProjection.indexes).to.deep.equal(['promotionId', 'code']);
    });

    it('takes a redefinition’s promotion and limits, keeps what orders hold and recomputes what is left', () => {
      const log = eventLog();
      const events = log(
        couponDefined({ totalLimit: 5 }),
        couponReserved({ orderId: 'o-1' }),
        couponReserved({ orderId: 'o-2', customer: 'c-2' }),
        couponRedeemed({ orderId: 'o-1' }),
        couponDefined({ promotionId: P2, totalLimit: 3, perCustomerLimit: 4, at: at(12) }),
      );
      given(...events).thenDocument(SPRING, (doc) => {
        expect(doc).to.include({ promotionId: P2, totalLimit: 3, perCustomerLimit: 4, definedAt: at(8, 30) });
        expect(use(doc)).to.deep.equal({ reserved: 1, redeemed: 1, released: 0, redemptionsLeft: 1 });
      });
    });

    it('shows nothing left, never a negative number, when a lowered limit is below the uses held', () => {
      const log = eventLog();
      const events = log(
        couponDefined({ totalLimit: 3 }),
        couponReserved({ orderId: 'o-1' }),
        couponReserved({ orderId: 'o-2', customer: 'c-2' }),
        couponDefined({ totalLimit: 1, at: at(12) }),
      );
      given(...events).thenDocument(SPRING, (doc) => {
        expect(doc.redemptionsLeft).to.equal(0);
        expect(doc.reserved).to.equal(2);
      });
    });
  });

  describe('when orders reserve and redeem it', () => {
    it('counts reservations against the limit, then moves each redeemed one from reserved to redeemed', () => {
      const log = eventLog();
      const events = log(
        couponDefined({ totalLimit: 10 }),
        couponReserved({ orderId: 'o-1' }),
        couponReserved({ orderId: 'o-2', customer: 'c-2' }),
        couponReserved({ orderId: 'o-3', customer: 'c-3' }),
        couponRedeemed({ orderId: 'o-2' }),
      );
      given(...events).thenDocument(SPRING, (doc) => {
        expect(use(doc)).to.deep.equal({ reserved: 2, redeemed: 1, released: 0, redemptionsLeft: 7 });
        expect(doc.reservedTotal).to.equal(3);
        expect(doc.holding).to.deep.equal(['o-1', 'o-3']);
      });
    });

    it('ignores a redemption of an order that holds no reservation, as the aggregate does', () => {
      const log = eventLog();
      const events = log(couponDefined({ totalLimit: 10 }), couponRedeemed({ orderId: 'o-9' }));
      given(...events).thenDocument(SPRING, (doc) => {
        expect(use(doc)).to.deep.equal({ reserved: 0, redeemed: 0, released: 0, redemptionsLeft: 10 });
      });
    });

    it('counts an order’s reservation once however often it is recorded', () => {
      const log = eventLog();
      const events = log(couponDefined({ totalLimit: 10 }), couponReserved(), couponReserved());
      given(...events).thenDocument(SPRING, (doc) => {
        expect(use(doc)).to.deep.equal({ reserved: 1, redeemed: 0, released: 0, redemptionsLeft: 9 });
      });
    });
  });

  describe('when an order gives the coupon back', () => {
    it('frees a reservation of an order that was declined or cancelled before payment', () => {
      const log = eventLog();
      const events = log(couponDefined({ totalLimit: 2 }), couponReserved(), couponReleased({ reason: 'declined' }));
      given(...events).thenDocument(SPRING, (doc) => {
        expect(use(doc)).to.deep.equal({ reserved: 0, redeemed: 0, released: 1, redemptionsLeft: 2 });
        expect(doc.holding).to.deep.equal([]);
      });
    });

    it('frees the redemption of a paid order that was cancelled', () => {
      const log = eventLog();
      const events = log(couponDefined({ totalLimit: 2 }), couponReserved(), couponRedeemed(), couponReleased());
      given(...events).thenDocument(SPRING, (doc) => {
        expect(use(doc)).to.deep.equal({ reserved: 0, redeemed: 0, released: 1, redemptionsLeft: 2 });
      });
    });

    it('lets another order take the use that was given back', () => {
      const log = eventLog();
      const events = log(
        couponDefined({ totalLimit: 1 }),
        couponReserved({ orderId: 'o-1' }),
        couponReleased({ orderId: 'o-1' }),
        couponReserved({ orderId: 'o-2', customer: 'c-2' }),
        couponRedeemed({ orderId: 'o-2' }),
      );
      given(...events).thenDocument(SPRING, (doc) => {
        expect(use(doc)).to.deep.equal({ reserved: 0, redeemed: 1, released: 1, redemptionsLeft: 0 });
      });
    });
  });

  describe('on a hot coupon', () => {
    /** `n` orders reserve it; every third is declined, the others are paid. */
    const rush = (n: number) => {
      const log = eventLog();
      const events = [...log(couponDefined({ totalLimit: 500, perCustomerLimit: 1 }))];
      for (let i = 0; i < n; i++) {
        const orderId = `o-${i}`;
        events.push(...log(couponReserved({ orderId, customer: `c-${i}` })));
        events.push(
          ...log(i % 3 === 0 ? couponReleased({ orderId, reason: 'declined' }) : couponRedeemed({ orderId })),
        );
      }
      return events;
    };

    it('counts every use exactly when the events come in batches of any size', () => {
      const events = rush(600);
      const whole = foldBatches(couponsProjection, [events]).get(SPRING);
      for (const size of [1, 7, 100]) {
        const batches = [];
        for (let i = 0; i < events.length; i += size) batches.push(events.slice(i, i + size));
        expect(foldBatches(couponsProjection, batches).get(SPRING), `batches of ${size}`).to.deep.equal(whole);
      }
      expect(whole && use(whole)).to.deep.equal({ reserved: 0, redeemed: 400, released: 200, redemptionsLeft: 100 });
      expect(whole?.holding).to.deep.equal([]);
    });

    it('touches one document per batch, however many events of the coupon it holds', () => {
      const events = rush(300);
      const ids = new Set(events.flatMap((e) => couponsProjection.documentIds(e)));
      expect([...ids]).to.deep.equal([SPRING]);
    });
  });

  it('reads only coupon events: promotions and orders change no coupon document', () => {
    const log = eventLog();
    for (const e of log(promotionDefined(), orderPlaced())) {
      expect(couponsProjection.documentIds(e), e.event.type).to.deep.equal([]);
    }
    expect([...couponsProjection.eventTypes].sort()).to.deep.equal(
      ['CouponDefined', 'CouponRedeemed', 'CouponReleased', 'CouponReserved'].sort(),
    );
  });
});
