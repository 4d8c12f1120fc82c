import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { get, post, put, type ApiRequest, type ApiResponse } from '../api-spec';
import { startSagaApi, type SagaTestApi } from '../sagas/runner-harness';

const SHOP_KEY = 'shop-key-0001';
const ADMIN_KEY = 'admin-key-001';

/** The harness clock starts on 2026-03-01: the pre-sale's balance is due from the 5th until the 10th. */
const channelsFile = (lateBalance: 'keepDeposit' | 'refundDeposit') => `
shop:
  name: Shop with every trade type
  tradeTypes: [standard, presale, cod]
  currencies: [EUR]
  paymentTimeoutMs: 600000
  reservationTtlMs: 1200000
  promotions: []
  partialRefunds: true
  refundWindowDays: 30
  cod: { maxAmount: 10000, currency: EUR }
  presale:
    depositBasisPoints: 2500
    balanceFrom: '2026-03-05T00:00:00.000Z'
    balanceUntil: '2026-03-10T00:00:00.000Z'
    lateBalance: ${lateBalance}
`;

const as = (key: string, request: ApiRequest): ApiRequest => ({
  ...request,
  headers: { ...request.headers, authorization: `Bearer ${key}` },
});
const eur = (amount: number) => ({ amount, currency: 'EUR' });

/** 2 mugs at 10.00 and a tee at 20.00: 40.00 EUR. */
const order = (orderId: string, tradeType: string, token = 'tok_approve') =>
  post('/v1/orders', {
    orderId,
    customerId: `cust-${orderId}`,
    lines: [
      { sku: 'MUG-1', quantity: 2 },
      { sku: 'TEE-1', quantity: 1 },
    ],
    payment: { token },
    tradeType,
  });

