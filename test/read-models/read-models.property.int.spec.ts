import { expect } from 'chai';
import * as fc from 'fast-check';
import { inventoryCentre, orderCentre, paymentCentre } from '../../domain/centres';
import { CommandHandler } from '../../commands/command-handler';
import { skuStreamId, type InventoryState } from '../../domain/inventory';
import { orderStreamId, type OrderState } from '../../domain/order';
import { paymentStreamId, type PaymentState } from '../../domain/payment';
import { orderId, sku } from '../../domain/shared';
import { get, post, type ApiRequest, type ApiResponse } from '../api-spec';
import { defineSku, placeOrder, restock, startSagaApi, type SagaTestApi } from '../sagas/runner-harness';

/**
 * Random lives of orders driven through the whole embedded engine (HTTP, command handlers, the fulfilment and
 * refund sagas, the projection workers), then every read model checked against the aggregates folded from the log.
 */

const SKUS_PER_RUN = 3;
const UNIT_PRICE = [1250, 2000, 500] as const;
const TOKENS = ['tok_approve', 'tok_approve', 'tok_approve', 'tok_decline', 'tok_refund_fail', 'tok_error'] as const;

type Action =
  | { readonly kind: 'cancel' }
  | { readonly kind: 'ship' }
  /** lets the sagas catch up; without it the next command races the saga (e.g. a cancel during confirmation) */
  | { readonly kind: 'settle' }
  | { readonly kind: 'refundLines'; readonly lines: readonly Line[]; readonly restock: boolean }
  | { readonly kind: 'refundAmount'; readonly amount: number }
  | { readonly kind: 'refundWhole' };

interface Line {
  readonly sku: number;
  readonly quantity: number;
}

interface OrderPlan {
  readonly token: (typeof TOKENS)[number];
  readonly lines: readonly Line[];
}

interface RunPlan {
  readonly stock: readonly number[];
  /** send the first commands while the sagas are still confirming the orders, rather than after */
  readonly race: boolean;
  readonly orders: readonly OrderPlan[];
  readonly steps: readonly { readonly order: number; readonly action: Action }[];
}

const lineArb = fc.record({ sku: fc.nat({ max: SKUS_PER_RUN - 1 }), quantity: fc.integer({ min: 1, max: 3 }) });
const linesArb = fc.uniqueArray(lineArb, { minLength: 1, maxLength: SKUS_PER_RUN, selector: (l) => l.sku });

const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { arbitrary: fc.constant({ kind: 'cancel' as const }), weight: 3 },
  { arbitrary: fc.constant({ kind: 'ship' as const }), weight: 2 },
  { arbitrary: fc.constant({ kind: 'settle' as const }), weight: 3 },
  {
    arbitrary: fc.record({ kind: fc.constant('refundLines' as const), lines: linesArb, restock: fc.boolean() }),
    weight: 2,
  },
  {
    arbitrary: fc.record({ kind: fc.constant('refundAmount' as const), amount: fc.integer({ min: 1, max: 3_000 }) }),
    weight: 1,
  },
  { arbitrary: fc.constant({ kind: 'refundWhole' as const }), weight: 1 },
);

const runArb: fc.Arbitrary<RunPlan> = fc
  .record({
    // mostly enough stock for every order, sometimes none (the saga then cancels for want of stock)
    stock: fc.array(
      fc.oneof({ arbitrary: fc.constant(0), weight: 1 }, { arbitrary: fc.integer({ min: 3, max: 12 }), weight: 6 }),
      { minLength: SKUS_PER_RUN, maxLength: SKUS_PER_RUN },
    ),
    race: fc.oneof({ arbitrary: fc.constant(false), weight: 3 }, { arbitrary: fc.constant(true), weight: 1 }),
    orders: fc.array(fc.record({ token: fc.constantFrom(...TOKENS), lines: linesArb }), {
      minLength: 1,
      maxLength: 3,
    }),
    steps: fc.array(fc.record({ order: fc.nat(), action: actionArb }), { maxLength: 8 }),
  })
  .map((plan) => ({
    ...plan,
    steps: plan.steps.map((s) => ({ ...s, order: s.order % plan.orders.length })),
  }));

/** The report that started this: a paid order cancelled; the saga pays the capture back. */
const cancelAfterPayment: RunPlan = {
  stock: [10, 10, 10],
  race: false,
  orders: [{ token: 'tok_approve', lines: [{ sku: 0, quantity: 2 }] }],
  steps: [{ order: 0, action: { kind: 'cancel' } }],
};

const amountOf = (value: unknown): number => (value as { amount: number } | null | undefined)?.amount ?? 0;

/** Money and status of a payment as its aggregate folds it from its stream. */
const paymentFacts = (state: PaymentState) => {
  switch (state.status) {
    case 'Captured':
    case 'PartiallyRefunded':
    case 'Refunded':
      return {
        status: state.status,
        authorized: state.authorized.amount,
        captured: state.captured.amount,
        refunded: state.refunded.amount,
        payouts: Object.values(state.refunds).filter((r) => r.status === 'refunded').length,
      };
    case 'Authorized':
      return { status: state.status, authorized: state.authorized.amount, captured: 0, refunded: 0, payouts: 0 };
    case 'None':
    case 'Pending':
    case 'Declined':
    case 'Voided':
      return { status: state.status, authorized: null, captured: 0, refunded: 0, payouts: 0 };
  }
};

