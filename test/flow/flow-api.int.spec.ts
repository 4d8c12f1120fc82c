import { expect } from 'chai';
import fc from 'fast-check';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { get, post, put, scenario, startTestApi, type ApiRequest, type TestApi } from '../api-spec';

const adminKey = 'flow-admin-key-0001';
const orderKey = 'flow-orders-key-001';
const keys = { API_KEYS: `${adminKey}=admin;${orderKey}=orders:write,read` };
const asAdmin = { Authorization: `Bearer ${adminKey}` };
const asShop = { Authorization: `Bearer ${orderKey}` };

const sku = (code: string): ApiRequest =>
  put(`/v1/skus/${code}`, { name: code, unitPrice: { amount: 500, currency: 'EUR' } }, asAdmin);
const restock = (code: string, quantity: number): ApiRequest => post(`/v1/skus/${code}/restock`, { quantity }, asAdmin);
const place = (code: string, quantity: number, idempotencyKey: string, customerId = 'cust-1'): ApiRequest =>
  post(
    '/v1/orders',
    { customerId, lines: [{ sku: code, quantity }], payment: { token: 'tok_approve' } },
    { ...asShop, 'Idempotency-Key': idempotencyKey },
  );
const setRules = (rules: unknown): ApiRequest => put('/v1/admin/flow-rules', rules, asAdmin);

