import { expect } from 'chai';
import express from 'express';
import * as t from 'io-ts';
import { connect } from 'node:net';
import { parseApiKeys } from '../../app/config';
import { createHttpApp, listen, type RunningServer } from '../../http/app';
import { maxJsonDepth, requireScope } from '../../http/middleware';
import { closed, decodeOr400 } from '../../http/validate';
import { createLogger } from '../../infra/observability/logger';
import { createMetrics } from '../../infra/observability/metrics';
import { startTestApi, type TestApi } from '../api-spec';

/**
 * The edges every HTTP process shares (http/app.ts), over a real socket: what the server answers when a
 * request is not one its routes can serve. Two routers share `/orders`, as the command and read APIs do.
 */
const Thing = closed('Thing', { name: t.string });

const commandsRouter = (): express.Router => {
  const router = express.Router();
  router.post('/orders', requireScope('orders:write'), (req, res) => {
    res.status(202).json({ received: decodeOr400(Thing, req.body) });
  });
  router.put('/skus/:sku', (req, res) => {
    res.json({ sku: req.params.sku, received: decodeOr400(Thing, req.body) });
  });
  router.post('/orders/:orderId/cancel', (req, res) => {
    res.json({ body: (req.body as unknown) ?? null });
  });
  return router;
};

const readsRouter = (): express.Router => {
  const router = express.Router();
  router.get('/orders', requireScope('read'), (_req, res) => {
    res.json({ items: [] });
  });
  router.get('/orders/:orderId', (req, res) => {
    res.json({ orderId: req.params.orderId });
  });
  return router;
};

const serve = (apiKeys: string): Promise<RunningServer> =>
  listen(
    createHttpApp({
      logger: createLogger('silent'),
      metrics: createMetrics(false),
      apiKeys: parseApiKeys(apiKeys, []),
      bodyLimit: '1mb',
      v1: [commandsRouter(), readsRouter()],
      openApi: () => ({}),
      ready: () => Promise.resolve(true),
    }),
    '127.0.0.1',
    0,
  );

interface RawResponse {
  readonly status: number;
  readonly head: string;
  readonly body: string;
}

/** Sends bytes as they are (fetch would refuse or fix them) and reads until the server closes. */
const raw = (port: number, request: string): Promise<RawResponse> =>
  new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      resolve({
        status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0),
        head: text.slice(0, split),
        body: text.slice(split + 4),
      });
    });
    socket.end(request);
  });

const nested = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;

