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

export type TradeTypeName = 'standard' | 'cod' | 'presale';

export interface TradeOrder {
  readonly orderId: string;
  readonly channel: string;
  readonly tradeType: TradeTypeName;
}

export interface MixedTradeOrders {
  /** orders of one unit each of `sku`, all accepted, through their channel with their trade type */
  readonly orders: readonly TradeOrder[];
  readonly sku: string;
  /** stock restocked before the orders, fewer than the orders: exactly this many can be held */
  readonly units: number;
  /** every order's total (one unit at the SKU's price) */
  readonly total: number;
  /** the pre-sale deposit: total × the channel's basis points, half-even */
  readonly deposit: number;
}

type Raw = { readonly type: string; readonly data: unknown };
const fieldOf = (event: Raw, name: string): unknown =>
  typeof event.data === 'object' && event.data !== null ? (event.data as Record<string, unknown>)[name] : undefined;
const amountOf = (event: Raw, name = 'amount'): unknown => {
  const money = fieldOf(event, name);
  return typeof money === 'object' && money !== null ? (money as Record<string, unknown>).amount : undefined;
};
const ofType = (events: readonly Raw[], type: string): Raw[] => events.filter((e) => e.type === `${type}.v1`);

/**
 * Reads the event store file after a crash test with channels and trade types, per order: placed once through its
 * channel with its trade type, then either cancelled out of stock and never charged nor holding stock, or finished
 * as its trade type finishes — a standard order confirmed with its card authorized and captured once; a cash-on-delivery
 * order confirmed unpaid, delivered once and its cash collected once for the total, its reservation committed; a
 * pre-sale with its deposit and its balance each authorized and captured once, adding up to the total. On the SKU:
 * each held order reserved once, nothing released or expired, available never below zero, exactly `units` held.
 */