/** What was paid for the order, as its aggregate knows it (a cancelled order remembers what it had been paid). */
const paidOf = (state: OrderState): number => {
  switch (state.status) {
    case 'None':
    case 'Placed':
      return 0;
    case 'AwaitingBalance':
      return state.deposit.amount;
    case 'Cancelled':
      return state.wasPaid.amount;
    case 'Confirmed':
    case 'PartiallyShipped':
    case 'Shipped':
    case 'PartiallyRefunded':
    case 'Refunded':
    case 'Delivered':
      return state.paid.amount;
  }
};

const wasConfirmed = (state: OrderState): boolean => paidOf(state) > 0;

const refundedUnits = (state: OrderState, line: string): number => {
  switch (state.status) {
    case 'None':
    case 'Placed':
    case 'AwaitingBalance':
    case 'Cancelled':
      return 0;
    case 'Confirmed':
    case 'PartiallyShipped':
    case 'Shipped':
    case 'PartiallyRefunded':
    case 'Refunded':
    case 'Delivered':
      return state.refundedQuantities.get(sku(line)) ?? 0;
  }
};

const levelsOf = (state: InventoryState) =>
  state.status === 'Active'
    ? { onHand: state.onHand, reserved: state.reserved, available: state.onHand - state.reserved }
    : { onHand: 0, reserved: 0, available: 0 };

