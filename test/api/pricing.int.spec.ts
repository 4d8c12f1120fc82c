import { expect } from 'chai';
import { post, put, scenario, startTestApi, type TestApi } from '../api-spec';

const eur = (amount: number) => ({ amount, currency: 'EUR' });
const mug = put('/v1/skus/MUG-1', { name: 'Mug', unitPrice: eur(1000) });
const tee = put('/v1/skus/TEE-1', { name: 'T-shirt', unitPrice: eur(2000) });
const restock = (sku: string, quantity: number) => post(`/v1/skus/${sku}/restock`, { quantity });
const since = '2026-01-01T00:00:00.000Z';

const promotion = (id: string, rule: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  put(`/v1/promotions/${id}`, { name: id, currency: 'EUR', validFrom: since, priority: 10, rule, ...extra });
const tenOffMugs = promotion('mugs-10', { kind: 'PercentOff', basisPoints: 1000, skus: ['MUG-1'] });
const fiveOffFrom30 = promotion(
  'five-off',
  { kind: 'AmountOffOrder', amount: eur(500), threshold: eur(3000) },
  {
    priority: 20,
  },
);
const couponOnly = promotion('coupon-20', { kind: 'PercentOff', basisPoints: 2000 }, { requiresCoupon: true });
const coupon = (code: string, body: Record<string, unknown> = {}) =>
  put(`/v1/coupons/${code}`, { promotionId: 'coupon-20', totalLimit: 2, perCustomerLimit: 1, ...body });

const lines = (...items: [string, number][]) => items.map(([sku, quantity]) => ({ sku, quantity }));
const quote = (items: [string, number][], extra: Record<string, unknown> = {}) =>
  post('/v1/quotes', { customerId: 'cust-1', lines: lines(...items), ...extra });
const order = (items: [string, number][], extra: Record<string, unknown> = {}) =>
  post('/v1/orders', { customerId: 'cust-1', lines: lines(...items), payment: { token: 'tok_approve' }, ...extra });

describe('the pricing centre over HTTP: promotions, coupons, purchase limits and quotes', () => {
  let api: TestApi;
  beforeEach(async () => {
    api = await startTestApi();
  });
  afterEach(async () => {
    await api.close();
  });

  describe('promotions', () => {
    it('creates a promotion with 201, answers an identical repeat and a change with 200', async () => {
      await scenario(api)
        .when(tenOffMugs)
        .then(201, (body) => {
          expect(body).to.deep.include({
            promotionId: 'mugs-10',
            exclusive: false,
            requiresCoupon: false,
            rule: { kind: 'PercentOff', basisPoints: 1000, skus: ['MUG-1'] },
          });
        });
      await scenario(api).when(tenOffMugs).then(200);
      await scenario(api)
        .when(promotion('mugs-10', { kind: 'PercentOff', basisPoints: 1500 }))
        .then(200, (body) => {
          expect(body.rule).to.deep.equal({ kind: 'PercentOff', basisPoints: 1500 });
        });
    });

    it('names the rule field that is wrong, and an unknown rule kind with the kinds it knows', async () => {
      const bad = await scenario(api)
        .when(promotion('p', { kind: 'PercentOff', basisPoints: 0 }))
        .thenProblem(400, '/problems/validation-failed');
      expect(JSON.stringify(bad.body)).to.include('rule.basisPoints');
      const unknown = await scenario(api)
        .when(promotion('p', { kind: 'HalfPrice' }))
        .thenProblem(400, '/problems/validation-failed');
      expect(JSON.stringify(unknown.body)).to.include('rule.kind').and.include('BundlePrice');
    });

    it('refuses rules across fields with 422: an empty window, money in another currency', async () => {
      await scenario(api)
        .when(promotion('p', { kind: 'PercentOff', basisPoints: 100 }, { validUntil: since }))
        .thenProblem(422, '/problems/promotion-window-empty');
      await scenario(api)
        .when(promotion('p', { kind: 'AmountOffOrder', amount: { amount: 5, currency: 'USD' }, threshold: eur(10) }))
        .thenProblem(422, '/problems/promotion-currency-mismatch');
    });

    it('ends a promotion: quotes stop applying it; ending an unknown one is 404', async () => {
      await scenario(api)
        .given(mug, restock('MUG-1', 5), tenOffMugs)
        .when(post('/v1/promotions/mugs-10/end', {}))
        .then(200, (body) => {
          expect(body.endedAt).to.be.a('string');
        });
      await scenario(api)
        .when(quote([['MUG-1', 1]]))
        .then(200, (body) => {
          expect(body.total).to.deep.equal(eur(1000));
          expect(body.promotions).to.deep.equal([]);
        });
      await scenario(api).when(post('/v1/promotions/nope/end', {})).thenProblem(404, '/problems/promotion-not-found');
    });
  });

  describe('quotes', () => {
    it('prices the lines with every promotion that applies, in priority order, and lists each amount', async () => {
      await scenario(api)
        .given(mug, tee, restock('MUG-1', 10), restock('TEE-1', 10), tenOffMugs, fiveOffFrom30)
        .when(
          quote([
            ['MUG-1', 3],
            ['TEE-1', 1],
          ]),
        )
        .then(200, (body) => {
          // mugs 3000 − 10 % = 2700; the order 4700 ≥ 3000 takes 500 off, split 2700:2000 → 287 + 213
          expect(body.listTotal).to.deep.equal(eur(5000));
          expect(body.discount).to.deep.equal(eur(800));
          expect(body.total).to.deep.equal(eur(4200));
          const priced = body.lines as { sku: string; lineTotal: { amount: number }; available: number }[];
          expect(priced.map((l) => [l.sku, l.lineTotal.amount, l.available])).to.deep.equal(
            [
              ['MUG-1', 2413],
              ['TEE-1', 1787],
            ].map(([sku, amount]) => [sku, amount, 10]),
          );
          const applied = body.promotions as { promotionId: string; amount: { amount: number } }[];
          expect(applied.map((p) => [p.promotionId, p.amount.amount])).to.deep.equal([
            ['mugs-10', 300],
            ['five-off', 500],
          ]);
          expect(body.refusals).to.deep.equal([]);
        });
    });

    it('applies a coupon-only promotion through its coupon, and reports a coupon that would be refused', async () => {
      await scenario(api)
        .given(mug, restock('MUG-1', 5), couponOnly, coupon('SPRING-20'))
        .when(quote([['MUG-1', 1]], { couponCode: 'SPRING-20' }))
        .then(200, (body) => {
          expect(body.total).to.deep.equal(eur(800));
          expect(body.coupon).to.deep.equal({
            code: 'SPRING-20',
            promotionId: 'coupon-20',
            applied: true,
            redemptionsLeft: 2,
          });
        });
      await scenario(api)
        .when(quote([['MUG-1', 1]]))
        .then(200, (body) => {
          expect(body.total).to.deep.equal(eur(1000));
        });
      await scenario(api)
        .when(quote([['MUG-1', 1]], { couponCode: 'NO-SUCH' }))
        .then(200, (body) => {
          expect(body.total).to.deep.equal(eur(1000));
          expect((body.refusals as { code: string }[]).map((r) => r.code)).to.deep.equal(['CouponNotFound']);
        });
    });

    it('reports a purchase limit and missing stock that placing the order now would be refused for', async () => {
      await scenario(api)
        .given(mug, restock('MUG-1', 2), put('/v1/skus/MUG-1/purchase-limit', { perCustomer: 1 }))
        .when(quote([['MUG-1', 3]]))
        .then(200, (body) => {
          expect((body.refusals as { code: string }[]).map((r) => r.code)).to.deep.equal([
            'PurchaseLimitExceeded',
            'OutOfStock',
          ]);
        });
    });

    it('refuses a SKU not in the catalogue with 422 naming it', async () => {
      await scenario(api)
        .when(quote([['NOPE', 1]]))
        .thenProblem(422, '/problems/unknown-sku');
    });
  });

  describe('coupons', () => {
    it('creates a coupon with 201 and its redemptions left; a coupon of an unknown promotion is 422', async () => {
      await scenario(api).when(coupon('SPRING-20')).thenProblem(422, '/problems/unknown-promotion');
      await scenario(api)
        .given(couponOnly)
        .when(coupon('SPRING-20'))
        .then(201, (body) => {
          expect(body).to.deep.include({ code: 'SPRING-20', totalLimit: 2, reserved: 0, redemptionsLeft: 2 });
        });
      await scenario(api)
        .when(coupon('SPRING-20', { totalLimit: 5 }))
        .then(200);
    });
  });

  describe('placing an order', () => {
    it('prices it exactly as a quote at the same moment, and carries the breakdown in OrderPlaced', async () => {
      const items: [string, number][] = [
        ['MUG-1', 3],
        ['TEE-1', 1],
      ];
      const quoted = await scenario(api)
        .given(mug, tee, restock('MUG-1', 10), restock('TEE-1', 10), tenOffMugs, fiveOffFrom30)
        .when(quote(items))
        .then(200);
      const placed = await scenario(api)
        .when(order(items, { orderId: 'o-priced' }))
        .then(202);
      const events = await api.store.readStream('order-o-priced');
      const data = events[0]?.data as {
        total: unknown;
        lines: { sku: string; lineTotal: unknown; discount?: unknown }[];
        pricing?: { discount: unknown; promotions: { promotionId: string }[] };
      };
      expect(placed.body.orderId).to.equal('o-priced');
      expect(data.total).to.deep.equal(quoted.body.total);
      const quotedLines = quoted.body.lines as { sku: string; lineTotal: unknown; discount: unknown }[];
      expect(data.lines.map((l) => [l.sku, l.lineTotal, l.discount])).to.deep.equal(
        quotedLines.map((l) => [l.sku, l.lineTotal, l.discount]),
      );
      expect(data.pricing?.discount).to.deep.equal(eur(800));
      expect(data.pricing?.promotions.map((p) => p.promotionId)).to.deep.equal(['mugs-10', 'five-off']);
    });

    it('refuses at once, with 422, a coupon that does not exist or a purchase limit the order would break', async () => {
      await scenario(api)
        .given(mug, restock('MUG-1', 10), put('/v1/skus/MUG-1/purchase-limit', { perCustomer: 2 }))
        .when(order([['MUG-1', 1]], { couponCode: 'NO-SUCH' }))
        .thenProblem(422, '/problems/coupon-not-found');
      await scenario(api)
        .when(order([['MUG-1', 3]]))
        .thenProblem(422, '/problems/purchase-limit-exceeded');
      await scenario(api)
        .when(order([['MUG-1', 2]]))
        .then(202);
    });
  });

  describe('scopes', () => {
    it('needs marketing:write for promotions and coupons; orders:write quotes', async () => {
      await api.close();
      api = await startTestApi({ API_KEYS: 'shop-key-0001=orders:write;market-key-01=marketing:write' });
      const as = (key: string) => ({ authorization: `Bearer ${key}` });
      const promote = { ...tenOffMugs, headers: as('shop-key-0001') };
      await scenario(api).when(promote).thenProblem(403, '/problems/forbidden');
      await scenario(api)
        .when({ ...tenOffMugs, headers: as('market-key-01') })
        .then(201);
      await scenario(api)
        .when({ ...quote([['MUG-1', 1]]), headers: as('shop-key-0001') })
        .thenProblem(422, '/problems/unknown-sku');
    });
  });
});
