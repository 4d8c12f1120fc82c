import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { get, post, put, type ApiRequest, type ApiResponse } from '../api-spec';
import { startSagaApi, type SagaTestApi } from '../sagas/runner-harness';

const MALL_KEY = 'mall-key-0001';
const POS_KEY = 'pos-key-00001';
const MULTI_KEY = 'multi-key-001';
const ADMIN_KEY = 'admin-key-001';

const minutes = (n: number): number => n * 60_000;

/** Two front ends of one engine: a brand mall and a point of sale, configured differently. */
const channelsFile = `
mall:
  name: Brand mall
  tradeTypes: [standard, cod]
  currencies: [EUR]
  paymentTimeoutMs: ${minutes(10)}
  reservationTtlMs: ${minutes(20)}
  promotions: [mall-10]
  partialRefunds: true
  refundWindowDays: 30
  cod: { maxAmount: 10000, currency: EUR }
pos:
  name: Point of sale
  tradeTypes: [standard]
  currencies: []
  paymentTimeoutMs: ${minutes(2)}
  reservationTtlMs: ${minutes(5)}
  promotions: []
  partialRefunds: false
  refundWindowDays: 1
`;

const as = (key: string, request: ApiRequest): ApiRequest => ({
  ...request,
  headers: { ...request.headers, authorization: `Bearer ${key}` },
});

const eur = (amount: number) => ({ amount, currency: 'EUR' });
const mugs = (quantity: number) => [{ sku: 'MUG-1', quantity }];
const order = (orderId: string, extra: Record<string, unknown> = {}, quantity = 2) =>
  post('/v1/orders', {
    orderId,
    customerId: `cust-${orderId}`,
    lines: [...mugs(quantity), { sku: 'TEE-1', quantity: 1 }],
    payment: { token: 'tok_approve' },
    ...extra,
  });
const quote = (extra: Record<string, unknown> = {}) =>
  post('/v1/quotes', { customerId: 'cust-q', lines: mugs(2), ...extra });

