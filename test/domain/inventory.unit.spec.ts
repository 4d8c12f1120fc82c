import { expect } from 'chai';
import * as E from 'fp-ts/Either';
import {
  available,
  InventoryCommand,
  inventoryDecider,
  inventoryEvents,
  purchaseLimit,
  purchaseLimitRefusal,
  skuStreamId,
  stockDelta,
  type InventoryEvent,
  type InventoryState,
  type ReserveStock,
  type StockReserved,
} from '../../domain/inventory';
import {
  currency,
  customerId,
  describeErrors,
  fold,
  money,
  name,
  nonNegativeInt,
  orderId,
  quantity,
  reason,
  sku,
  timestamp,
  type Timestamp,
} from '../../domain/shared';
import { givenDecider } from '../decider-spec';

const given = givenDecider(inventoryDecider);

const SKU = sku('TEE-RED-M');
const OTHER_SKU = sku('MUG-BLUE');
const EUR = currency('EUR');
const ORDER = orderId('order-1');
const ORDER_2 = orderId('order-2');
const T0 = Date.parse('2026-01-01T00:00:00.000Z');
/** a timestamp `minutes` after the start of the scenario */
const at = (minutes: number): Timestamp => timestamp(new Date(T0 + minutes * 60_000).toISOString());

const TEE = name('Red tee, size M');
const PRICE = money(1999, EUR);

const defined: InventoryEvent = { type: 'SkuDefined', sku: SKU, name: TEE, unitPrice: PRICE, at: at(0) };
const restocked = (units: number, onHand: number, minute = 1): InventoryEvent => ({
  type: 'StockRestocked',
  sku: SKU,
  quantity: quantity(units),
  onHand: nonNegativeInt(onHand),
  at: at(minute),
});
const reserved = (order = ORDER, units = 3, availableAfter = 7): StockReserved => ({
  type: 'StockReserved',
  sku: SKU,
  orderId: order,
  quantity: quantity(units),
  expiresAt: at(30),
  available: nonNegativeInt(availableAfter),
  at: at(2),
});
const released = (order = ORDER, units = 3): InventoryEvent => ({
  type: 'ReservationReleased',
  sku: SKU,
  orderId: order,
  quantity: quantity(units),
  reason: reason('payment declined'),
  at: at(3),
});
const committed = (order = ORDER, units = 3, onHandAfter = 7): InventoryEvent => ({
  type: 'ReservationCommitted',
  sku: SKU,
  orderId: order,
  quantity: quantity(units),
  onHand: nonNegativeInt(onHandAfter),
  at: at(4),
});
const expired = (order = ORDER, units = 3): InventoryEvent => ({
  type: 'ReservationExpired',
  sku: SKU,
  orderId: order,
  quantity: quantity(units),
  at: at(31),
});

/** a defined SKU with 10 units on hand */
const stocked: InventoryEvent[] = [defined, restocked(10, 10)];

const reserve = (order = ORDER, units = 3, minute = 2, expiresAt = at(30)): ReserveStock => ({
  type: 'ReserveStock',
  sku: SKU,
  orderId: order,
  quantity: quantity(units),
  expiresAt,
  at: at(minute),
});
const release = (order = ORDER): InventoryCommand => ({
  type: 'ReleaseReservation',
  sku: SKU,
  orderId: order,
  reason: reason('payment declined'),
  at: at(3),
});
const commit = (order = ORDER): InventoryCommand => ({
  type: 'CommitReservation',
  sku: SKU,
  orderId: order,
  at: at(4),
});
const expire = (order = ORDER, minute = 31): InventoryCommand => ({
  type: 'ExpireReservation',
  sku: SKU,
  orderId: order,
  now: at(minute),
});
const adjust = (delta: number, minute = 5): InventoryCommand => ({
  type: 'AdjustStock',
  sku: SKU,
  delta: stockDelta(delta),
  reason: reason('stock count'),
  at: at(minute),
});

const ANNA = customerId('anna');
const BEN = customerId('ben');
const ORDER_3 = orderId('order-3');

