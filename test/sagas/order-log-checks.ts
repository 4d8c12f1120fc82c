import { expect } from 'chai';
import * as E from 'fp-ts/Either';
import { available, inventoryDecider, inventoryEvents, type InventoryState } from '../../domain/inventory';
import { openSqliteEventStore } from '../../infra/sqlite/sqlite-event-store';

export interface OneSkuOrders {
  /** orders of one unit each of `sku`, all accepted */
  readonly orderIds: readonly string[];
  readonly sku: string;
  /** stock restocked before the orders: exactly this many can be confirmed */
  readonly units: number;
}

/**
 * Reads the event store file after a crash test: every order ended (confirmed or cancelled out of stock), each
 * confirmed one authorized and captured once, each cancelled one never charged, each unit reserved once, no oversell.
 */
export const expectEachOrderOnce = async (eventsFile: string, o: OneSkuOrders): Promise<void> => {
  const store = openSqliteEventStore({ path: eventsFile });
  try {
    let confirmed = 0;
    let outOfStock = 0;
    for (const orderId of o.orderIds) {
      const types = (await store.readStream(`order-${orderId}`)).map((e) => e.type);
      const payment = (await store.readStream(`payment-${orderId}`)).map((e) => e.type);
      if (types.includes('OrderConfirmed.v1')) {
        confirmed += 1;
        expect(
          payment.filter((t) => t === 'PaymentAuthorized.v1'),
          orderId,
        ).to.have.length(1);
        expect(
          payment.filter((t) => t === 'PaymentCaptured.v1'),
          orderId,
        ).to.have.length(1);
      } else if (types.includes('OrderCancelled.v1')) {
        outOfStock += 1;
        expect(payment, orderId).to.deep.equal([]);
      }
    }
    expect({ confirmed, outOfStock }).to.deep.equal({
      confirmed: o.units,
      outOfStock: o.orderIds.length - o.units,
    });

    let state: InventoryState = inventoryDecider.initialState;
    const reservedFor = new Map<string, number>();
    for (const recorded of await store.readStream(`sku-${o.sku}`)) {
      const decoded = inventoryEvents.decode(recorded);
      if (E.isLeft(decoded)) throw new Error(decoded.left);
      state = inventoryDecider.evolve(state, decoded.right);
      expect(available(state)).to.be.at.least(0);
      if (decoded.right.type === 'StockReserved') {
        reservedFor.set(decoded.right.orderId, (reservedFor.get(decoded.right.orderId) ?? 0) + 1);
      }
    }
    expect([...reservedFor.values()].every((n) => n === 1)).to.equal(true);
    expect(reservedFor.size).to.equal(o.units);
    expect(available(state)).to.equal(0);
  } finally {
    await store.close();
  }
};