describe('two channels configured differently, side by side in one engine', () => {
  let api: SagaTestApi;
  let dir: string;

  const send = async (key: string, request: ApiRequest, status: number): Promise<ApiResponse> => {
    const response = await api.request(as(key, request));
    expect(response.status, `${request.method} ${request.path}: ${JSON.stringify(response.body)}`).to.equal(status);
    return response;
  };
  const problem = async (key: string, request: ApiRequest, status: number, type: string): Promise<ApiResponse> => {
    const response = await send(key, request, status);
    expect(response.contentType).to.match(/^application\/problem\+json/);
    expect(response.body.type).to.equal(type);
    return response;
  };
  const fulfilmentStarted = async (orderId: string) => {
    await api.settle();
    const started = (await api.stream(`saga-fulfilment-${orderId}`)).find((e) =>
      e.type.startsWith('FulfilmentStarted'),
    );
    return started?.data as { paymentTimeout: { dueAt: string }; reservationExpiresAt: string; at: string };
  };
  const readOrder = async (orderId: string) => {
    const head = await api.settle();
    const response = await send(ADMIN_KEY, get(`/v1/orders/${orderId}`, { 'X-Min-Position': String(head) }), 200);
    return response.body;
  };

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'channels-'));
    const file = join(dir, 'channels.yaml');
    writeFileSync(file, channelsFile);
    api = await startSagaApi({
      env: {
        CHANNELS: file,
        API_KEYS: [
          `${MALL_KEY}=orders:write,refunds:write,read@mall`,
          `${POS_KEY}=orders:write,refunds:write,read@pos`,
          `${MULTI_KEY}=orders:write@mall|pos`,
          `${ADMIN_KEY}=admin`,
        ].join(';'),
      },
    });
    for (const request of [
      put('/v1/skus/MUG-1', { name: 'Mug', unitPrice: eur(1000) }),
      put('/v1/skus/TEE-1', { name: 'Tee', unitPrice: eur(2000) }),
      post('/v1/skus/MUG-1/restock', { quantity: 100 }),
      post('/v1/skus/TEE-1/restock', { quantity: 100 }),
      put('/v1/promotions/mall-10', {
        name: 'Mall ten percent',
        currency: 'EUR',
        validFrom: '2026-01-01T00:00:00.000Z',
        priority: 10,
        rule: { kind: 'PercentOff', basisPoints: 1000 },
      }),
    ]) {
      await send(ADMIN_KEY, request, request.method === 'PUT' ? 201 : 200);
    }
  });
  afterEach(async () => {
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists both channels from the CHANNELS file to an admin', async () => {
    const { body } = await send(ADMIN_KEY, get('/v1/admin/channels'), 200);
    const channels = body.channels as { channelId: string; builtIn: boolean; partialRefunds: boolean }[];
    expect(channels.map((c) => [c.channelId, c.builtIn, c.partialRefunds])).to.deep.equal([
      ['mall', false, true],
      ['pos', false, false],
    ]);
    await send(MALL_KEY, get('/v1/admin/channels'), 403);
  });

  it("gives the same order each channel's payment timeout and reservation TTL, as the saga's deadlines show", async () => {
    const placedAt = Date.parse(api.clock.now().toISOString());
    await send(MALL_KEY, order('o-mall'), 202);
    await send(POS_KEY, order('o-pos'), 202);
    const mall = await fulfilmentStarted('o-mall');
    const pos = await fulfilmentStarted('o-pos');
    expect(Date.parse(mall.paymentTimeout.dueAt) - placedAt).to.equal(minutes(10));
    expect(Date.parse(mall.reservationExpiresAt) - placedAt).to.equal(minutes(20));
    expect(Date.parse(pos.paymentTimeout.dueAt) - placedAt).to.equal(minutes(2));
    expect(Date.parse(pos.reservationExpiresAt) - placedAt).to.equal(minutes(5));
    expect(await readOrder('o-mall')).to.include({ channel: 'mall', tradeType: 'standard', status: 'Confirmed' });
    expect(await readOrder('o-pos')).to.include({ channel: 'pos', tradeType: 'standard', status: 'Confirmed' });
  });

  it('lists the orders of one channel or trade type, and counts sales per channel', async () => {
    await send(MALL_KEY, order('o-mall-1'), 202);
    await send(MALL_KEY, order('o-mall-2'), 202);
    await send(POS_KEY, order('o-pos'), 202);
    const head = String(await api.settle());
    const listed = async (query: string) => {
      const { body } = await send(ADMIN_KEY, get(`/v1/orders?${query}`, { 'X-Min-Position': head }), 200);
      return (body.items as { orderId: string }[]).map((o) => o.orderId).sort();
    };
    expect(await listed('channel=mall')).to.deep.equal(['o-mall-1', 'o-mall-2']);
    expect(await listed('channel=pos&tradeType=standard')).to.deep.equal(['o-pos']);
    expect(await listed('tradeType=cod')).to.deep.equal([]);
    await send(ADMIN_KEY, get('/v1/orders?tradeType=auction'), 400);
    const day = api.clock.now().toISOString().slice(0, 10);
    const { body } = await send(
      ADMIN_KEY,
      get(`/v1/stats/sales?from=${day}T00:00:00.000Z&to=${day}T23:59:59.000Z&granularity=day`, {
        'X-Min-Position': head,
      }),
      200,
    );
    const [bucket] = body.buckets as { byChannel: Record<string, { ordersPlaced: number; orderValue: unknown }> }[];
    // mall: 2 mugs and a tee, less the mall's 10 %: 3600 each; pos: no promotion, 4000; every order confirmed and paid
    const confirmed = (orders: number, paid: number) => ({
      ordersConfirmed: orders,
      paid: { EUR: paid },
      ordersCancelled: 0,
    });
    expect(bucket?.byChannel).to.deep.equal({
      mall: {
        ordersPlaced: 2,
        unitsOrdered: 6,
        orderValue: { EUR: 7200 },
        discounts: { EUR: 800 },
        ...confirmed(2, 7200),
      },
      pos: { ordersPlaced: 1, unitsOrdered: 3, orderValue: { EUR: 4000 }, discounts: {}, ...confirmed(1, 4000) },
    });
  });

  it('applies a promotion to the channel that lists it only', async () => {
    const mall = await send(MALL_KEY, quote(), 200);
    expect(mall.body).to.deep.include({ channel: 'mall', total: eur(1800), discount: eur(200) });
    const pos = await send(POS_KEY, quote(), 200);
    expect(pos.body).to.deep.include({ channel: 'pos', total: eur(2000), discount: eur(0) });
  });

  it('takes cash on delivery where the channel allows it, and refuses it where it does not', async () => {
    const mall = await send(MALL_KEY, quote({ tradeType: 'cod' }), 200);
    expect(mall.body.refusals).to.deep.equal([]);
    await problem(POS_KEY, order('o-cod', { tradeType: 'cod' }), 422, '/problems/trade-type-not-allowed');
    // above the mall's cash-on-delivery maximum (100.00 EUR): 5 mugs at 10.00 and a tee at 20.00, minus 10 %
    await problem(MALL_KEY, order('o-big', { tradeType: 'cod' }, 10), 422, '/problems/cod-amount-exceeded');
  });

  it('refunds part of an order where the channel allows it, and only the whole order where it does not', async () => {
    await send(MALL_KEY, order('o-mall'), 202);
    await send(POS_KEY, order('o-pos'), 202);
    await api.settle();
    const partial = { reason: 'one mug broke', lines: mugs(1) };
    await send(MALL_KEY, post('/v1/orders/o-mall/refunds', partial), 202);
    await problem(POS_KEY, post('/v1/orders/o-pos/refunds', partial), 422, '/problems/partial-refund-not-allowed');
    await problem(
      POS_KEY,
      post('/v1/orders/o-pos/refunds', { reason: 'some money back', amount: eur(100) }),
      422,
      '/problems/partial-refund-not-allowed',
    );
    await send(POS_KEY, post('/v1/orders/o-pos/refunds', { reason: 'all back' }), 202);
  });

  it("closes refunds after the channel's window after shipment", async () => {
    await send(MALL_KEY, order('o-mall'), 202);
    await send(POS_KEY, order('o-pos'), 202);
    await api.settle();
    await send(MALL_KEY, post('/v1/orders/o-mall/ship', {}), 202);
    await send(POS_KEY, post('/v1/orders/o-pos/ship', {}), 202);
    api.clock.advance(2 * 86_400_000);
    await problem(POS_KEY, post('/v1/orders/o-pos/refunds', { reason: 'late' }), 422, '/problems/refund-window-closed');
    await send(MALL_KEY, post('/v1/orders/o-mall/refunds', { reason: 'within 30 days' }), 202);
  });

  describe('which channel a request goes through, by its API key', () => {
    it('refuses a channel the key may not use with 403 channel-not-allowed', async () => {
      await problem(POS_KEY, order('o-1', { channel: 'mall' }), 403, '/problems/channel-not-allowed');
    });

    it('needs the channel named when the key has several (422 channel-required), and takes each it names', async () => {
      await problem(MULTI_KEY, order('o-1'), 422, '/problems/channel-required');
      await send(MULTI_KEY, order('o-1', { channel: 'pos' }), 202);
      expect(await readOrder('o-1')).to.include({ channel: 'pos' });
    });

    it('lets a key without channels name any, and answers an unknown one 422 unknown-channel', async () => {
      await send(ADMIN_KEY, order('o-1', { channel: 'mall' }), 202);
      await problem(ADMIN_KEY, order('o-2', { channel: 'kiosk' }), 422, '/problems/unknown-channel');
      // once channels are defined, `default` is one only if defined too
      await problem(ADMIN_KEY, order('o-3'), 422, '/problems/unknown-channel');
    });
  });

  describe('the admin routes', () => {
    const kiosk = {
      name: 'Kiosk',
      tradeTypes: ['standard'],
      currencies: ['EUR'],
      paymentTimeoutMs: minutes(1),
      reservationTtlMs: minutes(3),
      promotions: 'all',
      partialRefunds: true,
      refundWindowDays: null,
      purchaseLimitPerCustomer: 1,
    };

    it('defines a channel (201), answers the same again with 200, and reads it back', async () => {
      await send(ADMIN_KEY, put('/v1/admin/channels/kiosk', kiosk), 201);
      await send(ADMIN_KEY, put('/v1/admin/channels/kiosk', kiosk), 200);
      const { body } = await send(ADMIN_KEY, get('/v1/admin/channels/kiosk'), 200);
      expect(body).to.deep.include({ channelId: 'kiosk', builtIn: false, purchaseLimitPerCustomer: 1 });
      await problem(ADMIN_KEY, get('/v1/admin/channels/nope'), 404, '/problems/channel-not-found');
    });

    it('answers 400 naming the field for a malformed profile, 422 naming it for a rule across fields', async () => {
      const shape = await problem(
        ADMIN_KEY,
        put('/v1/admin/channels/kiosk', { ...kiosk, paymentTimeoutMs: 1.5 }),
        400,
        '/problems/validation-failed',
      );
      expect(JSON.stringify(shape.body)).to.include('paymentTimeoutMs');
      const rule = await problem(
        ADMIN_KEY,
        put('/v1/admin/channels/kiosk', { ...kiosk, reservationTtlMs: minutes(1) }),
        422,
        '/problems/reservation-ttl-too-short',
      );
      expect(rule.body).to.deep.include({ details: rule.body.details });
      expect((rule.body.details as { field: string }).field).to.equal('reservationTtlMs');
      await problem(
        ADMIN_KEY,
        put('/v1/admin/channels/kiosk', { ...kiosk, tradeTypes: ['standard', 'cod'] }),
        422,
        '/problems/trade-terms-missing',
      );
    });

    it("applies a channel's default purchase limit to its orders", async () => {
      await send(ADMIN_KEY, put('/v1/admin/channels/kiosk', kiosk), 201);
      const refused = await send(ADMIN_KEY, quote({ channel: 'kiosk' }), 200);
      expect((refused.body.refusals as { code: string }[]).map((r) => r.code)).to.deep.equal(['PurchaseLimitExceeded']);
      await problem(ADMIN_KEY, order('o-k', { channel: 'kiosk' }), 422, '/problems/purchase-limit-exceeded');
      await send(ADMIN_KEY, order('o-k', { channel: 'kiosk' }, 1), 202);
      const started = await fulfilmentStarted('o-k');
      expect(started).to.include({ defaultLimit: 1 });
    });
  });
});
