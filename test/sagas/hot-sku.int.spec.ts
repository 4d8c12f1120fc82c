import { expect } from 'chai';
import * as E from 'fp-ts/Either';
import { available, inventoryDecider, inventoryEvents, type InventoryState } from '../../domain/inventory';
import { orderEvents } from '../../domain/order';
import { defineSku, given, placeOrder, restock, startSagaApi, type SagaTestApi } from './runner-harness';

const ORDERS = 2_000;
const UNITS = 100;
const IN_FLIGHT = 100;

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

describe('the saga runner on a hot SKU', () => {
  let api: SagaTestApi;
  before(async () => {
    api = await startSagaApi();
    await given(api, defineSku('HOT-1', 999), restock('HOT-1', UNITS));
  });
  after(async () => {
    await api.close();
  });

  it(`confirms exactly ${UNITS} of ${ORDERS} concurrent orders and cancels the rest as out_of_stock`, async () => {
    const started = Date.now();
    const statuses = await boundedAll(ORDERS, IN_FLIGHT, async (i) => {
      const response = await api.request(placeOrder(`hot-${i}`, [{ sku: 'HOT-1', quantity: 1 }]));
      return response.status;
    });
    expect(statuses.every((s) => s === 202)).to.equal(true);
    const accepted = Date.now();
    await api.sagas.idle(90_000);
    const settled = Date.now();

    const outcome = { confirmed: 0, cancelledOutOfStock: 0, other: [] as string[] };
    for (let i = 0; i < ORDERS; i++) {
      let status = 'Placed';
      let why = '';
      for (const recorded of await api.store.readStream(`order-hot-${i}`)) {
        const decoded = orderEvents.decode(recorded);
        if (E.isLeft(decoded)) throw new Error(decoded.left);
        if (decoded.right.type === 'OrderConfirmed') status = 'Confirmed';
        if (decoded.right.type === 'OrderCancelled') {
          status = 'Cancelled';
          why = decoded.right.reason;
        }
      }
      if (status === 'Confirmed') outcome.confirmed += 1;
      else if (status === 'Cancelled' && why === 'out_of_stock') outcome.cancelledOutOfStock += 1;
      else outcome.other.push(`hot-${i}: ${status} ${why}`);
    }
    expect(outcome.other.slice(0, 5)).to.deep.equal([]);
    expect(outcome.confirmed).to.equal(UNITS);
    expect(outcome.cancelledOutOfStock).to.equal(ORDERS - UNITS);

    // the SKU's own history: available never went below zero, after any event
    let state: InventoryState = inventoryDecider.initialState;
    let lowest = Number.POSITIVE_INFINITY;
    const history = await api.store.readStream('sku-HOT-1');
    for (const recorded of history) {
      const decoded = inventoryEvents.decode(recorded);
      if (E.isLeft(decoded)) throw new Error(decoded.left);
      state = inventoryDecider.evolve(state, decoded.right);
      lowest = Math.min(lowest, available(state));
    }
    expect(lowest).to.equal(0);
    expect(available(state)).to.equal(0);
    expect(history.filter((e) => e.type === 'StockReserved.v1')).to.have.length(UNITS);
    expect(await api.sku('HOT-1')).to.include({ onHand: UNITS, reserved: UNITS, available: 0 });

    // figures for the report, not assertions: speed targets belong in the benchmark
    console.log(
      `      hot SKU: ${ORDERS} orders accepted in ${accepted - started} ms, sagas settled ${settled - accepted} ms later`,
    );
  }).timeout(120_000);
});
