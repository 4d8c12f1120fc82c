import { expect } from 'chai';
import { post } from '../api-spec';
import { defineSku, given, placeOrder, startSagaApi, type SagaTestApi } from '../sagas/runner-harness';

const restockIn = (sku: string, quantity: number, warehouse?: string) =>
  post(`/v1/skus/${sku}/restock`, { quantity, ...(warehouse === undefined ? {} : { warehouse }) });
const ship = (orderId: string, warehouse?: string) =>
  post(`/v1/orders/${orderId}/ship`, warehouse === undefined ? {} : { warehouse });

describe('an order split over warehouses, through the engine over HTTP', () => {
  let api: SagaTestApi;
  beforeEach(async () => {
    api = await startSagaApi();
  });
  afterEach(async () => {
    await api.close();
  });

  const levels = async (sku: string) => (await api.sku(sku)).warehouses;

  it('reserves 4 mugs as 3 in east and 1 in main, ships them as two shipments, each committing its own', async () => {
    await given(api, defineSku('MUG-1', 1250), restockIn('MUG-1', 2), restockIn('MUG-1', 3, 'east'));
    await given(api, placeOrder('o-split', [{ sku: 'MUG-1', quantity: 4 }]));

    const confirmed = await api.order('o-split');
    expect(confirmed.status).to.equal('Confirmed');
    expect(confirmed.shipments).to.deep.equal([
      { warehouse: 'east', lines: [{ sku: 'MUG-1', quantity: 3 }] },
      { warehouse: 'main', lines: [{ sku: 'MUG-1', quantity: 1 }] },
    ]);
    expect(await levels('MUG-1')).to.deep.equal({
      main: { onHand: 2, reserved: 1, available: 1 },
      east: { onHand: 3, reserved: 3, available: 0 },
    });

    const first = await api.request(ship('o-split', 'east'));
    expect(first.status, JSON.stringify(first.body)).to.equal(202);
    expect(first.body.status).to.equal('PartiallyShipped');
    const partly = await api.order('o-split');
    expect(partly.status).to.equal('PartiallyShipped');
    expect(await levels('MUG-1')).to.deep.equal({
      main: { onHand: 2, reserved: 1, available: 1 },
      east: { onHand: 0, reserved: 0, available: 0 },
    });

    const unknown = await api.request(ship('o-split', 'west'));
    expect(unknown.status).to.equal(422);
    expect(unknown.body.type).to.equal('/problems/shipment-not-found');

    const last = await api.request(ship('o-split', 'main'));
    expect(last.status).to.equal(202);
    expect(last.body.status).to.equal('Shipped');
    const shipped = await api.order('o-split');
    expect(shipped.status).to.equal('Shipped');
    expect((shipped.shipments as { shippedAt?: string }[]).every((s) => s.shippedAt !== undefined)).to.equal(true);
    const sku = await api.sku('MUG-1');
    expect(sku).to.include({ onHand: 1, reserved: 0, available: 1 });
    expect(sku.warehouses).to.deep.equal({
      main: { onHand: 1, reserved: 0, available: 1 },
      east: { onHand: 0, reserved: 0, available: 0 },
    });
    // each warehouse's part committed by its own shipment (main's part is recorded without an allocation)
    const committed = (await api.stream('sku-MUG-1'))
      .filter((e) => e.type === 'ReservationCommitted.v1')
      .map((e) => e.data as { quantity: number; onHand: number; allocation?: unknown });
    expect(committed.map((c) => [c.quantity, c.onHand, c.allocation])).to.deep.equal([
      [3, 2, [{ warehouse: 'east', quantity: 3 }]],
      [1, 1, undefined],
    ]);
  });

  it('ships an order served by one warehouse whole, as before', async () => {
    await given(api, defineSku('MUG-1', 1250), restockIn('MUG-1', 2), restockIn('MUG-1', 5, 'east'));
    await given(api, placeOrder('o-east', [{ sku: 'MUG-1', quantity: 4 }]));
    const confirmed = await api.order('o-east');
    expect(confirmed.status).to.equal('Confirmed');
    expect(confirmed).not.to.have.property('shipments');
    const shipped = await api.request(ship('o-east'));
    expect(shipped.body.status).to.equal('Shipped');
    expect(await levels('MUG-1')).to.deep.equal({
      main: { onHand: 2, reserved: 0, available: 2 },
      east: { onHand: 1, reserved: 0, available: 1 },
    });
  });

  it('ships every shipment left when none is named', async () => {
    await given(api, defineSku('MUG-1', 1250), restockIn('MUG-1', 2), restockIn('MUG-1', 3, 'east'));
    await given(api, placeOrder('o-all', [{ sku: 'MUG-1', quantity: 5 }]));
    await api.order('o-all');
    const shipped = await api.request(ship('o-all'));
    expect(shipped.body.status).to.equal('Shipped');
    expect(await levels('MUG-1')).to.deep.equal({
      main: { onHand: 0, reserved: 0, available: 0 },
      east: { onHand: 0, reserved: 0, available: 0 },
    });
  });
});
