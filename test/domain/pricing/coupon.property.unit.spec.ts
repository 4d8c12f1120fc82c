import { expect } from 'chai';
import * as fc from 'fast-check';
import * as E from 'fp-ts/Either';
import {
  couponDecider,
  couponPerCustomerLimit,
  couponRedemptionsLeft,
  couponRefusalFor,
  couponTotalLimit,
  pricingErrorCategories,
  type CouponCommand,
  type CouponEvent,
  type CouponState,
} from '../../../domain/pricing';
import { couponCode, customerId, orderId, promotionId, reason, timestamp } from '../../../domain/shared';

const CODE = couponCode('FLASH-500');
const PROMO = promotionId('flash');
const at = timestamp('2026-03-01T00:00:00.000Z');
const orders = Array.from({ length: 12 }, (_, i) => orderId(`o-${i}`));
const customers = ['anna', 'ben', 'cleo', 'dan'].map((c) => customerId(c));

const commandArb: fc.Arbitrary<CouponCommand> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .record({ order: fc.constantFrom(...orders), customer: fc.constantFrom(...customers) })
      .map(({ order, customer }): CouponCommand => ({
        type: 'ReserveCoupon',
        code: CODE,
        orderId: order,
        customerId: customer,
        at,
      })),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(...orders).map((order): CouponCommand => ({
      type: 'ReleaseCoupon',
      code: CODE,
      orderId: order,
      reason: reason('cancelled'),
      at,
    })),
  },
  {
    weight: 3,
    arbitrary: fc
      .constantFrom(...orders)
      .map((order): CouponCommand => ({ type: 'RedeemCoupon', code: CODE, orderId: order, at })),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({ total: fc.integer({ min: 1, max: 6 }), perCustomer: fc.integer({ min: 1, max: 3 }) })
      .map(({ total, perCustomer }): CouponCommand => ({
        type: 'DefineCoupon',
        code: CODE,
        promotionId: PROMO,
        totalLimit: couponTotalLimit(total),
        perCustomerLimit: couponPerCustomerLimit(perCustomer),
        at,
      })),
  },
);

/** What each order holds, replayed from the log alone. */
const holdingsFromLog = (log: readonly CouponEvent[]): Map<string, { customer: string; status: string }> => {
  const held = new Map<string, { customer: string; status: string }>();
  for (const e of log) {
    if (e.type === 'CouponReserved') held.set(e.orderId, { customer: e.customerId, status: 'reserved' });
    const current = e.type === 'CouponDefined' ? undefined : held.get(e.orderId);
    if (e.type === 'CouponRedeemed' && current) held.set(e.orderId, { ...current, status: 'redeemed' });
    if (e.type === 'CouponReleased') held.delete(e.orderId);
  }
  return held;
};

const active = (state: CouponState) => {
  if (state.status !== 'Active') return expect.fail('the coupon was defined');
  return state;
};

describe('a coupon, over random sequences of reservations, releases, redemptions and limit changes', () => {
  it('never lets a reservation take a use beyond the total or the per-customer limit, and counts what the log says', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 3 }),
        fc.array(commandArb, { maxLength: 60 }),
        (total, perCustomer, commands) => {
          const first: CouponEvent = {
            type: 'CouponDefined',
            code: CODE,
            promotionId: PROMO,
            totalLimit: couponTotalLimit(total),
            perCustomerLimit: couponPerCustomerLimit(perCustomer),
            at,
          };
          let state = couponDecider.evolve(couponDecider.initialState, first);
          const log: CouponEvent[] = [first];
          for (const command of commands) {
            const before = active(state);
            const result = couponDecider.decide(command, state);
            if (E.isLeft(result)) {
              expect(pricingErrorCategories[result.left.code]).to.equal(result.left.category);
              continue;
            }
            for (const event of result.right) {
              if (event.type === 'CouponReserved') {
                // a reservation is accepted only when the quote helper says it would be
                expect(couponRefusalFor(before, event.customerId)).to.equal(undefined);
                expect(before.reserved + before.redeemed).to.be.below(before.totalLimit);
                expect(before.customers.get(event.customerId) ?? 0).to.be.below(before.perCustomerLimit);
              }
              state = couponDecider.evolve(state, event);
              log.push(event);
            }
            const now = active(state);
            const held = [...holdingsFromLog(log).values()];
            expect(now.reserved).to.equal(held.filter((h) => h.status === 'reserved').length);
            expect(now.redeemed).to.equal(held.filter((h) => h.status === 'redeemed').length);
            for (const customer of customers) {
              expect(now.customers.get(customer) ?? 0).to.equal(held.filter((h) => h.customer === customer).length);
            }
            expect(couponRedemptionsLeft(now)).to.equal(Math.max(0, now.totalLimit - now.reserved - now.redeemed));
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