export const expectEachTradeOnce = async (eventsFile: string, o: MixedTradeOrders): Promise<void> => {
  const store = openSqliteEventStore({ path: eventsFile });
  try {
    const held = new Set<string>();
    const delivered = new Set<string>();
    const outcomes: Record<string, number> = {};
    for (const { orderId, channel, tradeType } of o.orders) {
      const order = await store.readStream(`order-${orderId}`);
      const payment = await store.readStream(`payment-${orderId}`);
      const placed = ofType(order, 'OrderPlaced');
      expect(placed, `${orderId} placed once`).to.have.length(1);
      const [first] = placed;
      if (first === undefined) continue;
      expect({ channel: fieldOf(first, 'channel'), tradeType: fieldOf(first, 'tradeType') }, orderId).to.deep.equal({
        channel,
        tradeType,
      });
      expect(amountOf(first, 'total'), orderId).to.equal(o.total);
      const count = (events: readonly Raw[], type: string, part?: string) =>
        ofType(events, type).filter((e) => fieldOf(e, 'part') === part).length;
      const cancelled = ofType(order, 'OrderCancelled');
      if (cancelled.length > 0) {
        outcomes[`${tradeType} cancelled`] = (outcomes[`${tradeType} cancelled`] ?? 0) + 1;
        expect(
          cancelled.map((e) => fieldOf(e, 'reason')),
          orderId,
        ).to.deep.equal(['out_of_stock']);
        expect(ofType(order, 'OrderConfirmed'), orderId).to.deep.equal([]);
        expect(
          payment.map((e) => e.type),
          `${orderId} is never charged`,
        ).to.deep.equal([]);
        continue;
      }
      outcomes[`${tradeType} done`] = (outcomes[`${tradeType} done`] ?? 0) + 1;
      held.add(orderId);
      expect(ofType(order, 'OrderConfirmed'), `${orderId} confirmed once`).to.have.length(1);
      const charges = {
        authorized: count(payment, 'PaymentAuthorized'),
        captured: count(payment, 'PaymentCaptured'),
        depositAuthorized: count(payment, 'PaymentAuthorized', 'deposit'),
        depositCaptured: count(payment, 'PaymentCaptured', 'deposit'),
        balanceAuthorized: count(payment, 'PaymentAuthorized', 'balance'),
        balanceCaptured: count(payment, 'PaymentCaptured', 'balance'),
        cash: ofType(payment, 'CashCollected').length,
        voided: ofType(payment, 'PaymentVoided').length,
        refunded: ofType(payment, 'PaymentRefunded').length,
      };
      const none = { ...charges, ...Object.fromEntries(Object.keys(charges).map((k) => [k, 0])) };
      const capturedTotal = [...ofType(payment, 'PaymentCaptured'), ...ofType(payment, 'CashCollected')]
        .map((e) => Number(amountOf(e)))
        .reduce((a, b) => a + b, 0);
      expect(capturedTotal, `${orderId}: what was taken is the total, once`).to.equal(o.total);
      switch (tradeType) {
        case 'standard':
          expect(charges, orderId).to.deep.equal({ ...none, authorized: 1, captured: 1 });
          break;
        case 'cod':
          expect(charges, orderId).to.deep.equal({ ...none, cash: 1 });
          expect(
            ofType(order, 'OrderDelivered').map((e) => amountOf(e, 'collected')),
            orderId,
          ).to.deep.equal([o.total]);
          delivered.add(orderId);
          break;
        case 'presale': {
          expect(charges, orderId).to.deep.equal({
            ...none,
            depositAuthorized: 1,
            depositCaptured: 1,
            balanceAuthorized: 1,
            balanceCaptured: 1,
          });
          const depositCapture = ofType(payment, 'PaymentCaptured').find((e) => fieldOf(e, 'part') === 'deposit');
          expect(depositCapture && amountOf(depositCapture), orderId).to.equal(o.deposit);
          expect(
            ofType(order, 'DepositPaid').map((e) => amountOf(e)),
            orderId,
          ).to.deep.equal([o.deposit]);
          break;
        }
        default: {
          const unknown: never = tradeType;
          throw new Error(`unknown trade type ${String(unknown)}`);
        }
      }
    }
    expect(held.size, JSON.stringify(outcomes)).to.equal(o.units);

    // the SKU's own history, folded by hand: a reservation per held order, committed only for a delivered one
    let onHand = 0;
    let reserved = 0;
    const reservations = new Map<string, number>();
    const committed = new Map<string, number>();
    for (const event of await store.readStream(`sku-${o.sku}`)) {
      const orderId = String(fieldOf(event, 'orderId'));
      const quantity = Number(fieldOf(event, 'quantity'));
      switch (event.type) {
        case 'StockRestocked.v1':
          onHand += quantity;
          break;
        case 'StockReserved.v1':
          reserved += quantity;
          reservations.set(orderId, (reservations.get(orderId) ?? 0) + 1);
          break;
        case 'ReservationCommitted.v1':
          onHand -= quantity;
          reserved -= quantity;
          committed.set(orderId, (committed.get(orderId) ?? 0) + 1);
          break;
        case 'ReservationReleased.v1':
        case 'ReservationExpired.v1':
          expect.fail(`${event.type} for ${orderId}: no order here lets its stock go`);
          break;
        default:
          break;
      }
      expect(onHand - reserved, `available after ${event.type} of ${orderId}`).to.be.at.least(0);
    }
    expect([...reservations.keys()].sort()).to.deep.equal([...held].sort());
    expect([...reservations.values()].every((n) => n === 1)).to.equal(true);
    expect([...committed.keys()].sort()).to.deep.equal([...delivered].sort());
    expect([...committed.values()].every((n) => n === 1)).to.equal(true);
    expect({ onHand, reserved }).to.deep.equal({
      onHand: o.units - delivered.size,
      reserved: o.units - delivered.size,
    });
  } finally {
    await store.close();
  }
};
