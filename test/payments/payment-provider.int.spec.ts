import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseApiKeys } from '../../app/config';
import { startHttpServer, type HttpServer } from '../../app/runtime/http-server';
import { paymentProviderFor } from '../../app/runtime/payment-provider';
import { loadSagaSettings } from '../../commands/sagas/config';
import { currency, money, orderId, refundId } from '../../domain/shared';
import type { ApiKey } from '../../http/auth';
import { createLogger } from '../../infra/observability/logger';
import { createMetrics } from '../../infra/observability/metrics';
import {
  HttpPaymentProvider,
  SimulatedPaymentProvider,
  paymentProviderApi,
  simulatedTokens,
} from '../../infra/payments';
import type { PaymentProvider } from '../../ports/payment-provider';
import { startEngineProcess } from '../../tools/services/engine-process';
import { paymentProviderContract } from './provider.contract';

const instant = (): Promise<void> => Promise.resolve();
const eur = (amount: number) => money(amount, currency('EUR'));
const o1 = orderId('o-http-1');

/** The payment simulator's server on 127.0.0.1, port 0, as `commerce payment-simulator` builds it. */
const serve = (provider: PaymentProvider, apiKeys: readonly ApiKey[] = []): Promise<HttpServer> =>
  startHttpServer({
    config: { host: '127.0.0.1', port: 0, apiKeys, bodyLimit: '64kb' },
    logger: createLogger('silent'),
    metrics: createMetrics(false),
    title: 'Payment simulator (test)',
    parts: [paymentProviderApi(provider)],
  });

/** A plain server answering every request with `answer` (a broken provider). */
const rawServer = async (answer: (res: import('node:http').ServerResponse) => void): Promise<Server> => {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      answer(res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
};
const urlOf = (server: Server): string => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const closeRaw = (server: Server): Promise<void> =>
  new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => {
      resolve();
    });
  });

/** Every call of the port once, with requests that would succeed against a working provider. */
const everyCall = async (provider: PaymentProvider): Promise<string[]> => [
  (await provider.authorize({ orderId: o1, amount: eur(100), token: simulatedTokens.approve, idempotencyKey: 'a' }))
    .result,
  (await provider.capture({ orderId: o1, authorizationId: 'auth_1', amount: eur(100), idempotencyKey: 'c' })).result,
  (await provider.void({ orderId: o1, authorizationId: 'auth_1', idempotencyKey: 'v' })).result,
  (await provider.refund({ orderId: o1, refundId: refundId('r-1'), amount: eur(100), idempotencyKey: 'r' })).result,
];
const providerErrors = ['provider_error', 'provider_error', 'provider_error', 'failed'];

paymentProviderContract('in process (SimulatedPaymentProvider)', () => {
  const sim = new SimulatedPaymentProvider({ sleep: instant });
  return Promise.resolve({ provider: sim, ledger: () => sim.ledger() });
});

paymentProviderContract('over HTTP (HttpPaymentProvider → the payment simulator server)', async () => {
  const sim = new SimulatedPaymentProvider({ sleep: instant });
  const server = await serve(sim);
  return {
    provider: new HttpPaymentProvider({ baseUrl: server.url }),
    ledger: () => sim.ledger(),
    close: () => server.close(0),
  };
});

