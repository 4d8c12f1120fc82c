import { expect } from 'chai';
import { get, post, put, scenario, startTestApi, type TestApi } from '../api-spec';

const mug = put('/v1/skus/MUG-1', { name: 'Mug', unitPrice: { amount: 1250, currency: 'EUR' } });
const restock = (quantity: number, warehouse?: string) =>
  post('/v1/skus/MUG-1/restock', { quantity, ...(warehouse === undefined ? {} : { warehouse }) });
const adjust = (delta: number, warehouse?: string) =>
  post('/v1/skus/MUG-1/adjust', { delta, reason: 'count', ...(warehouse === undefined ? {} : { warehouse }) });

describe('stock per warehouse over HTTP', () => {
  let api: TestApi;
  beforeEach(async () => {
    api = await startTestApi();
  });
  afterEach(async () => {
    await api.close();
  });

  it('restocks the named warehouse, main when none is named, answering the levels per warehouse', async () => {
    await scenario(api)
      .given(mug, restock(2))
      .when(restock(3, 'east'))
      .then(200, (body) => {
        expect(body).to.include({ onHand: 5, reserved: 0, available: 5 });
        expect(body.warehouses).to.deep.equal({
          main: { onHand: 2, reserved: 0, available: 2 },
          east: { onHand: 3, reserved: 0, available: 3 },
        });
      });
  });

  it('adjusts the named warehouse and refuses to take it below zero though others hold more (422)', async () => {
    await scenario(api)
      .given(mug, restock(2), restock(3, 'east'))
      .when(adjust(-1, 'east'))
      .then(200, (body) => {
        expect(body.warehouses).to.deep.include({ east: { onHand: 2, reserved: 0, available: 2 } });
        expect(body).to.include({ onHand: 4 });
      });
    const refused = await scenario(api)
      .when(adjust(-3, 'main'))
      .thenProblem(422, '/problems/adjustment-below-reserved');
    expect(refused.body.details).to.deep.include({ warehouse: 'main', onHand: 2 });
  });

  it('names a bad warehouse in the body (400)', async () => {
    const response = await scenario(api)
      .given(mug)
      .when(restock(1, 'not a warehouse'))
      .thenProblem(400, '/problems/validation-failed');
    expect((response.body.errors as { field: string }[]).map((e) => e.field)).to.deep.equal(['warehouse']);
  });

  it('shows the levels per warehouse on GET /v1/skus/{sku}', async () => {
    await api.request(mug);
    await api.request(restock(2));
    const last = await api.request(restock(4, 'east'));
    await scenario(api)
      .when(get(`/v1/skus/MUG-1?minPosition=${String(last.body.position)}`))
      .then(200, (body) => {
        expect(body).to.include({ onHand: 6, available: 6 });
        expect(body.warehouses).to.deep.equal({
          main: { onHand: 2, reserved: 0, available: 2 },
          east: { onHand: 4, reserved: 0, available: 4 },
        });
      });
  });
});