describe('the HTTP edges', () => {
  let server: RunningServer;
  let url = '';

  const start = async (apiKeys = ''): Promise<void> => {
    server = await serve(apiKeys);
    url = `http://127.0.0.1:${server.port}`;
  };

  afterEach(async () => {
    await server.close(1_000);
  });

  const problemOf = async (response: Response): Promise<Record<string, unknown>> => {
    expect(response.headers.get('content-type')).to.match(/^application\/problem\+json/);
    return (await response.json()) as Record<string, unknown>;
  };

  describe('when API keys are configured', () => {
    beforeEach(async () => {
      await start('reader-key-1=read;scraper-key-1=metrics;admin-key-1=admin');
    });

    it('refuses /metrics without a key with 401 problem+json', async () => {
      const response = await fetch(`${url}/metrics`);
      expect(response.status).to.equal(401);
      expect(response.headers.get('www-authenticate')).to.equal('Bearer');
      expect(await problemOf(response)).to.include({ type: '/problems/unauthenticated' });
    });

    it('refuses /metrics to a key without the metrics scope with 403', async () => {
      const response = await fetch(`${url}/metrics`, { headers: { authorization: 'Bearer reader-key-1' } });
      expect(response.status).to.equal(403);
      expect(await problemOf(response)).to.include({ type: '/problems/forbidden' });
    });

    it('serves /metrics to a metrics or admin key, as Prometheus sends it (bearer)', async () => {
      for (const key of ['scraper-key-1', 'admin-key-1']) {
        const response = await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${key}` } });
        expect(response.status).to.equal(200);
        expect(await response.text()).to.match(/^# HELP /m);
      }
    });

    it('keeps /healthz open for probes', async () => {
      expect((await fetch(`${url}/healthz`)).status).to.equal(200);
    });
  });

  describe('when no API keys are configured (loopback only)', () => {
    beforeEach(async () => {
      await start();
    });

    it('serves /metrics without a key', async () => {
      expect((await fetch(`${url}/metrics`)).status).to.equal(200);
    });

    describe('and a JSON body nests deeply', () => {
      const put = (body: string): Promise<Response> =>
        fetch(`${url}/v1/skus/MUG-1`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body });

      it('answers 400 problem+json naming the limit, however deep (not a 500 from the stack)', async () => {
        for (const depth of [5_000, 100_000, maxJsonDepth + 1]) {
          const response = await put(nested(depth));
          expect(response.status, `depth ${depth}`).to.equal(400);
          const problem = await problemOf(response);
          expect(problem).to.include({ type: '/problems/json-too-deep', maxDepth: maxJsonDepth });
          expect(problem.detail).to.include(String(maxJsonDepth));
        }
      });

      it(`lets ${maxJsonDepth} levels through to validation`, async () => {
        const response = await put(nested(maxJsonDepth));
        expect(response.status).to.equal(400);
        expect(await problemOf(response)).to.include({ type: '/problems/validation-failed' });
      });

      it('does not count brackets inside strings, escaped quotes included', async () => {
        const response = await put(JSON.stringify({ name: `\\"${'[{'.repeat(100)}` }));
        expect(response.status).to.equal(200);
        expect(((await response.json()) as { received: { name: string } }).received.name).to.have.length(202);
      });

      it('refuses a body that is not UTF-8 with 415', async () => {
        const response = await fetch(`${url}/v1/skus/MUG-1`, {
          method: 'PUT',
          headers: { 'content-type': 'application/json; charset=utf-16le' },
          body: Buffer.from('{"name":"x"}', 'utf16le'),
        });
        expect(response.status).to.equal(415);
        expect(await problemOf(response)).to.include({ type: '/problems/unsupported-media-type' });
      });
    });

    describe('and a body is not JSON', () => {
      const send = (path: string, headers: Record<string, string>, body: string, method = 'POST'): Promise<Response> =>
        fetch(`${url}${path}`, { method, headers, body });

      it('answers 415 unsupported-media-type for text/plain on a route that takes a body', async () => {
        const response = await send('/v1/skus/MUG-1', { 'content-type': 'text/plain' }, '{"name":"x"}', 'PUT');
        expect(response.status).to.equal(415);
        const problem = await problemOf(response);
        expect(problem).to.include({ type: '/problems/unsupported-media-type', status: 415 });
        expect(problem.detail).to.include('text/plain');
      });

      it('answers 415 for a body without any content type', async () => {
        const response = await raw(
          server.port,
          'POST /v1/orders/o-1/cancel HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}',
        );
        expect(response.status).to.equal(415);
        expect(response.head).to.match(/content-type: application\/problem\+json/i);
      });

      it('accepts application/*+json', async () => {
        const response = await send(
          '/v1/skus/MUG-1',
          { 'content-type': 'application/merge-patch+json' },
          '{"name":"x"}',
          'PUT',
        );
        expect(response.status).to.equal(200);
      });

      it('lets an empty body through, whatever its type', async () => {
        const response = await send('/v1/orders/o-1/cancel', { 'content-type': 'text/plain' }, '');
        expect(response.status).to.equal(200);
      });

      it('still answers 404 on an unknown path and 405 on a method the path lacks', async () => {
        expect((await send('/v1/nowhere', { 'content-type': 'text/plain' }, 'x')).status).to.equal(404);
        expect((await send('/v1/orders/o-1', { 'content-type': 'text/plain' }, 'x')).status).to.equal(405);
      });
    });

    describe('and a method is not one the path supports', () => {
      for (const method of ['DELETE', 'PATCH', 'TRACE']) {
        it(`answers ${method} /v1/orders with 405 problem+json and every method of both routers in Allow`, async () => {
          const response = await raw(
            server.port,
            `${method} /v1/orders HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`,
          );
          expect(response.status).to.equal(405);
          expect(response.head).to.match(/\r\nallow: GET, HEAD, OPTIONS, POST\r\n/i);
          expect(JSON.parse(response.body)).to.include({ type: '/problems/method-not-allowed', status: 405 });
        });
      }

      it('answers a POST to a GET-only path with 405 and its Allow', async () => {
        for (const path of ['/v1/orders/o-1', '/healthz', '/metrics', '/v1/openapi.json']) {
          const response = await fetch(`${url}${path}`, { method: 'POST' });
          expect(response.status, path).to.equal(405);
          expect(response.headers.get('allow'), path).to.equal('GET, HEAD, OPTIONS');
          expect(await problemOf(response)).to.include({ type: '/problems/method-not-allowed' });
        }
      });

      it('answers OPTIONS with 204 and the methods of every router, not only the first', async () => {
        const response = await fetch(`${url}/v1/orders`, { method: 'OPTIONS' });
        expect(response.status).to.equal(204);
        expect(response.headers.get('allow')).to.equal('GET, HEAD, OPTIONS, POST');
      });

      it('keeps an unknown path a 404, whatever the method', async () => {
        for (const method of ['GET', 'DELETE', 'OPTIONS']) {
          const response = await fetch(`${url}/v1/nowhere`, { method });
          expect(response.status, method).to.equal(404);
          expect(await problemOf(response)).to.include({ type: '/problems/not-found' });
        }
      });
    });

    describe('and the request is malformed below the routes', () => {
      it('answers a URL over the header limit with 431 problem+json', async () => {
        const response = await raw(server.port, `GET /v1/orders/${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
        expect(response.status).to.equal(431);
        expect(response.head).to.match(/content-type: application\/problem\+json/i);
        expect(JSON.parse(response.body)).to.include({
          type: '/problems/request-header-fields-too-large',
          status: 431,
        });
      });

      it('answers headers over the limit with 431 problem+json', async () => {
        const response = await raw(
          server.port,
          `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`,
        );
        expect(response.status).to.equal(431);
        expect(JSON.parse(response.body)).to.include({ status: 431 });
      });

      it('answers bytes that are not HTTP with 400 problem+json', async () => {
        const response = await raw(server.port, 'HELLO THERE\r\n\r\n');
        expect(response.status).to.equal(400);
        expect(JSON.parse(response.body)).to.include({ type: '/problems/bad-request', status: 400 });
      });

      it('answers a path parameter that is not valid percent-encoding with 400, not 500', async () => {
        const response = await fetch(`${url}/v1/orders/%E0%A4%A`);
        expect(response.status).to.equal(400);
        expect(await problemOf(response)).to.include({ type: '/problems/malformed-url' });
      });

      it('answers an unsupported Expect with 417 problem+json', async () => {
        const response = await raw(
          server.port,
          'GET /healthz HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\nConnection: close\r\n\r\n',
        );
        expect(response.status).to.equal(417);
        expect(JSON.parse(response.body)).to.include({ type: '/problems/expectation-failed', status: 417 });
      });
    });
  });
});

describe('the engine API at its edges', () => {
  let api: TestApi;
  beforeEach(async () => {
    api = await startTestApi();
  });
  afterEach(async () => {
    await api.close();
  });

  it('lists the methods of the command and the read routers together for /v1/orders', async () => {
    const options = await fetch(`${api.url}/v1/orders`, { method: 'OPTIONS' });
    expect(options.status).to.equal(204);
    expect(options.headers.get('allow')).to.equal('GET, HEAD, OPTIONS, POST');
    const deleted = await fetch(`${api.url}/v1/skus/MUG-1`, { method: 'DELETE' });
    expect(deleted.status).to.equal(405);
    expect(deleted.headers.get('allow')).to.equal('GET, HEAD, OPTIONS, PUT');
  });

  for (const currency of ['XXX', 'AAA']) {
    it(`refuses a price in ${currency}, which is no ISO 4217 currency`, async () => {
      const response = await api.request({
        method: 'PUT',
        path: '/v1/skus/MUG-1',
        body: { name: 'Mug', unitPrice: { amount: 1250, currency } },
      });
      expect(response.status).to.equal(400);
      expect(response.body.errors).to.deep.include({
        field: 'unitPrice.currency',
        message: `expected Currency, got "${currency}"`,
      });
    });
  }
});
