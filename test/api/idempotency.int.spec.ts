import { expect } from 'chai';
import { post, put, scenario, startTestApi, type TestApi } from '../api-spec';

const key = (value: string) => ({ 'Idempotency-Key': value });
const mug = put('/v1/skus/MUG-1', { name: 'Mug', unitPrice: { amount: 1250, currency: 'EUR' } });
const restock = (quantity: number, headers?: Record<string, string>) =>
  post('/v1/skus/MUG-1/restock', { quantity }, headers);
const place = (quantity: number, headers?: Record<string, string>) =>
  post(
    '/v1/orders',
    { customerId: 'cust-1', lines: [{ sku: 'MUG-1', quantity }], payment: { token: 'tok_approve' } },
    headers,
  );

describe('a repeated Idempotency-Key', () => {
  let api: TestApi;
  beforeEach(async () => {
    api = await startTestApi();
  });
  afterEach(async () => {
    await api.close();
  });

  describe('with a different body', () => {
    it('is refused with 422 naming the key, and appends nothing', async () => {
      await scenario(api)
        .given(mug, restock(10), place(1, key('checkout-9')))
        .when(mug)
        .then(200);
      const head = await api.store.headPosition();
      const refused = await scenario(api)
        .when(place(2, key('checkout-9')))
        .thenProblem(422, '/problems/idempotency-key-mismatch');
      expect(refused.body.detail).to.contain('checkout-9');
      expect(refused.body.details).to.deep.equal({ idempotencyKey: 'checkout-9' });
      expect(await api.store.headPosition()).to.equal(head);
    });

    it('is refused on another route too', async () => {
      await scenario(api)
        .given(mug, restock(5, key('stock-1')))
        .when(post('/v1/skus/MUG-1/adjust', { delta: -1, reason: 'count' }, key('stock-1')))
        .thenProblem(422, '/problems/idempotency-key-mismatch');
    });
  });

  describe('with the same body', () => {
    it('treats the body with its fields in another order as the same request', async () => {
      const first = await scenario(api)
        .given(mug, restock(10))
        .when(place(1, key('checkout-3')))
        .then(202);
      const reordered = post(
        '/v1/orders',
        { payment: { token: 'tok_approve' }, lines: [{ quantity: 1, sku: 'MUG-1' }], customerId: 'cust-1' },
        key('checkout-3'),
      );
      const second = await scenario(api).when(reordered).then(202);
      expect(second.body).to.deep.equal(first.body);
    });

    it('answers the first status and body, not the order as it is now', async () => {
      const first = await scenario(api)
        .given(mug, restock(10))
        .when(place(1, key('checkout-5')))
        .then(202);
      expect(first.body.status).to.equal('Placed');
      const orderId = String(first.body.orderId);
      await scenario(api)
        .when(post(`/v1/orders/${orderId}/cancel`, { reason: 'changed my mind' }))
        .then(202, (body) => expect(body.status).to.equal('Cancelled'));
      const repeat = await scenario(api)
        .when(place(1, key('checkout-5')))
        .then(202);
      expect(repeat.body).to.deep.equal(first.body);
    });

    it('answers 201 again for a catalogue entry the first request created', async () => {
      const create = put('/v1/skus/CUP-1', { name: 'Cup', unitPrice: { amount: 900, currency: 'EUR' } }, key('cup'));
      const first = await scenario(api).when(create).then(201);
      await scenario(api)
        .given(post('/v1/skus/CUP-1/restock', { quantity: 3 }))
        .when(create)
        .then(201, (body) => {
          expect(body).to.deep.equal(first.body);
          expect(body.onHand).to.equal(0);
        });
    });

    it('answers the stock levels as the first restock left them', async () => {
      const first = await scenario(api)
        .given(mug)
        .when(restock(4, key('restock-4')))
        .then(200);
      await scenario(api)
        .given(restock(6))
        .when(restock(4, key('restock-4')))
        .then(200, (body) => {
          expect(body).to.deep.equal(first.body);
          expect(body.onHand).to.equal(4);
        });
    });
  });
});
