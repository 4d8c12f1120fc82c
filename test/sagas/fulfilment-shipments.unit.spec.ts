import { expect } from 'chai';
import * as E from 'fp-ts/Either';
import type { StockReserved } from '../../domain/inventory';
import type { OrderPlaced, ShipmentPlan, ShipmentShipped } from '../../domain/order';
import {
  fulfilmentCommandIds,
  fulfilmentEvents,
  fulfilmentSaga,
  fulfilmentStep,
  type FulfilmentEvent,
  type FulfilmentState,
  type OutgoingCommand,
} from '../../domain/sagas';
import { quantity, sku, warehouseId, type Sku, type Timestamp, type WarehouseId } from '../../domain/shared';
import { givenSaga, runSaga } from '../saga-spec';
import {
  A,
  B,
  C,
  at,
  authorize,
  authorized,
  capture,
  commit,
  confirm,
  couponReserved,
  eur,
  order,
  placed,
  placedWithCoupon,
  redeemCoupon,
  reserved,
} from './fixtures';
import { codPlaced, confirmPaid } from './trade-fixtures';

const saga = fulfilmentSaga();
const given = givenSaga(saga);
const ids = fulfilmentCommandIds;
const MAIN = warehouseId('main');
const EAST = warehouseId('east');

const part = (warehouse: WarehouseId, units: number) => ({ warehouse, quantity: quantity(units) });

/** A×1 all in main; B×2 split, 1 in east and 1 in main; C×1 all in east */
const reservedA = reserved(A, at(1));
const reservedB: StockReserved = { ...reserved(B, at(1)), allocation: [part(EAST, 1), part(MAIN, 1)] };
const reservedC = (when: Timestamp = at(2)): StockReserved => ({
  ...reserved(C, when),
  allocation: [part(EAST, 1)],
});

const plan: ShipmentPlan = [
  {
    warehouse: EAST,
    lines: [
      { sku: B, quantity: quantity(1) },
      { sku: C, quantity: quantity(1) },
    ],
  },
  {
    warehouse: MAIN,
    lines: [
      { sku: A, quantity: quantity(1) },
      { sku: B, quantity: quantity(1) },
    ],
  },
];

const planShipments = (shipments: ShipmentPlan = plan, when: Timestamp = at(2)): OutgoingCommand => ({
  target: 'order',
  commandId: ids.planShipments(order),
  command: { type: 'PlanShipments', orderId: order, shipments, at: when },
});

const shipmentShipped = (warehouse: WarehouseId, when: Timestamp): ShipmentShipped => ({
  type: 'ShipmentShipped',
  orderId: order,
  warehouse,
  at: when,
});

const commitIn = (warehouse: WarehouseId, s: Sku, when: Timestamp): OutgoingCommand => ({
  target: 'inventory',
  commandId: ids.commitShipment(order, warehouse, s),
  command: { type: 'CommitReservation', sku: s, orderId: order, warehouse, at: when },
});

const statusOf = (state: FulfilmentState): string => state.status;

const reservedAll = [placed, reservedA, reservedB, reservedC()];
const confirmedSplit = [...reservedAll, authorized(at(3))];