describe('the read models after random lives of orders through the engine', function () {
  // a few seconds on a quiet machine; room for a busy one
  this.timeout(60_000);
  let api: SagaTestApi;
  let run = 0;
  /** every order placed so far: the sales totals cover the whole log */
  const placedOrders: string[] = [];

  before(async () => {
    api = await startSagaApi({ settings: { providerRetries: 1, providerBackoffMs: [1_000] } });
  });
  after(async () => {
    await api.close();
  });

  /** Sends a request; refusals (4xx) are part of the game, a server error never is. */
  const send = async (request: ApiRequest): Promise<ApiResponse> => {
    const response = await api.request(request);
    expect(response.status, `${request.method} ${request.path}: ${JSON.stringify(response.body)}`).to.be.below(500);
    return response;
  };

  /** Lets every saga finish: payment timeouts, provider retries and refund retries fall due and fire. */
  const finish = async (): Promise<void> => {
    for (let round = 0; round < 3; round++) {
      await api.settle();
      api.clock.advance(16 * 60_000);
      await api.sagas.tick();
    }
    await api.settle();
  };

  const execute = async (plan: RunPlan): Promise<{ orders: string[]; skus: string[] }> => {
    run += 1;
    const skus = Array.from({ length: SKUS_PER_RUN }, (_, i) => `R${run}-S${i}`);
    for (const [i, name] of skus.entries()) {
      await send(defineSku(name, UNIT_PRICE[i] ?? 100));
      const units = plan.stock[i] ?? 0;
      if (units > 0) await send(restock(name, units));
    }
    const orders = plan.orders.map((_, i) => `r${run}-o${i}`);
    const skuOf = (line: Line): string => skus[line.sku] ?? 'none';
    for (const [i, order] of plan.orders.entries()) {
      const id = orders[i] ?? 'none';
      await send(
        placeOrder(
          id,
          order.lines.map((l) => ({ sku: skuOf(l), quantity: l.quantity })),
          order.token,
        ),
      );
      placedOrders.push(id);
    }
    if (!plan.race) await api.settle();
    for (const { order, action } of plan.steps) {
      const id = orders[order] ?? 'none';
      switch (action.kind) {
        case 'settle':
          await api.settle();
          break;
        case 'cancel':
          await send(post(`/v1/orders/${id}/cancel`, { reason: 'changed my mind' }));
          break;
        case 'ship':
          await send(post(`/v1/orders/${id}/ship`));
          break;
        case 'refundLines':
          await send(
            post(`/v1/orders/${id}/refunds`, {
              lines: action.lines.map((l) => ({ sku: skuOf(l), quantity: l.quantity })),
              reason: 'returned',
              restock: action.restock,
            }),
          );
          break;
        case 'refundAmount':
          await send(
            post(`/v1/orders/${id}/refunds`, {
              amount: { amount: action.amount, currency: 'EUR' },
              reason: 'goodwill',
            }),
          );
          break;
        case 'refundWhole':
          await send(post(`/v1/orders/${id}/refunds`, { reason: 'everything back' }));
          break;
      }
    }
    await finish();
    return { orders, skus };
  };

  const read = (path: string) => api.read(path);

  const checkOrder = async (handler: CommandHandler, id: string): Promise<void> => {
    const order = (await handler.load(orderCentre, orderStreamId(orderId(id)))).state;
    const payment = paymentFacts((await handler.load(paymentCentre, paymentStreamId(orderId(id)))).state);
    const doc = await read(`/v1/orders/${id}`);
    const where = `order ${id}: ${JSON.stringify(doc)}`;
    expect(doc.status, where).to.equal(order.status);
    expect(amountOf(doc.paid), where).to.equal(paidOf(order));
    // every payout of the order's money shows on the order, whichever saga made it
    expect(amountOf(doc.refunded), where).to.equal(payment.refunded);
    const completed = (doc.refunds as { status: string; amount: { amount: number } }[])
      .filter((r) => r.status === 'Completed')
      .reduce((sum, r) => sum + r.amount.amount, 0);
    expect(completed, where).to.equal(payment.refunded);
    for (const line of doc.lines as { sku: string; refundedQuantity: number }[]) {
      expect(line.refundedQuantity, `${where} line ${line.sku}`).to.equal(refundedUnits(order, line.sku));
    }
    const summary = doc.payment as Record<string, unknown> | null;
    if (payment.status === 'None') {
      expect(summary, where).to.equal(null);
      const missing = await api.request(get(`/v1/payments/${id}`));
      expect(missing.status, where).to.equal(404);
      return;
    }
    const paymentDoc = await read(`/v1/payments/${id}`);
    for (const [name, view] of [
      ['order', summary],
      ['payments', paymentDoc],
    ] as const) {
      const at = `${name} read model of the payment of ${id}: ${JSON.stringify(view)}`;
      expect(view?.status, at).to.equal(payment.status);
      expect(amountOf(view?.captured), at).to.equal(payment.captured);
      expect(amountOf(view?.refunded), at).to.equal(payment.refunded);
      if (payment.authorized !== null) expect(amountOf(view?.authorized), at).to.equal(payment.authorized);
    }
    const paidOut = (paymentDoc.refunds as { status: string }[]).filter((r) => r.status === 'Refunded').length;
    expect(paidOut, `payments read model of ${id}`).to.equal(payment.payouts);
  };

  const checkSku = async (handler: CommandHandler, name: string): Promise<void> => {
    const levels = levelsOf((await handler.load(inventoryCentre, skuStreamId(sku(name)))).state);
    const doc = await read(`/v1/skus/${name}`);
    expect(doc, `sku ${name}`).to.include(levels);
  };

  /** The sales buckets summed over the whole log against every order's aggregates. */
  const checkSales = async (handler: CommandHandler): Promise<void> => {
    const expected = { revenue: 0, refunds: 0, refundCount: 0, placed: 0, confirmed: 0, cancelled: 0 };
    for (const id of placedOrders) {
      const order = (await handler.load(orderCentre, orderStreamId(orderId(id)))).state;
      const payment = paymentFacts((await handler.load(paymentCentre, paymentStreamId(orderId(id)))).state);
      expected.revenue += payment.captured;
      expected.refunds += payment.refunded;
      expected.refundCount += payment.payouts;
      if (order.status !== 'None') expected.placed += 1;
      if (wasConfirmed(order)) expected.confirmed += 1;
      if (order.status === 'Cancelled') expected.cancelled += 1;
    }
    const sales = await read(
      '/v1/stats/sales?from=2026-03-01T00:00:00.000Z&to=2026-03-08T00:00:00.000Z&granularity=day',
    );
    const buckets = sales.buckets as {
      revenue: Record<string, number>;
      refunds: Record<string, number>;
      refundCount: number;
      ordersPlaced: number;
      ordersConfirmed: number;
      ordersCancelled: number;
    }[];
    const sum = (pick: (b: (typeof buckets)[number]) => number): number => buckets.reduce((s, b) => s + pick(b), 0);
    const actual = {
      revenue: sum((b) => b.revenue.EUR ?? 0),
      refunds: sum((b) => b.refunds.EUR ?? 0),
      refundCount: sum((b) => b.refundCount),
      placed: sum((b) => b.ordersPlaced),
      confirmed: sum((b) => b.ordersConfirmed),
      cancelled: sum((b) => b.ordersCancelled),
    };
    expect(actual, 'sales summed over the log').to.deep.equal(expected);
    // net revenue: what was captured minus what went back
    expect(actual.revenue - actual.refunds).to.equal(expected.revenue - expected.refunds);
  };

  it('agree with the aggregates folded from the log after any mix of cancel, refund and ship', async () => {
    await fc.assert(
      fc.asyncProperty(runArb, async (plan) => {
        const { orders, skus } = await execute(plan);
        // a fresh handler: no cache, every stream folded from the store
        const handler = new CommandHandler({ store: api.store, clock: api.clock });
        for (const id of orders) await checkOrder(handler, id);
        for (const name of skus) await checkSku(handler, name);
        await checkSales(handler);
      }),
      // each run keeps its own orders and SKUs in one engine, so runs (and shrinking) stay independent
      { numRuns: 25, endOnFailure: true, examples: [[cancelAfterPayment]] },
    );
  });
});
