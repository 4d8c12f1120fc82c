import { expect } from 'chai';
import * as E from 'fp-ts/Either';
import { inventoryDecider, inventoryEvents, type InventoryState } from '../../domain/inventory';
import { CommandHandler } from '../../commands/command-handler';
import { orderCentre } from '../../domain/centres';
import { orderEvents, paymentToken, type OrderEvent } from '../../domain/order';
import { couponDecider, couponEvents, type CouponState } from '../../domain/pricing';
import { currency, customerId, money, orderId, quantity, sku, timestamp } from '../../domain/shared';
import type { RecordedEvent } from '../../ports/event-store';
import { post, put } from '../api-spec';
import { defineSku, given, restock, startSagaApi, type SagaTestApi } from './runner-harness';

const since = '2026-01-01T00:00:00.000Z';
/** 20 % off everything, only through a coupon */
const couponPromotion = put('/v1/promotions/coupon-20', {
  name: '20 % off with a coupon',
  currency: 'EUR',
  validFrom: since,
  priority: 10,
  rule: { kind: 'PercentOff', basisPoints: 2000 },
  requiresCoupon: true,
});
/** a third off mugs: 2 mugs at 10.00 cost 13.33, paid 6.67 + 6.66 */
const thirdOffMugs = put('/v1/promotions/mugs-third', {
  name: 'A third off mugs',
  currency: 'EUR',
  validFrom: since,
  priority: 10,
  rule: { kind: 'PercentOff', basisPoints: 3333, skus: ['MUG-1'] },
});
const coupon = (code: string, totalLimit: number, perCustomerLimit = 1) =>
  put(`/v1/coupons/${code}`, { promotionId: 'coupon-20', totalLimit, perCustomerLimit });
const purchaseLimit = (sku: string, perCustomer: number | null) =>
  put(`/v1/skus/${sku}/purchase-limit`, { perCustomer });
const order = (orderId: string, customerId: string, lines: [string, number][], couponCode?: string) =>
  post('/v1/orders', {
    orderId,
    customerId,
    lines: lines.map(([sku, quantity]) => ({ sku, quantity })),
    payment: { token: 'tok_approve' },
    ...(couponCode === undefined ? {} : { couponCode }),
  });

/** Runs `task` for 0..count-1 with at most `limit` at once. */
const boundedAll = async <T>(count: number, limit: number, task: (i: number) => Promise<T>): Promise<T[]> => {
  const results: T[] = new Array<T>(count);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < count; i = next++) results[i] = await task(i);
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
  return results;
};

const decoded = <Ev>(
  registry: { decode: (e: RecordedEvent) => E.Either<string, Ev> },
  events: readonly RecordedEvent[],
): Ev[] =>
  events.map((recorded) => {
    const event = registry.decode(recorded);
    if (E.isLeft(event)) throw new Error(event.left);
    return event.right;
  });

/** How an order ended, from its own stream: Confirmed, Cancelled <reason>, or Placed. */
const outcomeOf = async (api: SagaTestApi, orderId: string): Promise<string> => {
  let outcome = 'Placed';
  for (const event of decoded<OrderEvent>(orderEvents, await api.stream(`order-${orderId}`))) {
    if (event.type === 'OrderConfirmed') outcome = 'Confirmed';
    if (event.type === 'OrderCancelled') outcome = `Cancelled ${event.reason}`;
  }
  return outcome;
};

const couponStates = async (api: SagaTestApi, code: string): Promise<CouponState[]> => {
  const states: CouponState[] = [];
  let state = couponDecider.initialState;
  for (const event of decoded(couponEvents, await api.stream(`coupon-${code}`))) {
    state = couponDecider.evolve(state, event);
    states.push(state);
  }
  return states;
};

const skuStates = async (api: SagaTestApi, sku: string): Promise<InventoryState[]> => {
  const states: InventoryState[] = [];
  let state = inventoryDecider.initialState;
  for (const event of decoded(inventoryEvents, await api.stream(`sku-${sku}`))) {
    state = inventoryDecider.evolve(state, event);
    states.push(state);
  }
  return states;
};

const liveUnits = (state: InventoryState | undefined, customerId: string): number =>
  state?.status === 'Active'
    ? ([...(state.purchaseLimit?.live ?? new Map<string, number>())].find(([c]) => c === customerId)?.[1] ?? 0)
    : 0;

const last = <T>(items: readonly T[]): T | undefined => items[items.length - 1];

