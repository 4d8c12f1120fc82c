import { expect } from 'chai';
import { post, scenario } from '../api-spec';
import { defineSku, given, placeOrder, restock, startSagaApi, type SagaTestApi } from './runner-harness';

const refund = (orderId: string, body: Record<string, unknown>) => post(`/v1/orders/${orderId}/refunds`, body);

describe('the saga runner refunding orders', () => {
  let api: SagaTestApi;
  beforeEach(async () => {
    api = await startSagaApi();
    await given(
      api,
      defineSku('MUG-1', 1250),
      defineSku('TEE-1', 2000),
      restock('MUG-1', 10),
      restock('TEE-1', 10),
      placeOrder('o-1', [
        { sku: 'MUG-1', quantity: 2 },
        { sku: 'TEE-1', quantity: 1 },
      ]),
    );
    expect(await api.order('o-1')).to.include({ status: 'Confirmed' });
    await given(api, post('/v1/orders/o-1/ship'));
    expect(await api.sku('MUG-1')).to.include({ onHand: 8, reserved: 0 });
  });
  afterEach(async () => {
    await api.close();
  });

  describe('a partial refund and then a full refund', () => {
    it('refunds each at the provider, restocks only the returned lines asked for, and ends Refunded', async () => {
      await given(api, refund('o-1', { lines: [{ sku: 'MUG-1', quantity: 1 }], reason: 'chipped', restock: true }));
      const partly = await api.order('o-1');
      expect(partly).to.include({ status: 'PartiallyRefunded' });
      expect(partly.refunded).to.deep.equal({ amount: 1250, currency: 'EUR' });
      expect(await api.sku('MUG-1')).to.include({ onHand: 9, available: 9 });

      // the rest of the money back, but the customer keeps the goods: nothing goes back on the shelf
      await given(api, refund('o-1', { reason: 'goodwill' }));
      const order = await api.order('o-1');
      expect(order).to.include({ status: 'Refunded' });
      expect(order.refunded).to.deep.equal({ amount: 4500, currency: 'EUR' });
      expect(order.refundsPending).to.deep.equal({ amount: 0, currency: 'EUR' });
      expect((order.refunds as { status: string }[]).map((r) => r.status)).to.deep.equal(['Completed', 'Completed']);
      expect(await api.sku('MUG-1')).to.include({ onHand: 9 });
      expect(await api.sku('TEE-1')).to.include({ onHand: 9 });
      expect(await api.count('sku-MUG-1', 'StockRestocked')).to.equal(2);
      expect(await api.count('sku-TEE-1', 'StockRestocked')).to.equal(1);

      const refunds = api.provider.ledger().filter((e) => e.kind === 'refunded');
      expect(refunds.map((e) => e.amount.amount)).to.deep.equal([1250, 3250]);
      const payment = await api.read('/v1/payments/o-1');
      expect(payment.status).to.equal('Refunded');
      expect(await api.count('payment-o-1', 'PaymentRefunded')).to.equal(2);
    });
  });

  describe('a refund above what is left to refund', () => {
    it('is rejected with 422 and moves no money', async () => {
      await given(api, refund('o-1', { amount: { amount: 4000, currency: 'EUR' }, reason: 'late delivery' }));
      await api.settle();
      await scenario(api)
        .when(refund('o-1', { amount: { amount: 501, currency: 'EUR' }, reason: 'more' }))
        .thenProblem(422, '/problems/refund-exceeds-paid');
      await api.settle();
      expect(api.provider.ledger().filter((e) => e.kind === 'refunded')).to.have.length(1);
      const order = await api.order('o-1');
      expect(order).to.include({ status: 'PartiallyRefunded' });
      expect(order.refunded).to.deep.equal({ amount: 4000, currency: 'EUR' });
    });
  });
});