describe('the payment provider over HTTP', () => {
  describe('one provider for several saga runners', () => {
    it('lets runner B capture what runner A authorized (two in-process simulators could not)', async () => {
      const sim = new SimulatedPaymentProvider({ sleep: instant });
      const server = await serve(sim);
      try {
        const [a, b] = [
          new HttpPaymentProvider({ baseUrl: server.url }),
          new HttpPaymentProvider({ baseUrl: `${server.url}/` }),
        ];
        const approved = await a.authorize({
          orderId: o1,
          amount: eur(100),
          token: simulatedTokens.visa,
          idempotencyKey: 'auth',
        });
        if (approved.result !== 'approved') throw new Error(JSON.stringify(approved));
        const { authorizationId } = approved;
        expect(
          await b.capture({ orderId: o1, authorizationId, amount: eur(100), idempotencyKey: 'cap' }),
        ).to.deep.equal({
          result: 'captured',
        });
        // a retry of A's call on B after a lost answer: the same answer, no second charge
        expect(
          await b.authorize({ orderId: o1, amount: eur(100), token: simulatedTokens.visa, idempotencyKey: 'auth' }),
        ).to.deep.equal(approved);
        expect(sim.ledger().map((e) => e.kind)).to.deep.equal(['authorized', 'captured']);

        // what two runners with their own simulators do today
        const [simA, simB] = [
          new SimulatedPaymentProvider({ sleep: instant }),
          new SimulatedPaymentProvider({ sleep: instant }),
        ];
        const own = await simA.authorize({ orderId: o1, amount: eur(1), token: 'tok_visa', idempotencyKey: 'x' });
        if (own.result !== 'approved') throw new Error(JSON.stringify(own));
        const lost = await simB.capture({
          orderId: o1,
          authorizationId: own.authorizationId,
          amount: eur(1),
          idempotencyKey: 'y',
        });
        expect(lost.result).to.equal('provider_error');
      } finally {
        await server.close(0);
      }
    });
  });

  describe('a provider that does not answer properly is a provider error, never a throw', () => {
    it('when nothing listens at the URL', async () => {
      const server = await rawServer((res) => res.end());
      const url = urlOf(server);
      await closeRaw(server);
      const answers = await everyCall(new HttpPaymentProvider({ baseUrl: url }));
      expect(answers).to.deep.equal(providerErrors);
      const answer = await new HttpPaymentProvider({ baseUrl: url }).authorize({
        orderId: o1,
        amount: eur(1),
        token: 'tok_visa',
        idempotencyKey: 'k',
      });
      expect(answer.result === 'provider_error' && answer.message).to.match(/^authorize: .*could not be reached/);
    });

    it('when the host name does not resolve', async () => {
      const answers = await everyCall(new HttpPaymentProvider({ baseUrl: 'http://no-such-host.invalid:3003' }));
      expect(answers).to.deep.equal(providerErrors);
    });

    it('when the provider answers 500, with its problem detail in the message', async () => {
      const server = await rawServer((res) => {
        res.writeHead(500, { 'content-type': 'application/problem+json' });
        res.end(JSON.stringify({ title: 'Internal server error', status: 500, detail: 'the database is on fire' }));
      });
      try {
        const provider = new HttpPaymentProvider({ baseUrl: urlOf(server) });
        expect(await everyCall(provider)).to.deep.equal(providerErrors);
        const refund = await provider.refund({
          orderId: o1,
          refundId: refundId('r-1'),
          amount: eur(1),
          idempotencyKey: 'r',
        });
        expect(refund).to.deep.equal({
          result: 'failed',
          message: 'refund: the payment provider answered HTTP 500: the database is on fire',
        });
      } finally {
        await closeRaw(server);
      }
    });

    it('when the provider behind the server throws (the server answers 500)', async () => {
      const throwing: PaymentProvider = {
        authorize: () => Promise.reject(new Error('boom')),
        capture: () => Promise.reject(new Error('boom')),
        void: () => Promise.reject(new Error('boom')),
        refund: () => Promise.reject(new Error('boom')),
      };
      const server = await serve(throwing);
      try {
        expect(await everyCall(new HttpPaymentProvider({ baseUrl: server.url }))).to.deep.equal(providerErrors);
      } finally {
        await server.close(0);
      }
    });

    it('when the provider takes longer than the timeout', async () => {
      const server = await rawServer(() => undefined);
      try {
        const started = performance.now();
        const answer = await new HttpPaymentProvider({ baseUrl: urlOf(server), timeoutMs: 150 }).authorize({
          orderId: o1,
          amount: eur(1),
          token: 'tok_visa',
          idempotencyKey: 'k',
        });
        expect(answer).to.deep.equal({
          result: 'provider_error',
          message: 'authorize: the payment provider did not answer within 150 ms',
        });
        expect(performance.now() - started).to.be.below(2_000);
      } finally {
        await closeRaw(server);
      }
    });

    it('when the answer is not one of the port’s results', async () => {
      const server = await rawServer((res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ result: 'maybe' }));
      });
      try {
        expect(await everyCall(new HttpPaymentProvider({ baseUrl: urlOf(server) }))).to.deep.equal(providerErrors);
      } finally {
        await closeRaw(server);
      }
    });

    it('when the provider refuses the key (401), so the breaker sees a misconfigured provider as failing', async () => {
      const keys = parseApiKeys('payments-key-123=admin;reader-key-123=read', []);
      const sim = new SimulatedPaymentProvider({ sleep: instant });
      const server = await serve(sim, keys);
      try {
        expect(await everyCall(new HttpPaymentProvider({ baseUrl: server.url }))).to.deep.equal(providerErrors);
        const reader = await new HttpPaymentProvider({ baseUrl: server.url, apiKey: 'reader-key-123' }).authorize({
          orderId: o1,
          amount: eur(1),
          token: 'tok_visa',
          idempotencyKey: 'k',
        });
        expect(reader.result === 'provider_error' && reader.message).to.match(/HTTP 403/);
        const keyed = new HttpPaymentProvider({ baseUrl: server.url, apiKey: 'payments-key-123' });
        const answer = await keyed.authorize({ orderId: o1, amount: eur(1), token: 'tok_visa', idempotencyKey: 'k' });
        expect(answer.result).to.equal('approved');
        expect(sim.ledger()).to.have.length(1);
      } finally {
        await server.close(0);
      }
    });
  });

  describe('the simulator server', () => {
    let server: HttpServer;
    before(async () => {
      server = await serve(new SimulatedPaymentProvider({ sleep: instant }));
    });
    after(() => server.close(0));

    const post = (path: string, body: string, type = 'application/json') =>
      fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': type }, body });

    it('answers 400 problem+json naming the fields of a body that is not a request', async () => {
      const valid = {
        orderId: 'o-1',
        amount: { amount: 100, currency: 'EUR' },
        token: 'tok_visa',
        idempotencyKey: 'k',
      };
      const cases: [string, unknown, RegExp][] = [
        ['/v1/authorize', {}, /orderId/],
        ['/v1/authorize', { ...valid, amount: { amount: -1, currency: 'EUR' } }, /amount/],
        ['/v1/authorize', { ...valid, amount: 100 }, /amount/],
        ['/v1/authorize', { ...valid, extra: true }, /extra is not a known field/],
        ['/v1/authorize', { ...valid, idempotencyKey: '' }, /idempotencyKey/],
        [
          '/v1/capture',
          { orderId: 'o-1', amount: { amount: 1, currency: 'EUR' }, idempotencyKey: 'k' },
          /authorizationId/,
        ],
        ['/v1/void', { orderId: 'o 1', authorizationId: 'a', idempotencyKey: 'k' }, /orderId/],
        ['/v1/refund', { ...valid, token: undefined }, /refundId/],
        ['/v1/refund', [], /request body|\(root\)/],
      ];
      for (const [path, body, field] of cases) {
        const answer = await post(path, JSON.stringify(body));
        expect(answer.status, `${path} ${JSON.stringify(body)}`).to.equal(400);
        expect(answer.headers.get('content-type')).to.match(/^application\/problem\+json/);
        const problem = (await answer.json()) as { detail: string };
        expect(problem.detail, `${path} ${JSON.stringify(body)}`).to.match(field);
      }
    });

    it('answers 400 to malformed JSON, 415 to another media type, 404/405 elsewhere', async () => {
      const malformed = await post('/v1/authorize', '{"orderId":');
      expect(malformed.status).to.equal(400);
      expect(((await malformed.json()) as { type: string }).type).to.equal('/problems/malformed-json');
      expect((await post('/v1/authorize', 'orderId=o-1', 'application/x-www-form-urlencoded')).status).to.equal(415);
      expect((await post('/v1/charge', '{}')).status).to.equal(404);
      expect((await fetch(`${server.url}/v1/authorize`)).status).to.equal(405);
    });

    it('serves health, readiness, metrics and an OpenAPI document of its four operations', async () => {
      expect((await fetch(`${server.url}/healthz`)).status).to.equal(200);
      expect((await fetch(`${server.url}/readyz`)).status).to.equal(200);
      expect(await (await fetch(`${server.url}/metrics`)).text()).to.include('http_requests_total');
      const document = (await (await fetch(`${server.url}/v1/openapi.json`)).json()) as { paths: object };
      expect(Object.keys(document.paths)).to.have.members(['/v1/authorize', '/v1/capture', '/v1/void', '/v1/refund']);
    });
  });

  describe('paymentProviderFor', () => {
    const settings = loadSagaSettings({ PAYMENT_PROVIDER_TIMEOUT_MS: '2500' }, { dataDir: '/tmp', inMemory: true });

    it('is the in-process simulator without a URL, and the HTTP provider with one', () => {
      expect(paymentProviderFor(settings, undefined)).to.be.instanceOf(SimulatedPaymentProvider);
      expect(paymentProviderFor(settings, 'http://payment-simulator:3003')).to.be.instanceOf(HttpPaymentProvider);
    });

    it('calls the URL with the configured key', async () => {
      const sim = new SimulatedPaymentProvider({ sleep: instant });
      const server = await serve(sim, parseApiKeys('payments-key-123=admin', []));
      try {
        const keyed = loadSagaSettings(
          { PAYMENT_PROVIDER_URL: server.url, PAYMENT_PROVIDER_KEY: 'payments-key-123' },
          { dataDir: '/tmp', inMemory: true },
        );
        const provider = paymentProviderFor(keyed, keyed.paymentProvider.url);
        const answer = await provider.authorize({
          orderId: o1,
          amount: eur(1),
          token: 'tok_visa',
          idempotencyKey: 'k',
        });
        expect(answer.result).to.equal('approved');
      } finally {
        await server.close(0);
      }
    });
  });
});

