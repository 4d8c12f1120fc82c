import { expect } from 'chai';
import { get, post, put, scenario, startTestApi, type TestApi } from '../api-spec';
import { confirmOrder } from './confirm-order';

const mug = put('/v1/skus/MUG-1', { name: 'Mug', unitPrice: { amount: 1250, currency: 'EUR' } });
const restock = (quantity: number) => post('/v1/skus/MUG-1/restock', { quantity });
const order = (id: string, customerId = 'cust-1', quantity = 1) =>
  post('/v1/orders', {
    orderId: id,
    customerId,
    lines: [{ sku: 'MUG-1', quantity }],
    payment: { token: 'tok_approve' },
  });
const fresh = (position: unknown) => ({ 'X-Min-Position': String(position) });

describe('the read API', () => {
  let api: TestApi;
  beforeEach(async () => {
    api = await startTestApi();
  });
  afterEach(async () => {
    await api.close();
  });

  describe('read-your-writes', () => {
    it('answers an order placed a moment ago when asked with the position of the write', async () => {
      await api.request(mug);
      await api.request(restock(10));
      const placed = await api.request(order('o-1'));
      await scenario(api)
        .when(get('/v1/orders/o-1', fresh(placed.body.position)))
        .then(200, (body, response) => {
          expect(body).to.include({ orderId: 'o-1', status: 'Placed', customerId: 'cust-1' });
          expect(body.total).to.deep.equal({ amount: 1250, currency: 'EUR' });
          expect(Number(response.headers.get('x-projection-position'))).to.be.at.least(placed.body.position as number);
          expect(response.headers.get('x-stale')).to.equal(null);
        });
    });

    it('accepts the position as ?minPosition= too', async () => {
      await api.request(mug);
      const restocked = await api.request(restock(7));
      await scenario(api)
        .when(get(`/v1/skus/MUG-1?minPosition=${String(restocked.body.position)}`))
        .then(200, (body) => {
          expect(body).to.include({ sku: 'MUG-1', onHand: 7, available: 7, reserved: 0 });
        });
    });

    it('says how stale the answer is when the position is not reached in time', async () => {
      await api.request(mug);
      const response = await scenario(api)
        .when(get('/v1/skus/MUG-1', fresh(1_000_000)))
        .then(200);
      expect(response.headers.get('x-stale')).to.equal('true');
      expect(Number(response.headers.get('x-stale-by'))).to.be.above(0);
    }).timeout(10_000);

    it('rejects a malformed X-Min-Position with 400', async () => {
      await scenario(api)
        .when(get('/v1/orders', { 'X-Min-Position': 'soon' }))
        .thenProblem(400, '/problems/invalid-min-position');
    });
  });

  describe('listing orders', () => {
    const placeMany = async (): Promise<number> => {
      await api.request(mug);
      await api.request(restock(100));
      let position = 0;
      for (let i = 0; i < 7; i++) {
        api.clock.advance(60_000);
        const r = await api.request(order(`o-${i}`, i % 2 === 0 ? 'alice' : 'bob'));
        position = r.body.position as number;
      }
      return position;
    };

    it('pages newest first with a stable cursor and visits every order once', async () => {
      const position = await placeMany();
      const seen: string[] = [];
      let next: string | undefined;
      do {
        const path = `/v1/orders?limit=3${next ? `&cursor=${encodeURIComponent(next)}` : ''}`;
        const r = await api.request(get(path, fresh(position)));
        expect(r.status).to.equal(200);
        seen.push(...(r.body.items as { orderId: string }[]).map((o) => o.orderId));
        next = r.body.next as string | undefined;
      } while (next);
      expect(seen).to.deep.equal(['o-6', 'o-5', 'o-4', 'o-3', 'o-2', 'o-1', 'o-0']);
    });

    it('filters by customer, status and time range', async () => {
      const position = await placeMany();
      const alice = await api.request(get('/v1/orders?customerId=alice', fresh(position)));
      expect((alice.body.items as { orderId: string }[]).map((o) => o.orderId)).to.deep.equal([
        'o-6',
        'o-4',
        'o-2',
        'o-0',
      ]);
      const cancelled = await api.request(post('/v1/orders/o-3/cancel', { reason: 'customer asked' }));
      const byStatus = await api.request(get('/v1/orders?status=Cancelled', fresh(cancelled.body.position)));
      expect((byStatus.body.items as { orderId: string }[]).map((o) => o.orderId)).to.deep.equal(['o-3']);
      // orders are placed one minute apart from 10:01
      const window = await api.request(
        get('/v1/orders?from=2026-03-01T10:02:00.000Z&to=2026-03-01T10:04:00.000Z', fresh(position)),
      );
      expect((window.body.items as { orderId: string }[]).map((o) => o.orderId)).to.deep.equal(['o-2', 'o-1']);
    });

    it('rejects bad query parameters with 400 naming them', async () => {
      const r = await scenario(api)
        .when(get('/v1/orders?status=Lost&limit=0&colour=red'))
        .thenProblem(400, '/problems/validation-failed');
      const fields = (r.body.errors as { field: string }[]).map((e) => e.field);
      expect(fields).to.include.members(['status', 'limit', 'colour']);
      await scenario(api).when(get('/v1/orders?cursor=not-a-cursor')).thenProblem(400, '/problems/invalid-cursor');
    });
  });

  describe('single documents', () => {
    it('answers 404 for an unknown order, SKU or payment', async () => {
      await scenario(api).when(get('/v1/orders/nope')).thenProblem(404, '/problems/order-not-found');
      await scenario(api).when(get('/v1/skus/NOPE')).thenProblem(404, '/problems/sku-not-found');
      await scenario(api).when(get('/v1/payments/nope')).thenProblem(404, '/problems/payment-not-found');
    });

    it('lists SKUs and flags low stock', async () => {
      await api.request(mug);
      await api.request(put('/v1/skus/TEE-1', { name: 'Tee', unitPrice: { amount: 999, currency: 'EUR' } }));
      const r = await api.request(restock(50));
      const low = await api.request(get('/v1/skus?lowStock=true', fresh(r.body.position)));
      expect((low.body.items as { sku: string }[]).map((s) => s.sku)).to.deep.equal(['TEE-1']);
      const all = await api.request(get('/v1/skus', fresh(r.body.position)));
      expect((all.body.items as { sku: string }[]).map((s) => s.sku)).to.deep.equal(['MUG-1', 'TEE-1']);
    });
  });

  describe('sales statistics', () => {
    it('counts placed and confirmed orders and revenue per hour and per day', async () => {
      await api.request(mug);
      await api.request(restock(10));
      await api.request(order('o-1', 'alice', 2));
      await confirmOrder(api, 'o-1', 2500);
      const last = await api.request(order('o-2', 'bob', 1));
      // the second order is the latest write: waiting for it covers the confirmation before it
      const hours = await api.request(
        get(
          '/v1/stats/sales?from=2026-03-01T00:00:00.000Z&to=2026-03-02T00:00:00.000Z&granularity=hour',
          fresh(last.body.position),
        ),
      );
      expect(hours.status).to.equal(200);
      const buckets = hours.body.buckets as {
        start: string;
        ordersPlaced: number;
        ordersConfirmed: number;
        revenue: Record<string, number>;
      }[];
      expect(buckets).to.have.length(1);
      expect(buckets[0]).to.deep.include({ start: '2026-03-01T10:00:00.000Z', ordersPlaced: 2, ordersConfirmed: 1 });
      expect(buckets[0]?.revenue).to.deep.equal({ EUR: 2500 });
      const days = await api.request(
        get('/v1/stats/sales?from=2026-03-01T00:00:00.000Z&to=2026-03-02T00:00:00.000Z&granularity=day'),
      );
      expect((days.body.buckets as unknown[]).length).to.equal(1);
    });

    it('requires from and to (400), with to after from (422: a rule beyond the documented schema)', async () => {
      await scenario(api).when(get('/v1/stats/sales')).thenProblem(400, '/problems/validation-failed');
      for (const to of ['2026-03-01T00:00:00.000Z', '2026-03-02T00:00:00.000Z']) {
        await scenario(api)
          .when(get(`/v1/stats/sales?from=2026-03-02T00:00:00.000Z&to=${to}`))
          .thenProblem(422, '/problems/unprocessable-request');
      }
    });
  });

  describe('projection status', () => {
    it('reports each projection with its version, position, lag and document count', async () => {
      const r = await api.request(mug);
      const status = await api.request(get('/v1/projections'));
      // wait for the sku projection through a fresh read first
      await api.request(get('/v1/skus/MUG-1', fresh(r.body.position)));
      const after = await api.request(get('/v1/projections'));
      expect(status.status).to.equal(200);
      const skus = (
        after.body.projections as { name: string; version: number; position: number; lag: number; documents: number }[]
      ).find((p) => p.name === 'skus');
      expect(skus).to.deep.include({ version: 2, documents: 1, lag: 0 });
      expect((after.body.projections as { name: string }[]).map((p) => p.name)).to.have.members([
        'orders',
        'skus',
        'payments',
        'sales',
        'promotions',
        'coupons',
      ]);
    });
  });
});
