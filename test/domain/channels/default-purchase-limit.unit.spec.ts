import { expect } from 'chai';
import {
  inventoryDecider,
  purchaseLimit,
  purchaseLimitRefusal,
  type InventoryCommand,
  type InventoryEvent,
} from '../../../domain/inventory';
import {
  currency,
  customerId,
  fold,
  money,
  name,
  nonNegativeInt,
  orderId,
  quantity,
  reason,
  sku,
  timestamp,
} from '../../../domain/shared';
import { givenDecider } from '../../decider-spec';

const given = givenDecider(inventoryDecider);
const SKU = sku('TEE');
const ANN = customerId('ann');
const BOB = customerId('bob');
const at = timestamp('2026-01-01T00:00:00.000Z');
const expiresAt = timestamp('2026-01-01T00:30:00.000Z');
const TWO = purchaseLimit(2);

const defined: InventoryEvent = {
  type: 'SkuDefined',
  sku: SKU,
  name: name('Tee'),
  unitPrice: money(1000, currency('EUR')),
  at,
};
const restocked: InventoryEvent = {
  type: 'StockRestocked',
  sku: SKU,
  quantity: quantity(100),
  onHand: nonNegativeInt(100),
  at,
};
const reserve = (
  order: string,
  units: number,
  customer = ANN,
  defaultLimit: typeof TWO | null = TWO,
): InventoryCommand => ({
  type: 'ReserveStock',
  sku: SKU,
  orderId: orderId(order),
  quantity: quantity(units),
  expiresAt,
  customerId: customer,
  ...(defaultLimit === null ? {} : { defaultLimit }),
  at,
});
const reserved = (order: string, units: number, left: number, customer = ANN, counted = true): InventoryEvent => ({
  type: 'StockReserved',
  sku: SKU,
  orderId: orderId(order),
  quantity: quantity(units),
  expiresAt,
  available: nonNegativeInt(left),
  customerId: customer,
  ...(counted ? { defaultLimit: TWO } : {}),
  at,
});

describe("a channel's default purchase limit, applied by the SKU reservation", () => {
  it('counts a reservation made under the default and says so on the event', () => {
    given(defined, restocked)
      .when(reserve('o-1', 2))
      .then(reserved('o-1', 2, 98));
  });

  it("refuses the customer's next unit past the default, on the SKU's own stream", () => {
    given(defined, restocked, reserved('o-1', 2, 98))
      .when(reserve('o-2', 1))
      .thenFails('PurchaseLimitExceeded');
  });

  it('leaves other customers alone', () => {
    given(defined, restocked, reserved('o-1', 2, 98))
      .when(reserve('o-2', 2, BOB))
      .then(reserved('o-2', 2, 96, BOB));
  });

  it('does not count orders placed through channels without a default', () => {
    given(defined, restocked, reserved('o-1', 2, 98, ANN, false))
      .when(reserve('o-2', 2))
      .then(reserved('o-2', 2, 96));
  });

  it('gives the units back when the reservation is released', () => {
    const releasedO1: InventoryEvent = {
      type: 'ReservationReleased',
      sku: SKU,
      orderId: orderId('o-1'),
      quantity: quantity(2),
      reason: reason('payment declined'),
      at,
    };
    given(defined, restocked, reserved('o-1', 2, 98), releasedO1)
      .when(reserve('o-2', 2))
      .then(reserved('o-2', 2, 98));
  });

  it("gives way to the SKU's own limit, which counts apart", () => {
    const limitSet: InventoryEvent = { type: 'PurchaseLimitSet', sku: SKU, perCustomer: purchaseLimit(5), at };
    given(defined, restocked, reserved('o-1', 2, 98), limitSet)
      .when(reserve('o-2', 3))
      .then(reserved('o-2', 3, 95, ANN, false));
  });

  it('answers quotes the same way', () => {
    const state = fold(inventoryDecider, [defined, restocked, reserved('o-1', 2, 98)]);
    expect(purchaseLimitRefusal(state, ANN, 1, TWO)?.code).to.equal('PurchaseLimitExceeded');
    expect(purchaseLimitRefusal(state, ANN, 1)).to.equal(undefined);
  });
});