describe('the payment provider settings (PAYMENT_PROVIDER_*)', () => {
  const load = (env: Record<string, string>) => loadSagaSettings(env, { dataDir: '/tmp', inMemory: true });
  const problemsOf = (env: Record<string, string>): string[] => {
    try {
      load(env);
      return [];
    } catch (error) {
      return [...(error as { problems: string[] }).problems];
    }
  };

  it('defaults to no URL (the in-process simulator), no key and a 10 s timeout', () => {
    expect(load({}).paymentProvider).to.deep.equal({ url: undefined, apiKey: undefined, timeoutMs: 10_000 });
  });

  it('takes an http(s) URL, without a trailing slash, a key and a timeout', () => {
    expect(
      load({
        PAYMENT_PROVIDER_URL: 'http://payment-simulator:3003/',
        PAYMENT_PROVIDER_KEY: 'k-12345678',
        PAYMENT_PROVIDER_TIMEOUT_MS: '2000',
      }).paymentProvider,
    ).to.deep.equal({ url: 'http://payment-simulator:3003', apiKey: 'k-12345678', timeoutMs: 2_000 });
    expect(load({ PAYMENT_PROVIDER_URL: 'https://pay.example.com/v2/' }).paymentProvider.url).to.equal(
      'https://pay.example.com/v2',
    );
  });

  it('names a URL it cannot use, without echoing credentials', () => {
    expect(problemsOf({ PAYMENT_PROVIDER_URL: 'payment-simulator:3003' })).to.have.length(1);
    expect(problemsOf({ PAYMENT_PROVIDER_URL: 'not a url' })[0]).to.match(/^PAYMENT_PROVIDER_URL: expected an http/);
    expect(problemsOf({ PAYMENT_PROVIDER_URL: 'ftp://host/' })[0]).to.match(/http: or https:/);
    expect(problemsOf({ PAYMENT_PROVIDER_URL: 'http://host/?a=1' })[0]).to.match(/query/);
    const secret = problemsOf({ PAYMENT_PROVIDER_URL: 'http://user:s3cret@host/' });
    expect(secret[0])
      .to.match(/PAYMENT_PROVIDER_KEY/)
      .and.not.include('s3cret');
    expect(problemsOf({ PAYMENT_PROVIDER_TIMEOUT_MS: '0' })[0]).to.match(/^PAYMENT_PROVIDER_TIMEOUT_MS/);
    expect(problemsOf({ PAYMENT_PROVIDER_KEY: 'has space' })[0]).to.match(/^PAYMENT_PROVIDER_KEY/);
  });
});

