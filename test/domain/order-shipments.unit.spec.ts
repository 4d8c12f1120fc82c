import { expect } from 'chai';
import * as E from 'fp-ts/Either';
import {
  currency,
  customerId,
  describeErrors,
  money,
  orderId,
  quantity,
  reason,
  refundId,
  sku,
  timestamp,
  warehouseId,
  type Money,
  type Timestamp,
} from '../../domain/shared';
import {
  OrderCommand,
  orderDecider,
  orderEvents,
  paymentToken,
  type OrderCommand as OrderCommandType,
  type OrderEvent,
  type OrderState,
  type OrderTerms,
  type ShipmentPlan,
} from '../../domain/order';
import { givenDecider } from '../decider-spec';

const given = givenDecider(orderDecider);

const EUR = currency('EUR');
const eur = (amount: number): Money => money(amount, EUR);
const id = orderId('o-1');
const MUG = sku('MUG-1');
const TEE = sku('TEE-1');
const MAIN = warehouseId('main');
const EAST = warehouseId('east');
const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const day = 86_400_000;
const at = (minutes: number): Timestamp => timestamp(new Date(T0 + minutes * 60_000).toISOString());
const inDays = (days: number): Timestamp => timestamp(new Date(T0 + days * day).toISOString());

/** Four mugs at 10.00 and one tee at 5.00: 45.00 */
const placed = (terms?: OrderTerms): OrderEvent => ({
  type: 'OrderPlaced',
  orderId: id,
  customerId: customerId('c-1'),
  currency: EUR,
  lines: [
    { sku: MUG, quantity: quantity(4), unitPrice: eur(1000), lineTotal: eur(4000) },
    { sku: TEE, quantity: quantity(1), unitPrice: eur(500), lineTotal: eur(500) },
  ],
  total: eur(4500),
  paymentToken: paymentToken('tok_visa'),
  ...(terms === undefined ? {} : { terms }),
  at: at(0),
});
const confirmed: OrderEvent = { type: 'OrderConfirmed', orderId: id, paid: eur(4500), at: at(2) };

/** main sends 2 mugs and the tee, east 2 mugs */
const plan: ShipmentPlan = [
  { warehouse: EAST, lines: [{ sku: MUG, quantity: quantity(2) }] },
  {
    warehouse: MAIN,
    lines: [
      { sku: MUG, quantity: quantity(2) },
      { sku: TEE, quantity: quantity(1) },
    ],
  },
];
const planShipments = (shipments: ShipmentPlan = plan): OrderCommandType => ({
  type: 'PlanShipments',
  orderId: id,
  shipments,
  at: at(1),
});
const planned: OrderEvent = { type: 'ShipmentsPlanned', orderId: id, shipments: plan, at: at(1) };
const shipShipment = (warehouse = EAST, when: Timestamp = at(3)): OrderCommandType => ({
  type: 'ShipShipment',
  orderId: id,
  warehouse,
  at: when,
});
const shipmentShipped = (warehouse = EAST, when: Timestamp = at(3)): OrderEvent => ({
  type: 'ShipmentShipped',
  orderId: id,
  warehouse,
  at: when,
});
const orderShipped = (when: Timestamp = at(3)): OrderEvent => ({ type: 'OrderShipped', orderId: id, at: when });

const statusOf = (state: OrderState): string => state.status;