const setLimit = (perCustomer: number | null, minute = 1): InventoryCommand => ({
  type: 'SetPurchaseLimit',
  sku: SKU,
  perCustomer: perCustomer === null ? null : purchaseLimit(perCustomer),
  at: at(minute),
});
const limitSet = (perCustomer: number | null, minute = 1): InventoryEvent => ({
  type: 'PurchaseLimitSet',
  sku: SKU,
  perCustomer: perCustomer === null ? null : purchaseLimit(perCustomer),
  at: at(minute),
});
const reserveFor = (customer: typeof ANNA, order = ORDER, units = 1): InventoryCommand => ({
  ...reserve(order, units),
  customerId: customer,
});
const reservedFor = (customer: typeof ANNA, order = ORDER, units = 1, availableAfter = 9): InventoryEvent => ({
  ...reserved(order, units, availableAfter),
  customerId: customer,
});
const returnPurchase = (order: typeof ORDER, units: number, customer = ANNA): InventoryCommand => ({
  type: 'ReturnPurchase',
  sku: SKU,
  orderId: order,
  customerId: customer,
  quantity: quantity(units),
  at: at(40),
});
const returned = (order: typeof ORDER, units: number, customer = ANNA): InventoryEvent => ({
  type: 'PurchaseReturned',
  sku: SKU,
  orderId: order,
  customerId: customer,
  quantity: quantity(units),
  at: at(40),
});

const activeState = (state: InventoryState) => {
  if (state.status !== 'Active') return expect.fail(`expected an active SKU, got ${state.status}`);
  return state;
};