describe('the fulfilment saga with an order split over warehouses', () => {
  it('records where a line is held when it is not all in main, and nothing more when it is', () => {
    const { events } = runSaga(saga, [placed, reservedA, reservedB]);
    expect(events.filter((e) => e.type === 'LineReserved')).to.deep.equal([
      { type: 'LineReserved', orderId: order, sku: A, at: at(1) },
      { type: 'LineReserved', orderId: order, sku: B, allocation: [part(EAST, 1), part(MAIN, 1)], at: at(1) },
    ]);
  });

  it('plans one shipment per warehouse with the authorization request, once every line is reserved', () => {
    given(placed, reservedA, reservedB)
      .when(reservedC())
      .thenRecords('AuthorizationRequested')
      .thenSends(authorize(1, at(2)), planShipments())
      .thenState((s) => {
        expect(statusOf(s)).to.equal('Authorizing');
        expect(s.status !== 'NotStarted' && s.shipments).to.deep.equal(plan.map((p) => ({ ...p, shipped: false })));
      });
  });

  it('records the plan on the authorization request, no event of its own', () => {
    const { events } = runSaga(saga, reservedAll);
    expect(events.map((e) => e.type)).to.deep.equal([
      'FulfilmentStarted',
      'LineReserved',
      'LineReserved',
      'AuthorizationRequested',
    ]);
    expect(events[3]).to.deep.include({ shipments: plan });
  });

  it('plans nothing for an order held in one warehouse, even when that is not main', () => {
    const inEast = (s: Sku, when: Timestamp): StockReserved => ({
      ...reserved(s, when),
      allocation: [part(EAST, s === B ? 2 : 1)],
    });
    given(placed, inEast(A, at(1)), inEast(B, at(1)))
      .when(inEast(C, at(2)))
      .thenSends(authorize(1, at(2)))
      .thenState((s) => expect(s.status !== 'NotStarted' && s.shipments).to.equal(undefined));
  });

  it('plans nothing for an order all in main: the authorization request is as before', () => {
    const { events } = runSaga(saga, [placed, reserved(A), reserved(B), reserved(C, at(2))]);
    expect(events[3]).to.not.have.property('shipments');
  });

  it('plans from the recorded allocations when the coupon is the last thing held', () => {
    given(placedWithCoupon, reservedA, reservedB, reservedC())
      .when(couponReserved(at(3)))
      .thenRecords('AuthorizationRequested')
      .thenSends(authorize(1, at(3)), planShipments(plan, at(3)));
  });

  it('sends the plan with the confirmation of a cash-on-delivery order', () => {
    given(codPlaced, reservedA, reservedB)
      .when(reservedC())
      .thenRecords('CodConfirmed')
      .thenSends(confirmPaid(eur(0), at(2)), planShipments());
  });

  describe('one warehouse short: a line no warehouse can serve alone', () => {
    // one line of four mugs: main holds 1, east 3, so the reservation splits it
    const MUG = sku('MUG-1');
    const mugOrder: OrderPlaced = {
      ...placed,
      lines: [{ sku: MUG, quantity: quantity(4), unitPrice: eur(350), lineTotal: eur(1400) }],
    };
    const mugReserved: StockReserved = {
      ...reserved(MUG, at(1)),
      quantity: quantity(4),
      allocation: [part(EAST, 3), part(MAIN, 1)],
    };
    const mugPlan: ShipmentPlan = [
      { warehouse: EAST, lines: [{ sku: MUG, quantity: quantity(3) }] },
      { warehouse: MAIN, lines: [{ sku: MUG, quantity: quantity(1) }] },
    ];

    it('ships the line in two shipments, one per warehouse', () => {
      given(mugOrder)
        .when(mugReserved)
        .thenSends(authorize(1, at(1)), planShipments(mugPlan, at(1)));
    });

    it("commits each shipment's part of the line as it ships", () => {
      given(mugOrder, mugReserved, authorized(at(3)))
        .when(shipmentShipped(MAIN, at(5)))
        .thenSends(commitIn(MAIN, MUG, at(5)))
        .thenState((s) => expect(statusOf(s)).to.equal('Confirmed'));
    });
  });

  describe('shipping', () => {
    it("commits only the warehouse's parts when one shipment ships, and waits for the other", () => {
      given(...confirmedSplit)
        .when(shipmentShipped(EAST, at(5)))
        .thenRecords('ShipmentRecorded')
        .thenSends(commitIn(EAST, B, at(5)), commitIn(EAST, C, at(5)))
        .thenState((s) => {
          expect(statusOf(s)).to.equal('Confirmed');
          expect(fulfilmentStep(s)).to.equal('paid, 1 of 2 shipments shipped');
        });
    });

    it('completes when the last shipment ships, committing its parts', () => {
      given(...confirmedSplit, shipmentShipped(EAST, at(5)))
        .when(shipmentShipped(MAIN, at(6)))
        .thenSends(commitIn(MAIN, A, at(6)), commitIn(MAIN, B, at(6)))
        .thenState((s) => {
          expect(statusOf(s)).to.equal('Completed');
          expect(s.status === 'Completed' && s.shippedAt).to.equal(at(6));
          expect(s.status !== 'NotStarted' && s.lines.map((l) => l.status)).to.deep.equal([
            'committed',
            'committed',
            'committed',
          ]);
        });
    });

    it('ignores a shipment shipped again, and the OrderShipped that follows the last', () => {
      given(...confirmedSplit, shipmentShipped(EAST, at(5)))
        .when(shipmentShipped(EAST, at(5)))
        .thenIgnores()
        .thenSendsNothing();
      given(...confirmedSplit, shipmentShipped(EAST, at(5)), shipmentShipped(MAIN, at(6)))
        .when({ type: 'OrderShipped', orderId: order, at: at(6) })
        .thenIgnores();
    });

    it('ignores a shipment of a warehouse it did not plan', () => {
      given(...confirmedSplit)
        .when(shipmentShipped(warehouseId('west'), at(5)))
        .thenIgnores();
    });

    it('commits everything still held when the order shipped whole before its plan landed', () => {
      given(...confirmedSplit)
        .when({ type: 'OrderShipped', orderId: order, at: at(5) })
        .thenSends(commit(A, at(5)), commit(B, at(5)), commit(C, at(5)));
    });

    it('sends the confirmation and capture as before once paid', () => {
      given(...reservedAll)
        .when(authorized(at(3)))
        .thenSends(confirm(at(3)), capture(at(3)));
    });

    it('redeems the coupon as before', () => {
      given(placedWithCoupon, reservedA, reservedB, reservedC(), couponReserved(at(3)))
        .when(authorized(at(4)))
        .thenSends(confirm(at(4)), capture(at(4)), redeemCoupon(at(4)));
    });
  });

  it('reads back the events that carry allocations and plans unchanged', () => {
    const { events } = runSaga(saga, [...confirmedSplit, shipmentShipped(EAST, at(5))]);
    const carrying = events.filter(
      (e: FulfilmentEvent) =>
        (e.type === 'LineReserved' && e.allocation !== undefined) ||
        (e.type === 'AuthorizationRequested' && e.shipments !== undefined) ||
        (e.type === 'ShipmentRecorded' && e.warehouse !== undefined),
    );
    expect(carrying.map((e) => e.type)).to.deep.equal(['LineReserved', 'AuthorizationRequested', 'ShipmentRecorded']);
    for (const event of carrying) {
      const stored = fulfilmentEvents.encode(event);
      const reread = fulfilmentEvents.decode({ type: stored.type, data: JSON.parse(JSON.stringify(stored.data)) });
      expect(reread).to.deep.equal(E.right(event));
    }
  });
});