describe('flow control at the API', () => {
  let api: TestApi;
  let dir: string;
  let rulesFile: string;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'flow-rules-'));
    rulesFile = join(dir, 'flow-rules.json');
    writeFileSync(rulesFile, JSON.stringify({ hotSku: { perSecond: 1000 }, soldOutFastPath: true }));
    api = await startTestApi({ ...keys, FLOW_CONTROL: 'on', FLOW_RULES: rulesFile });
    for (const request of [sku('MUG-1'), sku('TEE-1'), restock('MUG-1', 100), restock('TEE-1', 100)]) {
      expect((await api.request(request)).status).to.be.within(200, 299);
    }
  });
  afterEach(async () => {
    await api.close();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('the rules', () => {
    it('are those of the FLOW_RULES file, and only an admin key reads them', async () => {
      await scenario(api)
        .when(get('/v1/admin/flow-rules', asAdmin))
        .then(200, (body) => {
          expect(body).to.deep.equal({ hotSku: { perSecond: 1000 }, soldOutFastPath: true });
        });
      await scenario(api).when(get('/v1/admin/flow-rules', asShop)).thenProblem(403, '/problems/forbidden');
    });

    it('are replaced without a restart and kept in the file for the next start', async () => {
      const rules = { operations: [{ operation: 'placeOrder', perSecond: 5, burst: 5, concurrent: 10 }] };
      await scenario(api)
        .when(setRules(rules))
        .then(200, (body) => {
          expect(body).to.deep.equal(rules);
        });
      expect(JSON.parse(readFileSync(rulesFile, 'utf8'))).to.deep.equal(rules);
      await scenario(api)
        .when(get('/v1/admin/flow-rules', asAdmin))
        .then(200, (body) => {
          expect(body).to.deep.equal(rules);
        });
    });

    it('refuses rules that name an unknown operation or break a bound, naming each field, and keeps the old', async () => {
      const refused = await scenario(api)
        .when(setRules({ operations: [{ operation: 'launchRocket', perSecond: 0 }], hotSku: { burst: 2 } }))
        .thenProblem(400, '/problems/validation-failed');
      const fields = (refused.body.errors as { field: string }[]).map((e) => e.field);
      expect(fields).to.include.members(['operations.0.perSecond', 'hotSku.perSecond']);
      // the document allows any operation name: one this API does not have is a rule beyond it (422)
      const unknown = await scenario(api)
        .when(setRules({ operations: [{ operation: 'launchRocket', perSecond: 1 }] }))
        .thenProblem(422, '/problems/unprocessable-request');
      expect(unknown.body.detail).to.contain('launchRocket');
      expect(JSON.parse(readFileSync(rulesFile, 'utf8'))).to.deep.equal({
        hotSku: { perSecond: 1000 },
        soldOutFastPath: true,
      });
    });

    it('are documented with the 429 and 503 every operation may answer', async () => {
      await scenario(api)
        .when(get('/v1/openapi.json'))
        .then(200, (body) => {
          const paths = body.paths as Record<string, Record<string, { responses: Record<string, unknown> }>>;
          expect(Object.keys(paths['/v1/orders']?.post?.responses ?? {})).to.include.members(['429', '503']);
          expect(paths['/v1/admin/flow-rules']?.put).to.not.equal(undefined);
        });
    });
  });

  describe('a rate per operation', () => {
    it('refuses past its burst with 429, Retry-After and nothing appended; the same key later is a first attempt', async () => {
      await scenario(api)
        .when(setRules({ operations: [{ operation: 'placeOrder', perSecond: 1, burst: 2 }] }))
        .then(200);
      await scenario(api)
        .when(place('MUG-1', 1, 'order-1'))
        .then(202);
      await scenario(api)
        .when(place('MUG-1', 1, 'order-2'))
        .then(202);
      const head = await api.store.headPosition();
      const refused = await scenario(api)
        .when(place('MUG-1', 1, 'order-3'))
        .thenProblem(429, '/problems/too-many-requests');
      expect(refused.headers.get('retry-after')).to.equal('1');
      expect(refused.body).to.include({ rule: 'operation:placeOrder', retryAfterSeconds: 1 });
      expect(await api.store.headPosition()).to.equal(head);
      // reads and other operations are not limited by it
      await scenario(api).when(get('/v1/skus/MUG-1', asShop)).then(200);

      api.clock.advance(1_000);
      await scenario(api)
        .when(place('MUG-1', 1, 'order-3'))
        .then(202, (body) => {
          expect(body.duplicate ?? false).to.equal(false);
        });
      expect(await api.store.headPosition()).to.be.greaterThan(head);
    });
  });

  describe('a rate per key', () => {
    it('limits each key, answers a request without a valid key 401 first, and never limits an operator', async () => {
      await scenario(api)
        .when(setRules({ perKey: { perSecond: 1, burst: 1 } }))
        .then(200);
      await scenario(api).when(get('/v1/skus/MUG-1', asShop)).then(200);
      await scenario(api).when(get('/v1/skus/MUG-1', asShop)).thenProblem(429, '/problems/too-many-requests');
      await scenario(api).when(get('/v1/skus/MUG-1')).thenProblem(401, '/problems/unauthenticated');
      await scenario(api).when(get('/v1/admin/flow-rules', asShop)).thenProblem(403, '/problems/forbidden');
      for (let i = 0; i < 3; i++) await scenario(api).when(get('/v1/admin/flow-rules', asAdmin)).then(200);
    });
  });

  describe('a hot-SKU limit', () => {
    it('refuses placements of the hot SKU past its limit while other SKUs still pass', async () => {
      await scenario(api)
        .when(setRules({ hotSku: { perSecond: 2, burst: 2 } }))
        .then(200);
      await scenario(api)
        .when(place('MUG-1', 1, 'hot-1', 'a'))
        .then(202);
      await scenario(api)
        .when(place('MUG-1', 1, 'hot-2', 'b'))
        .then(202);
      const refused = await scenario(api)
        .when(place('MUG-1', 1, 'hot-3', 'c'))
        .thenProblem(429, '/problems/too-many-requests');
      expect(refused.body.rule).to.equal('hotSku');
      await scenario(api)
        .when(place('TEE-1', 1, 'cool-1', 'd'))
        .then(202);
    });
  });

  describe('the status', () => {
    it('counts admitted and refused requests by rule, for the dashboard', async () => {
      await scenario(api)
        .when(setRules({ hotSku: { perSecond: 1, burst: 1 } }))
        .then(200);
      await scenario(api)
        .when(place('MUG-1', 1, 'status-1'))
        .then(202);
      await scenario(api)
        .when(place('MUG-1', 1, 'status-2'))
        .thenProblem(429, '/problems/too-many-requests');
      await scenario(api)
        .when(get('/v1/flow', asShop))
        .then(200, (body) => {
          expect(body.refused).to.deep.equal({ hotSku: 1 });
          expect(body.admitted).to.be.at.least(1);
          expect(body).to.have.keys('admitted', 'refused', 'backlog', 'lagMs', 'eventLoopDelayMs', 'breaker');
          // no saga runner in this engine: no breaker to report
          expect(body.breaker).to.equal(null);
        });
    });
  });

  describe('a rate per customer', () => {
    it('limits each customer on their own', async () => {
      await scenario(api)
        .when(setRules({ perCustomer: { perSecond: 1 } }))
        .then(200);
      await scenario(api)
        .when(place('MUG-1', 1, 'c-1', 'alice'))
        .then(202);
      await scenario(api)
        .when(place('MUG-1', 1, 'c-2', 'alice'))
        .thenProblem(429, '/problems/too-many-requests');
      await scenario(api)
        .when(place('MUG-1', 1, 'c-3', 'bob'))
        .then(202);
    });
  });

  describe('the sold-out fast path', () => {
    it('refuses at once an order for more than a SKU has available, and nothing is appended', async () => {
      const head = await api.store.headPosition();
      const refused = await scenario(api)
        .when(place('MUG-1', 101, 'too-many'))
        .thenProblem(422, '/problems/out-of-stock');
      expect(refused.body.details).to.deep.equal({ lines: [{ sku: 'MUG-1', requested: 101, available: 100 }] });
      expect(await api.store.headPosition()).to.equal(head);
    });

    it('never refuses an order the stock can serve, and refuses every one it cannot', async () => {
      let run = 0;
      await fc.assert(
        fc.asyncProperty(fc.nat(5), fc.integer({ min: 1, max: 6 }), async (stock, quantity) => {
          run += 1;
          const code = `PROP-${run}`;
          for (const request of [sku(code), ...(stock > 0 ? [restock(code, stock)] : [])]) {
            expect((await api.request(request)).status).to.be.within(200, 299);
          }
          const response = await api.request(place(code, quantity, `${code}-try`));
          expect(response.status, JSON.stringify(response.body)).to.equal(quantity <= stock ? 202 : 422);
        }),
        { numRuns: 25, seed: 20261207 },
      );
    });

    it('answers a repeat of an accepted order with its first result, even once the SKU sold out', async () => {
      const first = await scenario(api)
        .when(place('MUG-1', 60, 'repeat-me'))
        .then(202);
      await scenario(api)
        .given(post('/v1/skus/MUG-1/adjust', { delta: -100, reason: 'damaged' }, asAdmin))
        .when(place('MUG-1', 60, 'other-order'))
        .thenProblem(422, '/problems/out-of-stock');
      const repeat = await scenario(api)
        .when(place('MUG-1', 60, 'repeat-me'))
        .then(202);
      expect(repeat.body).to.deep.equal(first.body);
    });

    it('is off when the rules say so: the order is accepted and left to the saga', async () => {
      await scenario(api)
        .when(setRules({ soldOutFastPath: false }))
        .then(200);
      await scenario(api)
        .when(place('MUG-1', 101, 'left-to-saga'))
        .then(202);
    });
  });

  describe('shedding when the engine falls behind', () => {
    it('refuses placements with 503 and Retry-After while cancels and reads keep working', async () => {
      const accepted = await scenario(api)
        .when(place('MUG-1', 1, 'before-backlog'))
        .then(202);
      await scenario(api)
        .when(setRules({ shedding: { maxBacklog: 5, retryAfterSeconds: 3 } }))
        .then(200);
      // the read models catch up, then stop: events pile up behind them
      const head = await api.store.headPosition();
      for (const { name } of api.engine.projections.statuses()) {
        expect(await api.engine.projections.waitFor(name, head, 10_000)).to.equal(true);
      }
      await api.engine.projections.stop();
      for (let i = 0; i < 6; i++) await scenario(api).when(restock('TEE-1', 1)).then(200);
      let shed: Awaited<ReturnType<TestApi['request']>> | undefined;
      for (let attempt = 0; attempt < 40 && shed === undefined; attempt++) {
        const response = await api.request(place('MUG-1', 1, `while-behind-${attempt}`));
        if (response.status === 503) shed = response;
        else await new Promise((resolve) => setTimeout(resolve, 100));
      }
      if (shed === undefined) throw new Error('placements were not shed within 4 s of a backlog past the limit');
      expect(shed.body).to.include({ type: '/problems/overloaded', rule: 'shedding:backlog' });
      expect(shed.headers.get('retry-after')).to.equal('3');
      await scenario(api).when(get('/v1/skus/TEE-1', asShop)).then(200);
      await scenario(api)
        .when(post(`/v1/orders/${String(accepted.body.orderId)}/cancel`, { reason: 'changed mind' }, asShop))
        .then(202);
    });
  });
});