describe('an order split into shipments', () => {
  describe('planning', () => {
    it('records the plan of a placed order', () => {
      given(placed()).when(planShipments()).then(planned);
    });

    it('keeps the plan on the order, nothing shipped yet', () => {
      given(placed())
        .when(planShipments())
        .thenState((state) => {
          if (state.status !== 'Placed') return expect.fail(state.status);
          expect(state.shipments.map((s) => [s.warehouse, s.shippedAt])).to.deep.equal([
            ['east', null],
            ['main', null],
          ]);
        });
    });

    it('takes the plan once the order is confirmed too (it may arrive after the confirmation)', () => {
      given(placed(), confirmed).when(planShipments()).then(planned);
    });

    it('treats the same plan again, in any order, as done', () => {
      given(placed(), planned)
        .when(planShipments([...plan].reverse()))
        .then();
    });

    it('refuses another plan once one is kept', () => {
      given(placed(), planned)
        .when(
          planShipments([
            { warehouse: EAST, lines: [{ sku: MUG, quantity: quantity(4) }] },
            { warehouse: MAIN, lines: [{ sku: TEE, quantity: quantity(1) }] },
          ]),
        )
        .thenFails('ShipmentsAlreadyPlanned');
    });

    const invalid: [string, ShipmentPlan][] = [
      ['one shipment only', [{ warehouse: MAIN, lines: [{ sku: MUG, quantity: quantity(4) }] }]],
      [
        'a warehouse twice',
        [
          { warehouse: EAST, lines: [{ sku: MUG, quantity: quantity(2) }] },
          {
            warehouse: EAST,
            lines: [
              { sku: MUG, quantity: quantity(2) },
              { sku: TEE, quantity: quantity(1) },
            ],
          },
        ],
      ],
      [
        'fewer units than ordered',
        [
          { warehouse: EAST, lines: [{ sku: MUG, quantity: quantity(1) }] },
          { warehouse: MAIN, lines: plan[1]?.lines ?? [] },
        ],
      ],
      [
        'a SKU not on the order',
        [...plan, { warehouse: warehouseId('west'), lines: [{ sku: sku('HAT-1'), quantity: quantity(1) }] }],
      ],
      ['an empty shipment', [...plan, { warehouse: warehouseId('west'), lines: [] }]],
    ];
    for (const [what, shipments] of invalid) {
      it(`refuses a plan with ${what}`, () => {
        const error = given(placed()).when(planShipments(shipments)).thenFails('InvalidShipmentPlan');
        expect(error.category).to.equal('rule_violation');
      });
    }

    it('refuses a plan for a cancelled order', () => {
      given(placed(), { type: 'OrderCancelled', orderId: id, reason: reason('x'), wasPaid: eur(0), at: at(1) })
        .when(planShipments())
        .thenFails('OrderCancelled');
    });

    it('refuses a plan for an order that already shipped whole', () => {
      given(placed(), confirmed, orderShipped()).when(planShipments()).thenFails('OrderAlreadyShipped');
    });
  });

  describe('shipping one shipment', () => {
    it('records that shipment only, and the order is partially shipped', () => {
      given(placed(), planned, confirmed)
        .when(shipShipment(EAST))
        .thenState((state, events) => {
          expect(events).to.deep.equal([shipmentShipped(EAST)]);
          expect(statusOf(state)).to.equal('PartiallyShipped');
          if (state.status !== 'PartiallyShipped') return;
          expect(state.shippedAt).to.equal(at(3));
          expect(state.shipments.map((s) => [s.warehouse, s.shippedAt])).to.deep.equal([
            ['east', at(3)],
            ['main', null],
          ]);
        });
    });

    it('records the last shipment with OrderShipped: every shipment shipped, the order is shipped', () => {
      given(placed(), planned, confirmed, shipmentShipped(EAST))
        .when(shipShipment(MAIN, at(5)))
        .thenState((state, events) => {
          expect(events).to.deep.equal([shipmentShipped(MAIN, at(5)), orderShipped(at(5))]);
          expect(statusOf(state)).to.equal('Shipped');
        });
    });

    it('treats a shipment shipped again as done', () => {
      given(placed(), planned, confirmed, shipmentShipped(EAST))
        .when(shipShipment(EAST, at(4)))
        .then();
    });

    it('refuses a warehouse the order has no shipment from', () => {
      const error = given(placed(), planned, confirmed)
        .when(shipShipment(warehouseId('west')))
        .thenFails('ShipmentNotFound');
      expect(error.details).to.deep.include({ warehouse: 'west', warehouses: ['east', 'main'] });
    });

    it('refuses shipping before the order is confirmed', () => {
      given(placed(), planned).when(shipShipment(EAST)).thenFails('OrderNotConfirmed');
    });

    it('refuses naming a warehouse for an order that ships whole', () => {
      given(placed(), confirmed).when(shipShipment(MAIN)).thenFails('ShipmentNotFound');
    });
  });

  describe('shipping without naming a warehouse', () => {
    it('ships every shipment left, then the order', () => {
      given(placed(), planned, confirmed)
        .when({ type: 'ShipOrder', orderId: id, at: at(3) })
        .then(shipmentShipped(EAST), shipmentShipped(MAIN), orderShipped());
    });

    it('ships what is left after one shipment', () => {
      given(placed(), planned, confirmed, shipmentShipped(EAST))
        .when({ type: 'ShipOrder', orderId: id, at: at(4) })
        .then(shipmentShipped(MAIN, at(4)), orderShipped(at(4)));
    });

    it('ships an order without a plan whole, as before', () => {
      given(placed(), confirmed)
        .when({ type: 'ShipOrder', orderId: id, at: at(3) })
        .then(orderShipped());
    });
  });

  describe('once partially shipped', () => {
    const partly = [placed(), planned, confirmed, shipmentShipped(EAST)];

    it('refuses a cancellation: goods are gone', () => {
      given(...partly)
        .when({ type: 'CancelOrder', orderId: id, reason: reason('changed my mind'), at: at(4) })
        .thenFails('OrderAlreadyShipped');
    });

    it("refunds a shipment's lines on their own", () => {
      given(...partly)
        .when({
          type: 'RequestRefund',
          orderId: id,
          refundId: refundId('r-1'),
          reason: reason('broken'),
          restock: false,
          lines: [{ sku: MUG, quantity: quantity(2) }],
          at: at(5),
        })
        .thenState((_, events) => {
          expect(events[0]).to.include({ type: 'RefundRequested', scope: 'Lines' });
          expect(events[0]).to.have.deep.property('amount', eur(2000));
        });
    });

    it('stops the shipments left once the order is refunded, as for an order shipped whole', () => {
      given(
        ...partly,
        {
          type: 'RefundRequested',
          orderId: id,
          refundId: refundId('r-1'),
          scope: 'Whole',
          amount: eur(4500),
          lines: [],
          reason: reason('x'),
          restock: false,
          at: at(5),
        },
        { type: 'RefundCompleted', orderId: id, refundId: refundId('r-1'), amount: eur(4500), at: at(6) },
      )
        .when(shipShipment(MAIN, at(7)))
        .thenFails('OrderRefunded');
    });
  });

  describe('the refund window of a split order', () => {
    // 30 days after shipment
    const terms = {
      paymentTimeoutMs: 900_000,
      reservationTtlMs: 1_800_000,
      partialRefunds: true,
      refundWindowMs: 30 * day,
    } as OrderTerms;
    const refundOf = (lines: { sku: typeof MUG; quantity: number }[], when: Timestamp): OrderCommandType => ({
      type: 'RequestRefund',
      orderId: id,
      refundId: refundId('r-1'),
      reason: reason('broken'),
      restock: false,
      lines: lines.map((l) => ({ sku: l.sku, quantity: quantity(l.quantity) })),
      at: when,
    });
    // main (2 mugs and the tee) shipped on day 1, east (2 mugs) on day 20
    const history = [
      placed(terms),
      planned,
      confirmed,
      shipmentShipped(MAIN, inDays(1)),
      shipmentShipped(EAST, inDays(20)),
      orderShipped(inDays(20)),
    ];

    it("counts a line's window from the shipment that carried it", () => {
      given(...history)
        .when(refundOf([{ sku: TEE, quantity: 1 }], inDays(25)))
        .thenState((_, events) => expect(events[0]?.type).to.equal('RefundRequested'));
      const error = given(...history)
        .when(refundOf([{ sku: TEE, quantity: 1 }], inDays(32)))
        .thenFails('RefundWindowClosed');
      expect(error.details).to.deep.include({ shippedAt: inDays(1) });
    });

    it('counts a line shipped from several warehouses from its last shipment', () => {
      given(...history)
        .when(refundOf([{ sku: MUG, quantity: 1 }], inDays(45)))
        .thenState((_, events) => expect(events[0]?.type).to.equal('RefundRequested'));
    });

    it('closes a refund of several lines with the first of their windows to close', () => {
      const error = given(...history)
        .when(
          refundOf(
            [
              { sku: MUG, quantity: 1 },
              { sku: TEE, quantity: 1 },
            ],
            inDays(45),
          ),
        )
        .thenFails('RefundWindowClosed');
      expect(error.details).to.deep.include({ shippedAt: inDays(1) });
    });

    it('has no window yet for the lines of a shipment not shipped', () => {
      given(placed(terms), planned, confirmed, shipmentShipped(EAST, inDays(1)))
        .when(refundOf([{ sku: TEE, quantity: 1 }], inDays(60)))
        .thenState((_, events) => expect(events[0]?.type).to.equal('RefundRequested'));
    });

    it('counts a whole-order refund from the last shipment that left', () => {
      const whole = (when: Timestamp): OrderCommandType => ({
        type: 'RequestRefund',
        orderId: id,
        refundId: refundId('r-1'),
        reason: reason('x'),
        restock: false,
        at: when,
      });
      given(...history)
        .when(whole(inDays(45)))
        .thenState((_, events) => expect(events[0]?.type).to.equal('RefundRequested'));
      given(...history)
        .when(whole(inDays(51)))
        .thenFails('RefundWindowClosed');
    });
  });

  describe('cash on delivery', () => {
    it('is delivered from partially shipped', () => {
      const cod = { ...placed(), tradeType: 'cod' as const };
      given(cod, planned, { type: 'OrderConfirmed', orderId: id, paid: eur(0), at: at(2) }, shipmentShipped(EAST))
        .when({ type: 'DeliverOrder', orderId: id, collected: eur(4500), at: at(6) })
        .thenState((state) => expect(statusOf(state)).to.equal('Delivered'));
    });
  });

  describe('its codecs', () => {
    for (const event of [planned, shipmentShipped(EAST)]) {
      it(`reads back a stored ${event.type} unchanged`, () => {
        const stored = orderEvents.encode(event);
        const reread = orderEvents.decode({ type: stored.type, data: JSON.parse(JSON.stringify(stored.data)) });
        expect(reread).to.deep.equal(E.right(event));
      });
    }

    it('names a bad warehouse of a ShipShipment', () => {
      const result = OrderCommand.decode({ type: 'ShipShipment', orderId: 'o-1', warehouse: '', at: at(1) });
      expect(E.isLeft(result) && describeErrors(result.left)).to.match(/^warehouse: /);
    });
  });
});