describe('the inventory centre (one stream per SKU)', () => {
  it('names the stream after the SKU', () => {
    expect(skuStreamId(SKU)).to.equal('sku-TEE-RED-M');
  });

  it('has nothing available for an SKU that is not in the catalogue', () => {
    expect(available(inventoryDecider.initialState)).to.equal(0);
  });

  describe('when an SKU is not in the catalogue yet', () => {
    it('defines it with its name and unit price', () => {
      given()
        .when({ type: 'DefineSku', sku: SKU, name: TEE, unitPrice: PRICE, at: at(0) })
        .then(defined);
    });

    it('starts a new SKU with nothing on hand, reserved or available', () => {
      given()
        .when({ type: 'DefineSku', sku: SKU, name: TEE, unitPrice: PRICE, at: at(0) })
        .thenState((state) => {
          const active = activeState(state);
          expect([active.onHand, active.reserved, available(active)]).to.deep.equal([0, 0, 0]);
          expect(active.unitPrice).to.deep.equal(PRICE);
        });
    });

    const unknown: [string, InventoryCommand][] = [
      ['a restock', { type: 'RestockSku', sku: SKU, quantity: quantity(1), at: at(1) }],
      ['an adjustment', adjust(1)],
      ['a reservation', reserve()],
      ['a release', release()],
      ['a commit', commit()],
      ['an expiry', expire()],
      ['setting a purchase limit', setLimit(2)],
      ['a returned purchase', returnPurchase(ORDER, 1)],
    ];
    for (const [what, command] of unknown) {
      it(`rejects ${what} as not found`, () => {
        const error = given().when(command).thenFails('SkuNotFound');
        expect(error.category).to.equal('not_found');
      });
    }
  });

  describe('when the SKU is in the catalogue', () => {
    it('records a change of name', () => {
      const renamed = name('Red T-shirt, size M');
      given(defined)
        .when({ type: 'DefineSku', sku: SKU, name: renamed, unitPrice: PRICE, at: at(9) })
        .then({ type: 'SkuUpdated', sku: SKU, name: renamed, unitPrice: PRICE, at: at(9) });
    });

    it('records a change of price, even of currency after stock moved, and prices from then on', () => {
      const usd = money(2199, currency('USD'));
      given(...stocked, reserved())
        .when({ type: 'DefineSku', sku: SKU, name: TEE, unitPrice: usd, at: at(9) })
        .thenState((state, events) => {
          expect(events).to.deep.equal([{ type: 'SkuUpdated', sku: SKU, name: TEE, unitPrice: usd, at: at(9) }]);
          const active = activeState(state);
          expect(active.unitPrice).to.deep.equal(usd);
          expect([active.onHand, active.reserved]).to.deep.equal([10, 3]);
        });
    });

    it('records nothing when the definition is identical', () => {
      given(defined)
        .when({ type: 'DefineSku', sku: SKU, name: TEE, unitPrice: money(1999, EUR), at: at(9) })
        .then();
    });

    it('refuses a command meant for another SKU stream', () => {
      const error = given(...stocked)
        .when({ type: 'RestockSku', sku: OTHER_SKU, quantity: quantity(1), at: at(2) })
        .thenFails('SkuMismatch');
      expect(error.category).to.equal('conflict');
    });
  });

  describe('restocking', () => {
    it('adds the units on hand and reports the new level', () => {
      given(...stocked)
        .when({ type: 'RestockSku', sku: SKU, quantity: quantity(5), at: at(2) })
        .then(restocked(5, 15, 2));
    });

    it('records why and for which order goods came back', () => {
      const returned = reason('returned by order order-1');
      given(...stocked)
        .when({ type: 'RestockSku', sku: SKU, quantity: quantity(2), reason: returned, orderId: ORDER, at: at(2) })
        .then({
          type: 'StockRestocked',
          sku: SKU,
          quantity: quantity(2),
          onHand: nonNegativeInt(12),
          reason: returned,
          orderId: ORDER,
          at: at(2),
        });
    });

    it('makes the new units available', () => {
      given(...stocked, reserved())
        .when({ type: 'RestockSku', sku: SKU, quantity: quantity(5), at: at(3) })
        .thenState((state) => {
          expect(available(state)).to.equal(12);
        });
    });

    it('rejects a level beyond what can be counted exactly', () => {
      const huge = nonNegativeInt(Number.MAX_SAFE_INTEGER - 1);
      const error = given(defined, {
        type: 'StockAdjusted',
        sku: SKU,
        delta: stockDelta(huge),
        onHand: huge,
        reason: reason('x'),
        at: at(1),
      })
        .when({ type: 'RestockSku', sku: SKU, quantity: quantity(5), at: at(2) })
        .thenFails('StockLimitExceeded');
      expect(error.category).to.equal('rule_violation');
    });
  });

  describe('adjusting stock', () => {
    it('takes units off hand and reports the new level', () => {
      given(...stocked)
        .when(adjust(-4))
        .then({
          type: 'StockAdjusted',
          sku: SKU,
          delta: stockDelta(-4),
          onHand: nonNegativeInt(6),
          reason: reason('stock count'),
          at: at(5),
        });
    });

    it('adds units found in a count', () => {
      given(...stocked)
        .when(adjust(3))
        .thenState((state) => {
          expect(activeState(state).onHand).to.equal(13);
        });
    });

    it('may take on hand down to exactly what is reserved', () => {
      given(...stocked, reserved())
        .when(adjust(-7))
        .thenState((state) => {
          const active = activeState(state);
          expect([active.onHand, active.reserved, available(active)]).to.deep.equal([3, 3, 0]);
        });
    });

    it('rejects taking on hand below what is reserved', () => {
      const error = given(...stocked, reserved())
        .when(adjust(-8))
        .thenFails('AdjustmentBelowReserved');
      expect(error.category).to.equal('rule_violation');
      expect(error.details).to.deep.equal({ delta: -8, onHand: 10, reserved: 3, warehouse: 'main' });
    });

    it('rejects taking on hand below zero', () => {
      given(...stocked)
        .when(adjust(-11))
        .thenFails('AdjustmentBelowReserved');
    });

    it('rejects a level beyond what can be counted exactly', () => {
      given(...stocked)
        .when(adjust(Number.MAX_SAFE_INTEGER))
        .thenFails('StockLimitExceeded');
    });

    it('rejects a zero delta at the edge', () => {
      const decoded = InventoryCommand.decode({ type: 'AdjustStock', sku: SKU, delta: 0, reason: 'x', at: at(1) });
      expect(E.isLeft(decoded) && describeErrors(decoded.left)).to.match(/^delta: /);
    });
  });

  describe('reserving stock', () => {
    it('holds the units for the order until the expiry and reports what is left', () => {
      given(...stocked)
        .when(reserve())
        .then(reserved());
    });

    it('counts the units as reserved, not available', () => {
      given(...stocked)
        .when(reserve())
        .thenState((state) => {
          const active = activeState(state);
          expect([active.onHand, active.reserved, available(active)]).to.deep.equal([10, 3, 7]);
          expect(active.open.get(ORDER)).to.deep.equal({
            quantity: 3,
            expiresAt: at(30),
            allocation: [{ warehouse: 'main', quantity: 3 }],
            committed: [],
          });
        });
    });

    it('reserves the last units', () => {
      given(...stocked)
        .when(reserve(ORDER, 10))
        .then(reserved(ORDER, 10, 0));
    });

    it('rejects more than is available, reserving nothing', () => {
      const error = given(...stocked, reserved())
        .when(reserve(ORDER_2, 8))
        .thenFails('InsufficientStock');
      expect(error.category).to.equal('rule_violation');
      expect(error.details).to.deep.equal({ requested: 8, available: 7 });
    });

    it('rejects any reservation when nothing is on hand', () => {
      given(defined).when(reserve()).thenFails('InsufficientStock');
    });

    it('records nothing when the same reservation is delivered again', () => {
      given(...stocked, reserved())
        .when(reserve())
        .then();
    });

    it('records nothing when the same reservation is delivered again after its expiry time', () => {
      given(...stocked, reserved())
        .when(reserve(ORDER, 3, 40, at(70)))
        .then();
    });

    it('rejects a different quantity for an order that already holds a reservation', () => {
      const error = given(...stocked, reserved())
        .when(reserve(ORDER, 4))
        .thenFails('ReservationMismatch');
      expect(error.category).to.equal('conflict');
    });

    const closings: [string, InventoryEvent][] = [
      ['released', released()],
      ['committed', committed()],
      ['expired', expired()],
    ];
    for (const [how, closing] of closings) {
      it(`never reserves again for an order whose reservation was ${how}`, () => {
        const error = given(...stocked, reserved(), closing)
          .when(reserve())
          .thenFails('ReservationClosed');
        expect(error.category).to.equal('conflict');
        expect(error.details).to.include({ closedAs: how });
      });
    }

    it('rejects an expiry that is not after the reservation', () => {
      const error = given(...stocked)
        .when(reserve(ORDER, 3, 5, at(5)))
        .thenFails('InvalidReservationExpiry');
      expect(error.category).to.equal('rule_violation');
    });

    it('keeps reservations of different orders apart', () => {
      given(...stocked, reserved())
        .when(reserve(ORDER_2, 7))
        .thenState((state) => {
          const active = activeState(state);
          expect([active.reserved, available(active), active.open.size]).to.deep.equal([10, 0, 2]);
        });
    });
  });

  describe('releasing a reservation', () => {
    it('frees the held units of the order', () => {
      given(...stocked, reserved())
        .when(release())
        .then(released());
    });

    it('makes the units available again', () => {
      given(...stocked, reserved())
        .when(release())
        .thenState((state) => {
          const active = activeState(state);
          expect([active.onHand, active.reserved, available(active)]).to.deep.equal([10, 0, 10]);
          expect(active.closed.get(ORDER)).to.equal('released');
        });
    });

    it('records nothing when it was already released', () => {
      given(...stocked, reserved(), released())
        .when(release())
        .then();
    });

    it('records nothing when it already expired', () => {
      given(...stocked, reserved(), expired())
        .when(release())
        .then();
    });

    it('rejects releasing a reservation that was committed (shipped)', () => {
      const error = given(...stocked, reserved(), committed())
        .when(release())
        .thenFails('ReservationCommitted');
      expect(error.category).to.equal('conflict');
    });

    it('rejects releasing for an order that never reserved', () => {
      const error = given(...stocked)
        .when(release())
        .thenFails('ReservationNotFound');
      expect(error.category).to.equal('conflict');
    });
  });

  describe('committing a reservation (on shipment)', () => {
    it('takes the reserved units off hand', () => {
      given(...stocked, reserved())
        .when(commit())
        .then(committed());
    });

    it('lowers on hand and reserved alike, leaving available unchanged', () => {
      given(...stocked, reserved())
        .when(commit())
        .thenState((state) => {
          const active = activeState(state);
          expect([active.onHand, active.reserved, available(active)]).to.deep.equal([7, 0, 7]);
          expect(active.closed.get(ORDER)).to.equal('committed');
        });
    });

    it('records nothing when it was already committed', () => {
      given(...stocked, reserved(), committed())
        .when(commit())
        .then();
    });

    it('rejects committing a released reservation', () => {
      given(...stocked, reserved(), released())
        .when(commit())
        .thenFails('ReservationClosed');
    });

    it('rejects committing an expired reservation', () => {
      given(...stocked, reserved(), expired())
        .when(commit())
        .thenFails('ReservationClosed');
    });

    it('rejects committing for an order that never reserved', () => {
      given(...stocked)
        .when(commit())
        .thenFails('ReservationNotFound');
    });
  });

  describe('expiring a reservation', () => {
    it('frees the units once the expiry has passed, recorded at the time the deadline fired', () => {
      given(...stocked, reserved())
        .when(expire(ORDER, 31))
        .then(expired());
    });

    it('expires exactly at the expiry time', () => {
      given(...stocked, reserved())
        .when(expire(ORDER, 30))
        .thenState((state, events) => {
          expect(events.map((e) => e.type)).to.deep.equal(['ReservationExpired']);
          expect(available(state)).to.equal(10);
          expect(activeState(state).closed.get(ORDER)).to.equal('expired');
        });
    });

    it('rejects an expiry before it is due', () => {
      const error = given(...stocked, reserved())
        .when(expire(ORDER, 29))
        .thenFails('ReservationNotDue');
      expect(error.category).to.equal('rule_violation');
    });

    const closings: [string, InventoryEvent][] = [
      ['released', released()],
      ['committed', committed()],
      ['expired', expired()],
    ];
    for (const [how, closing] of closings) {
      it(`records nothing when the reservation was already ${how}`, () => {
        given(...stocked, reserved(), closing)
          .when(expire())
          .then();
      });
    }

    it('rejects expiring for an order that never reserved', () => {
      given(...stocked)
        .when(expire())
        .thenFails('ReservationNotFound');
    });
  });

  describe('purchase limits per customer', () => {
    const limited: InventoryEvent[] = [...stocked, limitSet(2)];
    const liveOf = (state: InventoryState, customer: typeof ANNA): number =>
      activeState(state).purchaseLimit?.live.get(customer) ?? 0;

    describe('setting the limit', () => {
      it('records a limit per customer', () => {
        given(...stocked)
          .when(setLimit(2))
          .then(limitSet(2));
      });

      it('records nothing when the limit is already that number', () => {
        given(...limited)
          .when(setLimit(2, 5))
          .then();
      });

      it('records a change of the number', () => {
        given(...limited)
          .when(setLimit(5, 5))
          .then(limitSet(5, 5));
      });

      it('removes the limit with null', () => {
        given(...limited)
          .when(setLimit(null, 5))
          .thenState((state, events) => {
            expect(events).to.deep.equal([limitSet(null, 5)]);
            expect(activeState(state).purchaseLimit).to.equal(null);
          });
      });

      it('records nothing when removing a limit that is not set', () => {
        given(...stocked)
          .when(setLimit(null))
          .then();
      });

      for (const bad of [0, 1001, 1.5]) {
        it(`refuses ${bad} units per customer at the edge, naming the field`, () => {
          const result = InventoryCommand.decode({ type: 'SetPurchaseLimit', sku: SKU, perCustomer: bad, at: at(1) });
          expect(E.isLeft(result) && describeErrors(result.left)).to.match(/^perCustomer: /);
        });
      }

      it('accepts 1 and 1000 units per customer and null at the edge', () => {
        for (const perCustomer of [1, 1000, null]) {
          const result = InventoryCommand.decode({ type: 'SetPurchaseLimit', sku: SKU, perCustomer, at: at(1) });
          expect(E.isRight(result), String(perCustomer)).to.be.true;
        }
      });
    });

    describe('when a limit of 2 is set', () => {
      it('reserves for a customer within the limit, naming the customer, and counts the units', () => {
        given(...limited)
          .when(reserveFor(ANNA, ORDER, 2))
          .thenState((state, events) => {
            expect(events).to.deep.equal([reservedFor(ANNA, ORDER, 2, 8)]);
            expect(liveOf(state, ANNA)).to.equal(2);
          });
      });

      it('refuses a reservation that takes the customer over the limit, holding nothing', () => {
        const error = given(...limited, reservedFor(ANNA, ORDER, 1))
          .when(reserveFor(ANNA, ORDER_2, 2))
          .thenFails('PurchaseLimitExceeded');
        expect(error.category).to.equal('rule_violation');
        expect(error.details).to.deep.equal({ sku: SKU, customerId: ANNA, limit: 2, live: 1, requested: 2 });
      });

      it('refuses a single reservation above the limit', () => {
        given(...limited)
          .when(reserveFor(ANNA, ORDER, 3))
          .thenFails('PurchaseLimitExceeded');
      });

      it('refuses for the limit before looking at the stock', () => {
        given(defined, restocked(1, 1), limitSet(2))
          .when(reserveFor(ANNA, ORDER, 3))
          .thenFails('PurchaseLimitExceeded');
      });

      it('still refuses what the stock cannot serve within the limit', () => {
        given(defined, restocked(1, 1), limitSet(2))
          .when(reserveFor(ANNA, ORDER, 2))
          .thenFails('InsufficientStock');
      });

      it('reserves up to exactly the limit over several orders', () => {
        given(...limited, reservedFor(ANNA, ORDER, 1))
          .when(reserveFor(ANNA, ORDER_2, 1))
          .thenState((state) => expect(liveOf(state, ANNA)).to.equal(2));
      });

      it('records nothing when a reservation at the limit is delivered again', () => {
        given(...limited, reservedFor(ANNA, ORDER, 2, 8))
          .when(reserveFor(ANNA, ORDER, 2))
          .then();
      });

      it('counts each customer apart', () => {
        given(...limited, reservedFor(ANNA, ORDER, 2, 8))
          .when(reserveFor(BEN, ORDER_2, 2))
          .thenState((state) => {
            expect([liveOf(state, ANNA), liveOf(state, BEN)]).to.deep.equal([2, 2]);
          });
      });

      it('keeps counting shipped units: the customer has them', () => {
        given(...limited, reservedFor(ANNA, ORDER, 2, 8), committed(ORDER, 2, 8))
          .when(reserveFor(ANNA, ORDER_2, 1))
          .thenFails('PurchaseLimitExceeded');
      });

      it('frees the units of a released reservation', () => {
        given(...limited, reservedFor(ANNA, ORDER, 2, 8), released(ORDER, 2))
          .when(reserveFor(ANNA, ORDER_2, 2))
          .thenState((state) => expect(liveOf(state, ANNA)).to.equal(2));
      });

      it('frees the units of an expired reservation', () => {
        given(...limited, reservedFor(ANNA, ORDER, 2, 8), expired(ORDER, 2))
          .when(reserveFor(ANNA, ORDER_2, 2))
          .thenState((state) => expect(liveOf(state, ANNA)).to.equal(2));
      });

      it('forgets a customer whose units are all freed, keeping the state small', () => {
        given(...limited, reservedFor(ANNA, ORDER, 2, 8))
          .when(release())
          .thenState((state) => {
            const limit = activeState(state).purchaseLimit;
            expect([limit?.live.size, limit?.counted.size]).to.deep.equal([0, 0]);
          });
      });

      it('neither counts nor refuses a reservation that names no customer (sent before reservations did)', () => {
        given(...limited)
          .when(reserve(ORDER, 5))
          .thenState((state) => expect(activeState(state).purchaseLimit?.counted.size).to.equal(0));
      });

      it('does not count sales made before the limit was set', () => {
        given(...stocked, reservedFor(ANNA, ORDER, 3, 7), limitSet(2))
          .when(reserveFor(ANNA, ORDER_2, 2))
          .thenState((state) => expect(liveOf(state, ANNA)).to.equal(2));
      });

      it('frees nothing when a reservation made before the limit is released', () => {
        given(...stocked, reservedFor(ANNA, ORDER, 3, 7), limitSet(2), reservedFor(ANNA, ORDER_2, 2, 5))
          .when(release(ORDER))
          .thenState((state) => expect(liveOf(state, ANNA)).to.equal(2));
      });

      it('keeps the counts when the number changes, refusing but never taking away above a lower limit', () => {
        const history = [...limited, reservedFor(ANNA, ORDER, 2, 8), limitSet(1, 5)];
        given(...history)
          .when(reserveFor(ANNA, ORDER_2, 1))
          .thenFails('PurchaseLimitExceeded');
        given(...history)
          .when(commit(ORDER))
          .thenState((state) => expect(liveOf(state, ANNA)).to.equal(2));
      });

      it('forgets the counts when the limit is removed, so a new limit starts afresh', () => {
        given(...limited, reservedFor(ANNA, ORDER, 2, 8), limitSet(null, 5), limitSet(2, 6))
          .when(reserveFor(ANNA, ORDER_2, 2))
          .thenState((state) => expect(liveOf(state, ANNA)).to.equal(2));
      });
    });

    describe('returning a purchase (after a refund)', () => {
      const bought: InventoryEvent[] = [...limited, reservedFor(ANNA, ORDER, 2, 8), committed(ORDER, 2, 8)];

      it('frees the returned units of the order', () => {
        given(...bought)
          .when(returnPurchase(ORDER, 1))
          .thenState((state, events) => {
            expect(events).to.deep.equal([returned(ORDER, 1)]);
            expect(liveOf(state, ANNA)).to.equal(1);
          });
      });

      it('lets the customer buy again once units are returned', () => {
        given(...bought, returned(ORDER, 2))
          .when(reserveFor(ANNA, ORDER_2, 2))
          .thenState((state) => expect(liveOf(state, ANNA)).to.equal(2));
      });

      it('frees no more than the order counts', () => {
        given(...bought)
          .when(returnPurchase(ORDER, 5))
          .then(returned(ORDER, 2));
      });

      it('frees units of a reservation still open (a refund before shipment), and only the rest on release', () => {
        given(...limited, reservedFor(ANNA, ORDER, 2, 8), returned(ORDER, 1))
          .when(release())
          .thenState((state) => expect(liveOf(state, ANNA)).to.equal(0));
      });

      it('records nothing once every unit of the order is returned', () => {
        given(...bought, returned(ORDER, 2))
          .when(returnPurchase(ORDER, 1))
          .then();
      });

      it('records nothing when the SKU has no limit', () => {
        given(...stocked, reservedFor(ANNA, ORDER, 2, 8), committed(ORDER, 2, 8))
          .when(returnPurchase(ORDER, 1))
          .then();
      });

      it('records nothing for an order the limit never counted', () => {
        given(...stocked, reservedFor(ANNA, ORDER, 2, 8), limitSet(2))
          .when(returnPurchase(ORDER, 1))
          .then();
        given(...limited)
          .when(returnPurchase(ORDER_3, 1))
          .then();
      });

      it("records nothing when the customer named is not the order's", () => {
        given(...bought)
          .when(returnPurchase(ORDER, 1, BEN))
          .then();
      });
    });

    describe('asking whether a reservation would pass the limit now (for quotes)', () => {
      it('answers nothing for a SKU without a limit or not in the catalogue', () => {
        expect(purchaseLimitRefusal(fold(inventoryDecider, stocked), ANNA, 50)).to.equal(undefined);
        expect(purchaseLimitRefusal(inventoryDecider.initialState, ANNA, 50)).to.equal(undefined);
      });

      it('answers nothing within the limit', () => {
        expect(
          purchaseLimitRefusal(fold(inventoryDecider, [...limited, reservedFor(BEN, ORDER, 2, 8)]), ANNA, 2),
        ).to.equal(undefined);
      });

      it('answers the error the reservation would give', () => {
        const history = [...limited, reservedFor(ANNA, ORDER, 1)];
        const refusal = purchaseLimitRefusal(fold(inventoryDecider, history), ANNA, 2);
        const error = given(...history)
          .when(reserveFor(ANNA, ORDER_2, 2))
          .thenFails('PurchaseLimitExceeded');
        expect(refusal).to.deep.equal(error);
      });
    });

    it('reads back a reservation without a customer, as stored before reservations named one', () => {
      const { customerId: _, ...old } = { ...reserved(), customerId: ANNA };
      expect(inventoryEvents.decode({ type: 'StockReserved.v1', data: old })).to.deep.equal(E.right(reserved()));
    });
  });

  describe('its event codecs', () => {
    const samples: InventoryEvent[] = [
      defined,
      { type: 'SkuUpdated', sku: SKU, name: TEE, unitPrice: money(0, currency('JPY')), at: at(1) },
      restocked(4, 14),
      {
        type: 'StockRestocked',
        sku: SKU,
        quantity: quantity(1),
        onHand: nonNegativeInt(1),
        reason: reason('returned by order order-1'),
        orderId: ORDER,
        at: at(6),
      },
      {
        type: 'StockAdjusted',
        sku: SKU,
        delta: stockDelta(-2),
        onHand: nonNegativeInt(8),
        reason: reason('damaged'),
        at: at(7),
      },
      reserved(),
      released(),
      committed(),
      expired(),
      { ...reserved(), customerId: ANNA },
      limitSet(2),
      limitSet(null),
      returned(ORDER, 1),
    ];

    it('defines every event at version 1', () => {
      expect([...inventoryEvents.storedTypes].sort()).to.deep.equal(
        [
          'PurchaseLimitSet.v1',
          'PurchaseReturned.v1',
          'ReservationCommitted.v1',
          'ReservationExpired.v1',
          'ReservationReleased.v1',
          'SkuDefined.v1',
          'SkuUpdated.v1',
          'StockAdjusted.v1',
          'StockReserved.v1',
          'StockRestocked.v1',
        ].sort(),
      );
    });

    for (const event of samples) {
      it(`reads back a stored ${event.type} unchanged`, () => {
        const stored = inventoryEvents.encode(event);
        expect(stored.type).to.equal(`${event.type}.v1`);
        const reread = inventoryEvents.decode({ type: stored.type, data: JSON.parse(JSON.stringify(stored.data)) });
        expect(reread).to.deep.equal(E.right(event));
      });
    }

    it('names the bad field of a stored event', () => {
      const data = { ...reserved(), quantity: 0 };
      const result = inventoryEvents.decode({ type: 'StockReserved.v1', data });
      expect(result).to.deep.equal(E.left('StockReserved.v1: quantity: expected Quantity, got 0'));
    });

    it('names a bad optional field of a stored restock', () => {
      const data = { ...restocked(1, 1), orderId: '' };
      const result = inventoryEvents.decode({ type: 'StockRestocked.v1', data });
      expect(E.isLeft(result) && result.left).to.match(/^StockRestocked\.v1: orderId: /);
    });

    it('names a missing field of a stored event', () => {
      const data = { type: 'ReservationCommitted', sku: SKU, orderId: ORDER, quantity: 3, at: at(4) };
      const result = inventoryEvents.decode({ type: 'ReservationCommitted.v1', data });
      expect(E.isLeft(result) && result.left).to.match(/onHand: is required/);
    });

    it('refuses an unknown stored event type', () => {
      expect(E.isLeft(inventoryEvents.decode({ type: 'StockStolen.v1', data: {} }))).to.be.true;
    });
  });

  describe('its command codec', () => {
    it('decodes a reservation request', () => {
      const body = {
        type: 'ReserveStock',
        sku: 'TEE-RED-M',
        orderId: 'order-1',
        quantity: 3,
        expiresAt: at(30),
        at: at(2),
      };
      expect(InventoryCommand.decode(body)).to.deep.equal(E.right(reserve()));
    });

    it('drops fields it does not know', () => {
      const body = { type: 'RestockSku', sku: 'TEE-RED-M', quantity: 1, at: at(1), admin: true };
      expect(InventoryCommand.decode(body)).to.deep.equal(
        E.right({ type: 'RestockSku', sku: SKU, quantity: quantity(1), at: at(1) }),
      );
    });

    it('names the bad field of a command', () => {
      const body = {
        type: 'ReserveStock',
        sku: 'TEE-RED-M',
        orderId: 'order-1',
        quantity: 0,
        expiresAt: 'soon',
        at: at(2),
      };
      const result = InventoryCommand.decode(body);
      expect(E.isLeft(result) && describeErrors(result.left)).to.equal(
        'quantity: expected Quantity, got 0; expiresAt: expected Timestamp, got "soon"',
      );
    });

    it('names a bad optional field of a restock', () => {
      const body = { type: 'RestockSku', sku: 'TEE-RED-M', quantity: 1, reason: ' ', at: at(1) };
      const result = InventoryCommand.decode(body);
      expect(E.isLeft(result) && describeErrors(result.left)).to.equal('reason: expected Reason, got " "');
    });
  });

  it('folds a whole history to the expected levels', () => {
    const state = activeState(
      fold(inventoryDecider, [...stocked, reserved(), reserved(ORDER_2, 2, 5), committed(), released(ORDER_2, 2)]),
    );
    expect([state.onHand, state.reserved, available(state), state.open.size, state.closed.size]).to.deep.equal([
      7, 0, 7, 0, 2,
    ]);
  });
});
