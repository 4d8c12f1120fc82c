import { expect } from 'chai';
import { ordersProjection, type OrderDoc, type PlacedOrderDoc } from '../../projections/orders/projection';
import { eventLog, givenProjection } from '../projection-spec';
import { O1, at, orderConfirmed, orderPlaced, orderShipped, shipmentShipped, shipmentsPlanned } from './fixtures';

const given = givenProjection(ordersProjection);

const placedDoc = (doc: OrderDoc): PlacedOrderDoc => {
  if (doc.status === null) return expect.fail('expected a placed order');
  return doc;
};

describe('the orders projection of an order split into shipments', () => {
  const log = eventLog();
  const split = log(orderPlaced(), shipmentsPlanned({ warehouses: ['east', 'main'] }), orderConfirmed());

  it('shows the planned shipments, none shipped', () => {
    given(...split).thenDocument(O1, (doc) => {
      const order = placedDoc(doc);
      expect(order.status).to.equal('Confirmed');
      expect(order.shipments?.map((s) => [s.warehouse, s.shippedAt])).to.deep.equal([
        ['east', undefined],
        ['main', undefined],
      ]);
    });
  });

  it("is PartiallyShipped once one shipment left, with that shipment's time", () => {
    given(...split, ...log(shipmentShipped({ warehouse: 'east', at: at(12) }))).thenDocument(O1, (doc) => {
      const order = placedDoc(doc);
      expect(order.status).to.equal('PartiallyShipped');
      expect(order.shippedAt).to.equal(at(12));
      expect(order.shipments?.map((s) => [s.warehouse, s.shippedAt])).to.deep.equal([
        ['east', at(12)],
        ['main', undefined],
      ]);
    });
  });

  it('is Shipped when the last shipment left, keeping the first shipment as its shipping time', () => {
    const more = log(
      shipmentShipped({ warehouse: 'east', at: at(12) }),
      shipmentShipped({ warehouse: 'main', at: at(14) }),
      orderShipped({ at: at(14) }),
    );
    given(...split, ...more).thenDocument(O1, (doc) => {
      const order = placedDoc(doc);
      expect(order.status).to.equal('Shipped');
      expect(order.shippedAt).to.equal(at(12));
      expect(order.shipments?.every((s) => s.shippedAt !== undefined)).to.equal(true);
      expect(order.timeline.map((t) => t.summary)).to.include.members([
        'Split into 2 shipments: east, main',
        'Shipment from east shipped',
      ]);
    });
  });

  it('shows no shipments for an order shipped whole', () => {
    const whole = eventLog();
    given(...whole(orderPlaced(), orderConfirmed(), orderShipped())).thenDocument(O1, (doc) => {
      expect(placedDoc(doc)).not.to.have.property('shipments');
    });
  });
});