describe('commerce payment-simulator (the CLI subcommand, as a process)', function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'commerce-payment-simulator-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('authorizes, captures and refunds for callers over HTTP, and exits 0 on SIGTERM', async () => {
    const simulator = await startEngineProcess({
      name: 'payment-simulator',
      subcommand: 'payment-simulator',
      // SIM_* as the saga runner would read them: the process runs the same simulator
      env: { DATA_DIR: dir, SIM_SEED: '7', SIM_LATENCY_MS: '1-3' },
      logDir: dir,
    });
    try {
      const [a, b] = [
        new HttpPaymentProvider({ baseUrl: simulator.url }),
        new HttpPaymentProvider({ baseUrl: simulator.url }),
      ];
      const approved = await a.authorize({ orderId: o1, amount: eur(500), token: 'tok_approve', idempotencyKey: 'a' });
      if (approved.result !== 'approved') throw new Error(JSON.stringify(approved));
      expect(
        await b.capture({
          orderId: o1,
          authorizationId: approved.authorizationId,
          amount: eur(500),
          idempotencyKey: 'c',
        }),
      ).to.deep.equal({ result: 'captured' });
      const refunded = await b.refund({
        orderId: o1,
        refundId: refundId('r-1'),
        amount: eur(200),
        idempotencyKey: 'r',
      });
      expect(refunded.result).to.equal('refunded');
      expect(
        await a.authorize({ orderId: orderId('o-2'), amount: eur(1), token: 'tok_decline', idempotencyKey: 'd' }),
      ).to.deep.equal({ result: 'declined', declineCode: 'card_declined' });
    } finally {
      const code = await simulator.stop(10_000);
      expect(code, simulator.tail()).to.equal(0);
    }
    expect(simulator.tail(200)).to.include('payment simulator listening');
  });
});
