import { expect } from 'chai';
import { readOrderSaga } from '../../projections/sagas/projection';
import { post } from '../api-spec';
import { defineSku, given, placeOrder, restock, startSagaApi, type SagaTestApi } from './runner-harness';

const minutes = (n: number): number => n * 60_000;

describe('the saga runner fulfilling orders', () => {
  let api: SagaTestApi;
  afterEach(async () => {
    await api.close();
  });

  describe('when the payment is approved', () => {
    beforeEach(async () => {
      api = await startSagaApi();
      await given(
        api,
        defineSku('MUG-1', 1250),
        restock('MUG-1', 10),
        placeOrder('o-1', [{ sku: 'MUG-1', quantity: 2 }]),
      );
    });

    it('confirms the order by itself and captures the payment', async () => {
      const order = await api.order('o-1');
      expect(order).to.include({ status: 'Confirmed' });
      expect(order.paid).to.deep.equal({ amount: 2500, currency: 'EUR' });
      expect(api.provider.ledger().map((e) => e.kind)).to.deep.equal(['authorized', 'captured']);
      expect(await api.sku('MUG-1')).to.include({ onHand: 10, reserved: 2, available: 8 });
    });

    it('commits the stock when the order ships: on hand drops and nothing stays reserved', async () => {
      await api.settle();
      await given(api, post('/v1/orders/o-1/ship'));
      expect(await api.sku('MUG-1')).to.include({ onHand: 8, reserved: 0, available: 8 });
      expect(await api.count('sku-MUG-1', 'ReservationCommitted')).to.equal(1);
      expect(await api.order('o-1')).to.include({ status: 'Shipped' });
    });

    it('shows the saga state with the order: step, no deadline left, no error', async () => {
      await api.settle();
      const head = await api.store.headPosition();
      expect(await api.engine.projections.waitFor('order_sagas', head, 5_000)).to.equal(true);
      const saga = await readOrderSaga(api.engine.readStore, 'o-1');
      expect(saga).to.deep.include({
        orderId: 'o-1',
        sagaStatus: 'Confirmed',
        step: 'paid, waiting for shipment',
        lastError: null,
      });
      expect(saga?.deadlines).to.deep.equal([]);
      // …and the read API shows it with the order detail
      const detail = (await fetch(`${api.url}/v1/orders/o-1`).then((r) => r.json())) as {
        saga?: Record<string, unknown>;
      };
      expect(detail.saga).to.deep.include({
        sagaStatus: 'Confirmed',
        step: 'paid, waiting for shipment',
        lastError: null,
      });
    });
  });

  describe('operations', () => {
    it('reports saga work, timers and dead letters in /metrics', async () => {
      api = await startSagaApi();
      await given(
        api,
        defineSku('MUG-1', 1250),
        restock('MUG-1', 1),
        placeOrder('o-9', [{ sku: 'MUG-1', quantity: 1 }]),
      );
      await api.settle();
      const metrics = await fetch(`${api.url}/metrics`).then((r) => r.text());
      expect(metrics).to.contain('# TYPE dead_letters gauge');
      expect(metrics).to.match(/^saga_timers 0$/m);
      expect(metrics).to.match(/^saga_work_in_flight 0$/m);
      expect(metrics).to.match(/^saga_commands_total\{target="order",outcome="accepted"\} 1$/m);
      expect(metrics).to.match(/^saga_inputs_total\{saga="fulfilment",outcome="applied"\} \d+$/m);
    });
  });

  describe('when the card is declined', () => {
    it('cancels the order as payment_declined and puts the stock back', async () => {
      api = await startSagaApi();
      await given(
        api,
        defineSku('MUG-1', 1250),
        restock('MUG-1', 10),
        placeOrder('o-2', [{ sku: 'MUG-1', quantity: 3 }], 'tok_decline'),
      );
      expect(await api.order('o-2')).to.include({ status: 'Cancelled', cancelReason: 'payment_declined' });
      expect(await api.sku('MUG-1')).to.include({ onHand: 10, reserved: 0, available: 10 });
      expect(await api.count('payment-o-2', 'PaymentDeclined')).to.equal(1);
      expect(await api.count('payment-o-2', 'PaymentVoided')).to.equal(0);
      expect(api.provider.ledger()).to.deep.equal([]);
    });
  });

  describe('when one line of three is out of stock', () => {
    it('cancels the order as out_of_stock and releases the other two reservations', async () => {
      api = await startSagaApi();
      await given(
        api,
        defineSku('MUG-1', 1000),
        defineSku('TEE-1', 2000),
        defineSku('CAP-1', 1500),
        restock('MUG-1', 5),
        restock('TEE-1', 5),
        restock('CAP-1', 1),
        placeOrder('o-3', [
          { sku: 'MUG-1', quantity: 2 },
          { sku: 'TEE-1', quantity: 1 },
          { sku: 'CAP-1', quantity: 2 },
        ]),
      );
      expect(await api.order('o-3')).to.include({ status: 'Cancelled', cancelReason: 'out_of_stock' });
      for (const [sku, onHand] of [
        ['MUG-1', 5],
        ['TEE-1', 5],
        ['CAP-1', 1],
      ] as const) {
        expect(await api.sku(sku), sku).to.include({ onHand, reserved: 0, available: onHand });
      }
      expect(await api.count('sku-MUG-1', 'ReservationReleased')).to.equal(1);
      expect(await api.count('sku-TEE-1', 'ReservationReleased')).to.equal(1);
      expect(await api.count('sku-CAP-1', 'StockReserved')).to.equal(0);
      // no payment was ever asked for
      expect(await api.stream('payment-o-3')).to.have.length(0);
    });
  });

  describe('when the provider is slow past the payment timeout', () => {
    it('cancels the order as payment_timeout, voids the late approval and releases the stock', async () => {
      api = await startSagaApi({ settings: { paymentTimeoutMs: minutes(15), reservationTtlMs: minutes(30) } });
      await given(
        api,
        defineSku('MUG-1', 1250),
        restock('MUG-1', 10),
        placeOrder('o-4', [{ sku: 'MUG-1', quantity: 1 }], 'tok_slow'),
      );
      await api.gate.called;
      expect(await api.sagas.tick(), 'nothing is due before the timeout').to.equal(0);
      api.clock.advance(minutes(15));
      expect(await api.sagas.tick()).to.equal(1);
      // the provider answers only now, after the payment was voided
      api.gate.release();
      const order = await api.order('o-4');
      expect(order).to.include({ status: 'Cancelled', cancelReason: 'payment_timeout' });
      expect(await api.sku('MUG-1')).to.include({ onHand: 10, reserved: 0, available: 10 });
      expect(await api.count('payment-o-4', 'PaymentVoided')).to.equal(1);
      const payment = await api.read('/v1/payments/o-4');
      expect(payment.status).to.equal('Voided');
      // the late approval was released at the provider too: no money stays held
      expect(api.provider.ledger().map((e) => e.kind)).to.deep.equal(['authorized', 'voided']);
      expect(await api.sagas.state.timersOf('saga-fulfilment-o-4')).to.deep.equal([]);
    });

    it('ignores a second tick: the timeout fires once', async () => {
      api = await startSagaApi();
      await given(
        api,
        defineSku('MUG-1', 1250),
        restock('MUG-1', 10),
        placeOrder('o-5', [{ sku: 'MUG-1', quantity: 1 }], 'tok_slow'),
      );
      await api.gate.called;
      api.clock.advance(minutes(16));
      expect(await api.sagas.tick()).to.equal(1);
      expect(await api.sagas.tick()).to.equal(0);
      api.gate.release();
      await api.settle();
      expect(await api.count('saga-fulfilment-o-5', 'CompensationStarted')).to.equal(1);
      expect(await api.count('order-o-5', 'OrderCancelled')).to.equal(1);
    });
  });

  describe('when the provider fails and then recovers', () => {
    it('retries the authorization after the backoff and confirms the order', async () => {
      api = await startSagaApi({ provider: { errorSucceedsAfter: 1 } });
      await given(
        api,
        defineSku('MUG-1', 1250),
        restock('MUG-1', 10),
        placeOrder('o-6', [{ sku: 'MUG-1', quantity: 1 }], 'tok_error'),
      );
      await api.settle();
      expect(await api.count('payment-o-6', 'PaymentAuthorizationFailed')).to.equal(1);
      const timers = (await api.sagas.state.timersOf('saga-fulfilment-o-6')).map((t) => t.deadlineId);
      expect(timers).to.have.members(['payment-timeout', 'authorization-retry-1']);
      api.clock.advance(999);
      expect(await api.sagas.tick(), 'the backoff has not passed yet').to.equal(0);
      api.clock.advance(1);
      expect(await api.sagas.tick()).to.equal(1);
      expect(await api.order('o-6')).to.include({ status: 'Confirmed' });
      expect(await api.count('payment-o-6', 'PaymentAuthorized')).to.equal(1);
      expect(await api.sagas.state.timersOf('saga-fulfilment-o-6')).to.deep.equal([]);
    });

    it('gives up as payment_error once the retries are used up', async () => {
      api = await startSagaApi({ settings: { providerRetries: 1, providerBackoffMs: [1_000] } });
      await given(
        api,
        defineSku('MUG-1', 1250),
        restock('MUG-1', 10),
        placeOrder('o-7', [{ sku: 'MUG-1', quantity: 1 }], 'tok_error'),
      );
      await api.settle();
      api.clock.advance(1_000);
      expect(await api.sagas.tick()).to.equal(1);
      const order = await api.order('o-7');
      expect(order).to.include({ status: 'Cancelled', cancelReason: 'payment_error' });
      expect(await api.count('payment-o-7', 'PaymentAuthorizationFailed')).to.equal(2);
      expect(await api.sku('MUG-1')).to.include({ reserved: 0, available: 10 });
      await api.engine.projections.waitFor('order_sagas', await api.store.headPosition(), 5_000);
      const saga = await readOrderSaga(api.engine.readStore, 'o-7');
      expect(saga?.sagaStatus).to.equal('Cancelled');
      expect(saga?.lastError).to.match(/attempt 2 failed: simulated provider error/);
    });
  });

  describe('when the customer cancels after confirmation', () => {
    it('refunds the capture and releases the stock', async () => {
      api = await startSagaApi();
      await given(
        api,
        defineSku('MUG-1', 1250),
        restock('MUG-1', 10),
        placeOrder('o-8', [{ sku: 'MUG-1', quantity: 4 }]),
      );
      expect(await api.order('o-8')).to.include({ status: 'Confirmed' });
      await given(api, post('/v1/orders/o-8/cancel', { reason: 'changed my mind' }));
      const order = await api.order('o-8');
      expect(order).to.include({ status: 'Cancelled', cancelReason: 'changed my mind' });
      expect(await api.sku('MUG-1')).to.include({ onHand: 10, reserved: 0, available: 10 });
      const refunds = (await api.stream('payment-o-8')).filter((e) => e.type === 'PaymentRefunded.v1');
      expect(refunds.map((e) => e.data)).to.deep.equal([
        {
          type: 'PaymentRefunded',
          orderId: 'o-8',
          refundId: 'order-cancellation',
          amount: { amount: 5000, currency: 'EUR' },
          providerRefundId: (refunds[0]?.data as { providerRefundId: string }).providerRefundId,
          at: '2026-03-01T10:00:00.000Z',
        },
      ]);
      expect(api.provider.ledger().map((e) => [e.kind, e.amount.amount])).to.deep.equal([
        ['authorized', 5000],
        ['captured', 5000],
        ['refunded', 5000],
      ]);
      const payment = await api.read('/v1/payments/o-8');
      expect(payment.status).to.equal('Refunded');
    });
  });
});
