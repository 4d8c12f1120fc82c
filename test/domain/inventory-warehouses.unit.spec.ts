import { expect } from 'chai';
import * as E from 'fp-ts/Either';
import {
  allocate,
  available,
  InventoryCommand,
  inventoryDecider,
  inventoryEvents,
  levelIn,
  purchaseLimit,
  stockDelta,
  type InventoryEvent,
  type InventoryState,
  type ReserveStock,
  type WarehouseLevel,
} from '../../domain/inventory';
import {
  currency,
  customerId,
  describeErrors,
  fold,
  mainWarehouse,
  money,
  name,
  nonNegativeInt,
  orderId,
  quantity,
  reason,
  sku,
  timestamp,
  warehouseId,
  WarehouseId,
  type Timestamp,
} from '../../domain/shared';
import { givenDecider } from '../decider-spec';

const given = givenDecider(inventoryDecider);

const SKU = sku('MUG-1');
const ORDER = orderId('order-1');
const ORDER_2 = orderId('order-2');
const MAIN = mainWarehouse;
const EAST = warehouseId('east');
const WEST = warehouseId('west');
const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const at = (minutes: number): Timestamp => timestamp(new Date(T0 + minutes * 60_000).toISOString());

const defined: InventoryEvent = {
  type: 'SkuDefined',
  sku: SKU,
  name: name('Mug'),
  unitPrice: money(900, currency('EUR')),
  at: at(0),
};

/** the event a restock of `units` into `warehouse` records, `onHand` being the SKU's level after it */
const restocked = (warehouse: WarehouseId, units: number, onHand: number): InventoryEvent => ({
  type: 'StockRestocked',
  sku: SKU,
  quantity: quantity(units),
  onHand: nonNegativeInt(onHand),
  ...(warehouse === MAIN ? {} : { warehouse }),
  at: at(1),
});

/** `main` 2, `east` 3, `west` 3 units */
const spread: InventoryEvent[] = [defined, restocked(MAIN, 2, 2), restocked(EAST, 3, 5), restocked(WEST, 3, 8)];

const reserve = (units: number, order = ORDER): ReserveStock => ({
  type: 'ReserveStock',
  sku: SKU,
  orderId: order,
  quantity: quantity(units),
  expiresAt: at(30),
  at: at(2),
});

const part = (warehouse: WarehouseId, units: number) => ({ warehouse, quantity: quantity(units) });

/** order-1 holds 4: 3 in east, 1 in west (main 2 is too small, then east before west by id) */
const splitReserved: InventoryEvent = {
  type: 'StockReserved',
  sku: SKU,
  orderId: ORDER,
  quantity: quantity(4),
  expiresAt: at(30),
  available: nonNegativeInt(4),
  allocation: [part(EAST, 3), part(WEST, 1)],
  at: at(2),
};

const commit = (warehouse?: WarehouseId, minute = 4): InventoryCommand => ({
  type: 'CommitReservation',
  sku: SKU,
  orderId: ORDER,
  ...(warehouse === undefined ? {} : { warehouse }),
  at: at(minute),
});

const eastCommitted: InventoryEvent = {
  type: 'ReservationCommitted',
  sku: SKU,
  orderId: ORDER,
  quantity: quantity(3),
  onHand: nonNegativeInt(5),
  allocation: [part(EAST, 3)],
  at: at(4),
};

const activeState = (state: InventoryState) => {
  if (state.status !== 'Active') return expect.fail(`expected an active SKU, got ${state.status}`);
  return state;
};

const levels = (state: InventoryState): Record<string, WarehouseLevel> =>
  Object.fromEntries(activeState(state).warehouses);

const level = (onHand: number, reserved: number): WarehouseLevel => ({ onHand, reserved });