describe('the saga runner with coupons and purchase limits', () => {
  let api: SagaTestApi;
  afterEach(async () => {
    await api.close();
  });

  describe('an order with a coupon', () => {
    beforeEach(async () => {
      api = await startSagaApi();
      await given(api, defineSku('MUG-1', 1000), restock('MUG-1', 10), couponPromotion, coupon('SPRING-20', 5));
    });

    it('reserves the coupon with the stock, and redeems it once paid: the customer pays the discounted total', async () => {
      await given(api, order('o-1', 'cust-1', [['MUG-1', 2]], 'SPRING-20'));
      const confirmed = await api.order('o-1');
      expect(confirmed).to.include({ status: 'Confirmed' });
      expect(confirmed.paid).to.deep.equal({ amount: 1600, currency: 'EUR' });
      expect((await api.stream('coupon-SPRING-20')).map((e) => e.type)).to.deep.equal([
        'CouponDefined.v1',
        'CouponReserved.v1',
        'CouponRedeemed.v1',
      ]);
      expect(last(await couponStates(api, 'SPRING-20'))).to.include({ reserved: 0, redeemed: 1 });
    });

    it('gives the coupon back and releases the stock when the customer cancels', async () => {
      await given(api, order('o-1', 'cust-1', [['MUG-1', 2]], 'SPRING-20'));
      expect(await api.order('o-1')).to.include({ status: 'Confirmed' });
      await given(api, post('/v1/orders/o-1/cancel', { reason: 'changed my mind' }));
      expect(await api.order('o-1')).to.include({ status: 'Cancelled' });
      expect(last(await api.stream('coupon-SPRING-20'))?.type).to.equal('CouponReleased.v1');
      expect(last(await couponStates(api, 'SPRING-20'))).to.include({ reserved: 0, redeemed: 0 });
      expect(await api.sku('MUG-1')).to.include({ onHand: 10, reserved: 0 });
    });
  });

  describe('a refund of a discounted line under a purchase limit', () => {
    it('returns the discounted unit price and frees the unit for the customer to buy again', async () => {
      api = await startSagaApi();
      await given(api, defineSku('MUG-1', 1000), restock('MUG-1', 10), thirdOffMugs, purchaseLimit('MUG-1', 2));
      await given(api, order('o-1', 'cust-1', [['MUG-1', 2]]));
      const placed = await api.order('o-1');
      expect(placed).to.include({ status: 'Confirmed' });
      expect(placed.paid).to.deep.equal({ amount: 1333, currency: 'EUR' });
      await given(api, post('/v1/orders/o-1/ship'));

      // at the limit: a third mug is refused
      expect((await api.request(order('o-2', 'cust-1', [['MUG-1', 1]]))).status).to.equal(422);

      await given(
        api,
        post('/v1/orders/o-1/refunds', { lines: [{ sku: 'MUG-1', quantity: 1 }], reason: 'chipped', restock: true }),
      );
      const refunded = await api.order('o-1');
      expect(refunded).to.include({ status: 'PartiallyRefunded' });
      expect(refunded.refunded).to.deep.equal({ amount: 667, currency: 'EUR' });
      expect(api.provider.ledger().filter((e) => e.kind === 'refunded')[0]?.amount.amount).to.equal(667);
      expect(await api.count('sku-MUG-1', 'PurchaseReturned')).to.equal(1);
      expect(liveUnits(last(await skuStates(api, 'MUG-1')), 'cust-1')).to.equal(1);

      await given(api, order('o-3', 'cust-1', [['MUG-1', 1]]));
      expect(await api.order('o-3')).to.include({ status: 'Confirmed' });
    });
  });

  describe('under concurrency', () => {
    const ORDERS = 1_000;
    const USES = 50;
    const IN_FLIGHT = 100;

    it(`redeems a coupon limited to ${USES} exactly ${USES} times among ${ORDERS} concurrent orders`, async () => {
      api = await startSagaApi();
      await given(api, defineSku('MUG-1', 1000), restock('MUG-1', 5_000), couponPromotion, coupon('FLASH', USES));
      const statuses = await boundedAll(ORDERS, IN_FLIGHT, async (i) => {
        const response = await api.request(order(`c-${i}`, `cust-${i}`, [['MUG-1', 1]], 'FLASH'));
        return response.status;
      });
      // accepted, or refused at once as the coupon was seen used up (the saga's reservation stays the guard)
      expect(statuses.filter((s) => s !== 202 && s !== 422)).to.deep.equal([]);
      await api.sagas.idle(90_000);

      const outcomes = new Map<string, number>();
      for (let i = 0; i < ORDERS; i++) {
        if (statuses[i] !== 202) continue;
        const outcome = await outcomeOf(api, `c-${i}`);
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      }
      const accepted = statuses.filter((s) => s === 202).length;
      expect(outcomes.get('Confirmed')).to.equal(USES);
      expect(outcomes.get('Cancelled coupon_unavailable') ?? 0).to.equal(accepted - USES);

      // the coupon never held more than its limit, after any event, and ends with every use redeemed
      const states = await couponStates(api, 'FLASH');
      for (const state of states) {
        if (state.status === 'Active') expect(state.reserved + state.redeemed).to.be.at.most(USES);
      }
      expect(last(states)).to.include({ reserved: 0, redeemed: USES });
      expect(await api.count('coupon-FLASH', 'CouponRedeemed')).to.equal(USES);
      // the stock of the cancelled orders went back
      expect(await api.sku('MUG-1')).to.include({ reserved: USES });
      console.log(`      coupon race: ${accepted} of ${ORDERS} accepted at the edge, ${USES} confirmed`);
    }).timeout(120_000);

    it('never lets one customer hold more than the purchase limit, however many orders race', async () => {
      const ATTEMPTS = 200;
      api = await startSagaApi();
      await given(api, defineSku('HOT-1', 1000), restock('HOT-1', 1_000), purchaseLimit('HOT-1', 2));
      const statuses = await boundedAll(ATTEMPTS, 50, async (i) => {
        const response = await api.request(order(`l-${i}`, 'cust-1', [['HOT-1', 1]]));
        return response.status;
      });
      expect(statuses.filter((s) => s !== 202 && s !== 422)).to.deep.equal([]);
      await api.sagas.idle(60_000);

      let confirmed = 0;
      for (let i = 0; i < ATTEMPTS; i++) {
        if (statuses[i] !== 202) continue;
        const outcome = await outcomeOf(api, `l-${i}`);
        if (outcome === 'Confirmed') confirmed += 1;
        else expect(outcome).to.equal('Cancelled purchase_limit_exceeded');
      }
      expect(confirmed).to.equal(2);
      const states = await skuStates(api, 'HOT-1');
      for (const state of states) expect(liveUnits(state, 'cust-1')).to.be.at.most(2);
      expect(liveUnits(last(states), 'cust-1')).to.equal(2);
      expect(await api.sku('HOT-1')).to.include({ reserved: 2 });
      const accepted = statuses.filter((s) => s === 202).length;
      console.log(`      purchase limit race: ${accepted} of ${ATTEMPTS} accepted at the edge, ${confirmed} confirmed`);
    }).timeout(90_000);

    it('keeps the limit when every order reaches the saga, past the edge that refuses what it sees at once', async () => {
      const ATTEMPTS = 200;
      api = await startSagaApi();
      await given(api, defineSku('HOT-1', 1000), restock('HOT-1', 1_000), purchaseLimit('HOT-1', 2));
      // a command handler of its own, as a second command API would be: the saga runner hears the store either way
      const handler = new CommandHandler({ store: api.store, clock: api.clock });
      await boundedAll(ATTEMPTS, 50, async (i) => {
        const placed = await handler.handle(
          orderCentre,
          {
            type: 'PlaceOrder',
            orderId: orderId(`d-${i}`),
            customerId: customerId('cust-1'),
            currency: currency('EUR'),
            lines: [{ sku: sku('HOT-1'), quantity: quantity(1), unitPrice: money(1000, currency('EUR')) }],
            paymentToken: paymentToken('tok_approve'),
            at: timestamp(api.clock.now().toISOString()),
          },
          { commandId: `place-d-${i}`, correlationId: `d-${i}`, causationId: `d-${i}` },
        );
        expect(E.isRight(placed)).to.equal(true);
      });
      await api.sagas.idle(60_000);

      const outcomes = new Map<string, number>();
      for (let i = 0; i < ATTEMPTS; i++) {
        const outcome = await outcomeOf(api, `d-${i}`);
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      }
      expect(Object.fromEntries(outcomes)).to.deep.equal({
        Confirmed: 2,
        'Cancelled purchase_limit_exceeded': ATTEMPTS - 2,
      });
      const states = await skuStates(api, 'HOT-1');
      for (const state of states) expect(liveUnits(state, 'cust-1')).to.be.at.most(2);
      expect(await api.count('sku-HOT-1', 'StockReserved')).to.equal(2);
    }).timeout(90_000);
  });
});