describe('pre-sale and cash on delivery through the engine, over HTTP', () => {
  let api: SagaTestApi;
  let dir: string;

  const send = async (key: string, request: ApiRequest, status: number): Promise<ApiResponse> => {
    const response = await api.request(as(key, request));
    expect(response.status, `${request.method} ${request.path}: ${JSON.stringify(response.body)}`).to.equal(status);
    return response;
  };
  const problem = async (request: ApiRequest, status: number, type: string): Promise<void> => {
    const response = await send(SHOP_KEY, request, status);
    expect(response.contentType).to.match(/^application\/problem\+json/);
    expect(response.body.type).to.equal(type);
  };
  const read = async (path: string) => {
    const head = await api.settle();
    return (await send(ADMIN_KEY, get(path, { 'X-Min-Position': String(head) }), 200)).body;
  };
  const stockOf = async (sku: string) => {
    const body = await read(`/v1/skus/${sku}`);
    return { onHand: body.onHand, reserved: body.reserved };
  };

  const start = async (lateBalance: 'keepDeposit' | 'refundDeposit' = 'keepDeposit') => {
    dir = mkdtempSync(join(tmpdir(), 'trade-types-'));
    const file = join(dir, 'channels.yaml');
    writeFileSync(file, channelsFile(lateBalance));
    api = await startSagaApi({
      env: {
        CHANNELS: file,
        API_KEYS: [`${SHOP_KEY}=orders:write,refunds:write,read@shop`, `${ADMIN_KEY}=admin`].join(';'),
      },
    });
    for (const request of [
      put('/v1/skus/MUG-1', { name: 'Mug', unitPrice: eur(1000) }),
      put('/v1/skus/TEE-1', { name: 'Tee', unitPrice: eur(2000) }),
      post('/v1/skus/MUG-1/restock', { quantity: 10 }),
      post('/v1/skus/TEE-1/restock', { quantity: 10 }),
    ]) {
      await send(ADMIN_KEY, request, request.method === 'PUT' ? 201 : 200);
    }
  };

  afterEach(async () => {
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('cash on delivery', () => {
    beforeEach(() => start());

    it('is confirmed unpaid, delivered for its total in cash, then refunded in cash', async () => {
      await send(SHOP_KEY, order('cod-1', 'cod'), 202);
      const confirmed = await read('/v1/orders/cod-1');
      expect(confirmed).to.include({ status: 'Confirmed', tradeType: 'cod', channel: 'shop' });
      expect(confirmed.paid).to.deep.equal(eur(0));
      expect(confirmed.payment).to.equal(null);
      expect(await stockOf('MUG-1')).to.deep.equal({ onHand: 10, reserved: 2 });

      await problem(
        post('/v1/orders/cod-1/deliver', { collected: eur(3999) }),
        422,
        '/problems/collected-amount-mismatch',
      );
      await send(SHOP_KEY, post('/v1/orders/cod-1/deliver', { collected: eur(4000) }), 202);
      const delivered = await read('/v1/orders/cod-1');
      expect(delivered).to.include({ status: 'Delivered' });
      expect(delivered.paid).to.deep.equal(eur(4000));
      expect(delivered.payment).to.include({ status: 'Captured', method: 'cash' });
      expect(await stockOf('MUG-1')).to.deep.equal({ onHand: 8, reserved: 0 });
      const payment = await read('/v1/payments/cod-1');
      expect(payment).to.include({ status: 'Captured' });

      await send(SHOP_KEY, post('/v1/orders/cod-1/refunds', { reason: 'scratched', amount: eur(1000) }), 202);
      const refunded = await read('/v1/orders/cod-1');
      expect(refunded).to.include({ status: 'PartiallyRefunded' });
      expect(refunded.refunded).to.deep.equal(eur(1000));
      expect(api.provider.ledger().filter((entry) => entry.orderId === 'cod-1')).to.deep.equal([]);
    });

    it('releases the stock and closes the order when the delivery is refused', async () => {
      await send(SHOP_KEY, order('cod-2', 'cod'), 202);
      await read('/v1/orders/cod-2');
      await send(SHOP_KEY, post('/v1/orders/cod-2/ship', {}), 202);
      await send(SHOP_KEY, post('/v1/orders/cod-2/delivery-refused', { reason: 'not at home' }), 202);
      const refused = await read('/v1/orders/cod-2');
      expect(refused).to.include({ status: 'Cancelled', cancelReason: 'delivery_refused' });
      expect(await stockOf('MUG-1')).to.deep.equal({ onHand: 10, reserved: 0 });
      await problem(post('/v1/orders/cod-2/deliver', { collected: eur(4000) }), 409, '/problems/order-cancelled');
    });

    it('refuses delivery routes on an order that is not cash on delivery', async () => {
      await send(SHOP_KEY, order('std-1', 'standard'), 202);
      await read('/v1/orders/std-1');
      await problem(post('/v1/orders/std-1/deliver', { collected: eur(4000) }), 422, '/problems/not-cash-on-delivery');
    });
  });

  describe('a pre-sale', () => {
    it('takes the deposit, refuses the balance outside its window, and is confirmed once the balance is paid', async () => {
      await start();
      await send(SHOP_KEY, order('pre-1', 'presale'), 202);
      const waiting = await read('/v1/orders/pre-1');
      expect(waiting).to.include({ status: 'AwaitingBalance', tradeType: 'presale' });
      expect(waiting.presale).to.deep.include({ deposit: eur(1000), balanceUntil: '2026-03-10T00:00:00.000Z' });
      expect(waiting.payment).to.include({ status: 'Captured' });

      await problem(
        post('/v1/orders/pre-1/balance', { payment: { token: 'tok_approve' } }),
        422,
        '/problems/balance-window-not-open',
      );
      api.clock.set('2026-03-06T00:00:00.000Z');
      // a declined card leaves the window open for another try
      await send(SHOP_KEY, post('/v1/orders/pre-1/balance', { payment: { token: 'tok_decline' } }), 202);
      expect(await read('/v1/orders/pre-1')).to.include({ status: 'AwaitingBalance' });
      await send(SHOP_KEY, post('/v1/orders/pre-1/balance', { payment: { token: 'tok_approve' } }), 202);
      const confirmed = await read('/v1/orders/pre-1');
      expect(confirmed).to.include({ status: 'Confirmed' });
      expect(confirmed.paid).to.deep.equal(eur(4000));
      expect(confirmed.payment).to.deep.include({ captured: eur(4000) });
      await problem(
        post('/v1/orders/pre-1/balance', { payment: { token: 'tok_approve' } }),
        409,
        '/problems/balance-already-paid',
      );
      expect(await stockOf('MUG-1')).to.deep.equal({ onHand: 10, reserved: 2 });
    });

    it('cancels at balanceUntil when the balance is not paid, refunding the deposit per the terms', async () => {
      await start('refundDeposit');
      await send(SHOP_KEY, order('pre-2', 'presale'), 202);
      expect(await read('/v1/orders/pre-2')).to.include({ status: 'AwaitingBalance' });
      api.clock.set('2026-03-10T00:00:00.000Z');
      await problem(
        post('/v1/orders/pre-2/balance', { payment: { token: 'tok_approve' } }),
        422,
        '/problems/balance-window-closed',
      );
      expect(await api.sagas.tick()).to.equal(1);
      const cancelled = await read('/v1/orders/pre-2');
      expect(cancelled).to.include({ status: 'Cancelled', cancelReason: 'balance_not_paid' });
      expect(cancelled.refunded).to.deep.equal(eur(1000));
      expect(await stockOf('MUG-1')).to.deep.equal({ onHand: 10, reserved: 0 });
    });

    it('is refused at placement once the balance window of its channel has ended, naming balanceUntil', async () => {
      await start();
      await send(SHOP_KEY, order('pre-late-0', 'presale'), 202);
      api.clock.set('2026-03-10T00:00:00.000Z');
      const refused = await send(SHOP_KEY, order('pre-late-1', 'presale'), 422);
      expect(refused.contentType).to.match(/^application\/problem\+json/);
      expect(refused.body).to.deep.include({ type: '/problems/presale-closed', status: 422 });
      expect(String(refused.body.detail)).to.include('2026-03-10T00:00:00.000Z');
      // nothing was recorded for it, and the channel still takes standard orders
      expect(await api.stream('order-pre-late-1')).to.deep.equal([]);
      await send(SHOP_KEY, order('std-late-1', 'standard'), 202);
      expect(await read('/v1/orders/std-late-1')).to.include({ status: 'Confirmed' });
    });

    it('keeps the balance deadline across a runner restart', async () => {
      await start('keepDeposit');
      await send(SHOP_KEY, order('pre-3', 'presale'), 202);
      expect(await read('/v1/orders/pre-3')).to.include({ status: 'AwaitingBalance' });
      await api.sagas.restart();
      api.clock.set('2026-03-10T00:00:01.000Z');
      expect(await api.sagas.tick()).to.equal(1);
      const cancelled = await read('/v1/orders/pre-3');
      expect(cancelled).to.include({ status: 'Cancelled', cancelReason: 'balance_not_paid' });
      // the deposit is kept: nothing went back
      expect(cancelled.refunded).to.deep.equal(eur(0));
      expect(cancelled.payment).to.deep.include({ captured: eur(1000), refunded: eur(0) });
      expect(await stockOf('TEE-1')).to.deep.equal({ onHand: 10, reserved: 0 });
    });
  });
});