describe('stock per warehouse', () => {
  describe('restocking', () => {
    it('adds the units to the named warehouse and reports the SKU level over all warehouses', () => {
      given(defined, restocked(MAIN, 2, 2))
        .when({ type: 'RestockSku', sku: SKU, quantity: quantity(3), warehouse: EAST, at: at(1) })
        .thenState((state, events) => {
          expect(events).to.deep.equal([restocked(EAST, 3, 5)]);
          expect(levels(state)).to.deep.equal({ main: level(2, 0), east: level(3, 0) });
          expect(activeState(state).onHand).to.equal(5);
        });
    });

    it('restocks main when no warehouse is named, recording none as before warehouses', () => {
      given(defined)
        .when({ type: 'RestockSku', sku: SKU, quantity: quantity(2), at: at(1) })
        .thenState((state, events) => {
          expect(events).to.deep.equal([restocked(MAIN, 2, 2)]);
          expect(levels(state)).to.deep.equal({ main: level(2, 0) });
        });
    });

    it('records main named explicitly the same way as main by default', () => {
      given(defined)
        .when({ type: 'RestockSku', sku: SKU, quantity: quantity(2), warehouse: MAIN, at: at(1) })
        .then(restocked(MAIN, 2, 2));
    });

    it('puts goods returned by an order back into the warehouse it names', () => {
      given(...spread)
        .when({
          type: 'RestockSku',
          sku: SKU,
          quantity: quantity(1),
          orderId: ORDER,
          reason: reason('returned'),
          warehouse: EAST,
          at: at(9),
        })
        .thenState((state, events) => {
          expect(events).to.deep.equal([
            {
              type: 'StockRestocked',
              sku: SKU,
              quantity: quantity(1),
              onHand: nonNegativeInt(9),
              reason: reason('returned'),
              orderId: ORDER,
              warehouse: EAST,
              at: at(9),
            },
          ]);
          expect(levelIn(activeState(state), EAST)).to.deep.equal(level(4, 0));
        });
    });

    it('puts returned goods into main when the restock names no warehouse', () => {
      given(...spread)
        .when({ type: 'RestockSku', sku: SKU, quantity: quantity(1), orderId: ORDER, at: at(9) })
        .thenState((state) => {
          expect(levelIn(activeState(state), MAIN)).to.deep.equal(level(3, 0));
          expect(levelIn(activeState(state), EAST)).to.deep.equal(level(3, 0));
        });
    });

    it('reads stock events that name no warehouse (written before warehouses) as main', () => {
      const history: InventoryEvent[] = [
        defined,
        restocked(MAIN, 5, 5),
        {
          type: 'StockAdjusted',
          sku: SKU,
          delta: stockDelta(-1),
          onHand: nonNegativeInt(4),
          reason: reason('x'),
          at: at(2),
        },
        {
          type: 'StockReserved',
          sku: SKU,
          orderId: ORDER,
          quantity: quantity(3),
          expiresAt: at(30),
          available: nonNegativeInt(1),
          at: at(3),
        },
      ];
      const state = fold(inventoryDecider, history);
      expect(levels(state)).to.deep.equal({ main: level(4, 3) });
    });
  });

  describe('adjusting', () => {
    it('corrects the named warehouse and records it', () => {
      given(...spread)
        .when({
          type: 'AdjustStock',
          sku: SKU,
          delta: stockDelta(-2),
          reason: reason('damaged'),
          warehouse: WEST,
          at: at(5),
        })
        .thenState((state, events) => {
          expect(events).to.deep.equal([
            {
              type: 'StockAdjusted',
              sku: SKU,
              delta: stockDelta(-2),
              onHand: nonNegativeInt(6),
              reason: reason('damaged'),
              warehouse: WEST,
              at: at(5),
            },
          ]);
          expect(levels(state)).to.deep.equal({ main: level(2, 0), east: level(3, 0), west: level(1, 0) });
        });
    });

    it('refuses to take a warehouse below its own reserved units, whatever the other warehouses hold', () => {
      const error = given(...spread, splitReserved)
        .when({
          type: 'AdjustStock',
          sku: SKU,
          delta: stockDelta(-1),
          reason: reason('count'),
          warehouse: EAST,
          at: at(5),
        })
        .thenFails('AdjustmentBelowReserved');
      expect(error.details).to.deep.equal({ delta: -1, onHand: 3, reserved: 3, warehouse: 'east' });
    });

    it('refuses to take a warehouse below zero even though the SKU holds more elsewhere', () => {
      given(...spread)
        .when({ type: 'AdjustStock', sku: SKU, delta: stockDelta(-3), reason: reason('count'), at: at(5) })
        .thenFails('AdjustmentBelowReserved');
    });

    it("allows taking units another warehouse's reservation does not hold", () => {
      given(...spread, splitReserved)
        .when({
          type: 'AdjustStock',
          sku: SKU,
          delta: stockDelta(-2),
          reason: reason('count'),
          warehouse: WEST,
          at: at(5),
        })
        .thenState((state) => {
          expect(levelIn(activeState(state), WEST)).to.deep.equal(level(1, 1));
          expect(available(state)).to.equal(2);
        });
    });

    it('adjusts a warehouse it never saw upwards, creating its level', () => {
      given(defined)
        .when({
          type: 'AdjustStock',
          sku: SKU,
          delta: stockDelta(4),
          reason: reason('found'),
          warehouse: EAST,
          at: at(5),
        })
        .thenState((state) => expect(levels(state)).to.deep.equal({ east: level(4, 0) }));
    });
  });

  describe('reserving: where the units come from', () => {
    it('takes a whole line from main when main can serve it, recording no allocation', () => {
      given(defined, restocked(MAIN, 4, 4), restocked(EAST, 9, 13))
        .when(reserve(4))
        .thenState((state, events) => {
          expect(events).to.deep.equal([
            {
              type: 'StockReserved',
              sku: SKU,
              orderId: ORDER,
              quantity: quantity(4),
              expiresAt: at(30),
              available: nonNegativeInt(9),
              at: at(2),
            },
          ]);
          expect(levels(state)).to.deep.equal({ main: level(4, 4), east: level(9, 0) });
        });
    });

    it('takes a whole line from the one other warehouse with most available when main cannot serve it', () => {
      given(defined, restocked(MAIN, 1, 1), restocked(EAST, 3, 4), restocked(WEST, 5, 9))
        .when(reserve(3))
        .thenState((state, events) => {
          expect(events[0]).to.include({ type: 'StockReserved', quantity: 3, available: 6 });
          expect(events[0]).to.have.deep.property('allocation', [part(WEST, 3)]);
          expect(levels(state)).to.deep.equal({ main: level(1, 0), east: level(3, 0), west: level(5, 3) });
        });
    });

    it('breaks a tie between warehouses by id', () => {
      given(defined, restocked(WEST, 3, 3), restocked(EAST, 3, 6))
        .when(reserve(2))
        .thenState((_, events) => {
          expect(events[0]).to.have.deep.property('allocation', [part(EAST, 2)]);
        });
    });

    it('keeps a line whole rather than splitting it, even when main holds some of it', () => {
      given(defined, restocked(MAIN, 2, 2), restocked(EAST, 4, 6))
        .when(reserve(3))
        .thenState((_, events) => {
          expect(events[0]).to.have.deep.property('allocation', [part(EAST, 3)]);
        });
    });

    it('splits a line no warehouse can serve alone, most available first, ties by id', () => {
      given(...spread)
        .when(reserve(7))
        .thenState((state, events) => {
          expect(events[0]).to.have.deep.property('allocation', [part(EAST, 3), part(WEST, 3), part(MAIN, 1)]);
          expect(events[0]).to.include({ quantity: 7, available: 1 });
          expect(levels(state)).to.deep.equal({ main: level(2, 1), east: level(3, 3), west: level(3, 3) });
          expect(activeState(state).reserved).to.equal(7);
        });
    });

    it('records the split that leaves main out when the others suffice', () => {
      given(...spread)
        .when(reserve(4))
        .then(splitReserved);
    });

    it('allocates only what each warehouse still has available', () => {
      given(...spread, splitReserved)
        .when(reserve(3, ORDER_2))
        .thenState((state, events) => {
          // east is fully held by order-1; main 2 and west 2 are left
          expect(events[0]).to.have.deep.property('allocation', [part(MAIN, 2), part(WEST, 1)]);
          expect(available(state)).to.equal(1);
        });
    });

    it('refuses a line all warehouses together cannot serve, holding nothing anywhere', () => {
      const error = given(...spread)
        .when(reserve(9))
        .thenFails('InsufficientStock');
      expect(error.details).to.deep.equal({ requested: 9, available: 8 });
    });

    it('treats a redelivered reservation as done, wherever its units are', () => {
      given(...spread, splitReserved)
        .when(reserve(4))
        .then();
    });

    it("counts the whole line against the customer's purchase limit, however it is split", () => {
      const anna = customerId('anna');
      given(
        ...spread,
        { type: 'PurchaseLimitSet', sku: SKU, perCustomer: purchaseLimit(5), at: at(1) },
        {
          ...splitReserved,
          customerId: anna,
        },
      )
        .when({ ...reserve(2, ORDER_2), customerId: anna })
        .thenFails('PurchaseLimitExceeded');
    });
  });

  describe('releasing and expiring', () => {
    it('frees every part of a released reservation and records where they were', () => {
      given(...spread, splitReserved)
        .when({ type: 'ReleaseReservation', sku: SKU, orderId: ORDER, reason: reason('cancelled'), at: at(3) })
        .thenState((state, events) => {
          expect(events).to.deep.equal([
            {
              type: 'ReservationReleased',
              sku: SKU,
              orderId: ORDER,
              quantity: quantity(4),
              reason: reason('cancelled'),
              allocation: [part(EAST, 3), part(WEST, 1)],
              at: at(3),
            },
          ]);
          expect(levels(state)).to.deep.equal({ main: level(2, 0), east: level(3, 0), west: level(3, 0) });
        });
    });

    it('frees every part of an expired reservation', () => {
      given(...spread, splitReserved)
        .when({ type: 'ExpireReservation', sku: SKU, orderId: ORDER, now: at(30) })
        .thenState((state, events) => {
          expect(events[0]).to.have.deep.property('allocation', [part(EAST, 3), part(WEST, 1)]);
          expect(levels(state)).to.deep.equal({ main: level(2, 0), east: level(3, 0), west: level(3, 0) });
          expect(available(state)).to.equal(8);
        });
    });
  });

  describe('committing (shipping)', () => {
    it('commits every part when no warehouse is named (one shipment: as before)', () => {
      given(...spread, splitReserved)
        .when(commit())
        .thenState((state, events) => {
          expect(events).to.deep.equal([
            {
              type: 'ReservationCommitted',
              sku: SKU,
              orderId: ORDER,
              quantity: quantity(4),
              onHand: nonNegativeInt(4),
              allocation: [part(EAST, 3), part(WEST, 1)],
              at: at(4),
            },
          ]);
          const active = activeState(state);
          expect(levels(state)).to.deep.equal({ main: level(2, 0), east: level(0, 0), west: level(2, 0) });
          expect(active.closed.get(ORDER)).to.equal('committed');
          expect(active.open.has(ORDER)).to.be.false;
        });
    });

    it("commits only the named warehouse's part and keeps the rest reserved", () => {
      given(...spread, splitReserved)
        .when(commit(EAST))
        .thenState((state, events) => {
          expect(events).to.deep.equal([eastCommitted]);
          const active = activeState(state);
          expect(levels(state)).to.deep.equal({ main: level(2, 0), east: level(0, 0), west: level(3, 1) });
          expect([active.onHand, active.reserved, available(active)]).to.deep.equal([5, 1, 4]);
          expect(active.open.get(ORDER)?.committed).to.deep.equal([EAST]);
        });
    });

    it('closes the reservation as committed once its last part ships', () => {
      given(...spread, splitReserved, eastCommitted)
        .when(commit(WEST, 6))
        .thenState((state, events) => {
          expect(events).to.deep.equal([
            {
              type: 'ReservationCommitted',
              sku: SKU,
              orderId: ORDER,
              quantity: quantity(1),
              onHand: nonNegativeInt(4),
              allocation: [part(WEST, 1)],
              at: at(6),
            },
          ]);
          const active = activeState(state);
          expect(active.closed.get(ORDER)).to.equal('committed');
          expect([active.onHand, active.reserved]).to.deep.equal([4, 0]);
        });
    });

    it('commits what is left when no warehouse is named after one part shipped', () => {
      given(...spread, splitReserved, eastCommitted)
        .when(commit())
        .thenState((_, events) => {
          expect(events[0]).to.include({ quantity: 1, onHand: 4 });
          expect(events[0]).to.have.deep.property('allocation', [part(WEST, 1)]);
        });
    });

    it('records no allocation when the part committed is in main', () => {
      given(...spread, { ...splitReserved, allocation: [part(MAIN, 2), part(EAST, 2)] })
        .when(commit(MAIN))
        .then({
          type: 'ReservationCommitted',
          sku: SKU,
          orderId: ORDER,
          quantity: quantity(2),
          onHand: nonNegativeInt(6),
          at: at(4),
        });
    });

    it("treats a redelivered commit of a warehouse's part as done", () => {
      given(...spread, splitReserved, eastCommitted)
        .when(commit(EAST, 7))
        .then();
    });

    it('treats any commit after the whole reservation shipped as done', () => {
      given(...spread, splitReserved, {
        ...eastCommitted,
        quantity: quantity(4),
        onHand: nonNegativeInt(4),
        allocation: [part(EAST, 3), part(WEST, 1)],
      })
        .when(commit(WEST))
        .then();
    });

    it('refuses to commit a warehouse the reservation holds nothing in', () => {
      const error = given(...spread, splitReserved)
        .when(commit(MAIN))
        .thenFails('ReservationNotFound');
      expect(error.details).to.deep.equal({ orderId: ORDER, warehouse: 'main' });
    });

    it('refuses to release a reservation one part of which shipped', () => {
      given(...spread, splitReserved, eastCommitted)
        .when({ type: 'ReleaseReservation', sku: SKU, orderId: ORDER, reason: reason('cancelled'), at: at(8) })
        .thenFails('ReservationCommitted');
    });

    it('lets a reservation one part of which shipped outlive its expiry', () => {
      given(...spread, splitReserved, eastCommitted)
        .when({ type: 'ExpireReservation', sku: SKU, orderId: ORDER, now: at(40) })
        .then();
    });
  });

  describe('allocate', () => {
    const stock = (entries: [string, number, number][]): ReadonlyMap<WarehouseId, WarehouseLevel> =>
      new Map(entries.map(([id, onHand, reserved]) => [warehouseId(id), { onHand, reserved }]));

    it('answers nothing when the warehouses hold too little together', () => {
      expect(
        allocate(
          stock([
            ['main', 3, 1],
            ['east', 2, 0],
          ]),
          5,
        ),
      ).to.be.undefined;
    });

    it('answers nothing for a SKU without stock', () => {
      expect(allocate(new Map(), 1)).to.be.undefined;
    });

    it('counts what is available, not what is on hand', () => {
      expect(
        allocate(
          stock([
            ['main', 5, 4],
            ['east', 3, 0],
          ]),
          2,
        ),
      ).to.deep.equal([part(EAST, 2)]);
    });
  });

  describe('the codecs', () => {
    const samples: InventoryEvent[] = [
      restocked(EAST, 3, 5),
      {
        type: 'StockAdjusted',
        sku: SKU,
        delta: stockDelta(-1),
        onHand: nonNegativeInt(4),
        reason: reason('x'),
        warehouse: EAST,
        at: at(2),
      },
      splitReserved,
      eastCommitted,
      {
        type: 'ReservationReleased',
        sku: SKU,
        orderId: ORDER,
        quantity: quantity(4),
        reason: reason('x'),
        allocation: [part(EAST, 3), part(WEST, 1)],
        at: at(3),
      },
      {
        type: 'ReservationExpired',
        sku: SKU,
        orderId: ORDER,
        quantity: quantity(1),
        allocation: [part(WEST, 1)],
        at: at(3),
      },
    ];
    for (const event of samples) {
      it(`reads back a stored ${event.type} naming warehouses unchanged`, () => {
        const stored = inventoryEvents.encode(event);
        const reread = inventoryEvents.decode({ type: stored.type, data: JSON.parse(JSON.stringify(stored.data)) });
        expect(reread).to.deep.equal(E.right(event));
      });
    }

    it('names a bad warehouse of a stored allocation', () => {
      const data = { ...splitReserved, allocation: [{ warehouse: '', quantity: 1 }] };
      const result = inventoryEvents.decode({ type: 'StockReserved.v1', data });
      expect(E.isLeft(result) && result.left).to.match(/^StockReserved\.v1: allocation\.0\.warehouse: /);
    });

    it('names a bad warehouse of a command', () => {
      const result = InventoryCommand.decode({
        type: 'RestockSku',
        sku: 'MUG-1',
        quantity: 1,
        warehouse: 'x'.repeat(33),
        at: at(1),
      });
      expect(E.isLeft(result) && describeErrors(result.left)).to.match(/^warehouse: expected WarehouseId/);
    });

    it('decodes a commit of one warehouse', () => {
      const result = InventoryCommand.decode({
        type: 'CommitReservation',
        sku: 'MUG-1',
        orderId: 'order-1',
        warehouse: 'east',
        at: at(4),
      });
      expect(result).to.deep.equal(E.right(commit(EAST)));
    });

    it('accepts warehouse ids of 1 to 32 letters, digits, dot, dash and underscore', () => {
      expect(WarehouseId.is('a')).to.be.true;
      expect(WarehouseId.is('eu-west_2.b')).to.be.true;
      expect(WarehouseId.is('x'.repeat(32))).to.be.true;
      expect(WarehouseId.is('x'.repeat(33))).to.be.false;
      expect(WarehouseId.is('-east')).to.be.false;
      expect(WarehouseId.is('east 1')).to.be.false;
    });
  });
});
