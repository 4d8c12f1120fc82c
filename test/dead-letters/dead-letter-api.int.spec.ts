import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SAGA_DISPATCH_CONSUMER } from '../../commands/sagas/runner';
import { get, post, put, scenario, startTestApi, type ApiRequest, type TestApi } from '../api-spec';
import { startEngineProcess, type EngineProcess } from '../../tools/services/engine-process';
import { OutageProvider } from './outage-provider';
import { SagaWorld } from './saga-world';

const keys = 'admin-key-0001=admin;reader-key-0001=read';
const admin = { Authorization: 'Bearer admin-key-0001' };
const reader = { Authorization: 'Bearer reader-key-0001' };

interface Letter {
  readonly id: number;
  readonly consumer: string;
  readonly key: string;
  readonly error: string;
  readonly attempts: number;
  readonly event: { readonly type: string; readonly streamId: string };
}

const itemsOf = (body: Record<string, unknown>): Letter[] => body.items as Letter[];

describe('the dead-letter routes', () => {
  describe('in the embedded engine (serve)', () => {
    let api: TestApi;
    const provider = new OutageProvider();

    const send = async (...requests: ApiRequest[]): Promise<void> => {
      for (const request of requests) {
        const response = await api.request(request);
        expect(response.status, `${request.path}: ${JSON.stringify(response.body)}`).to.be.within(200, 299);
      }
    };

    /** an order whose payment authorization the runner dead-letters: the provider is down for it */
    const deadLetterFor = async (orderId: string): Promise<Letter> => {
      provider.down.add(orderId);
      await send(
        post(
          '/v1/orders',
          { orderId, customerId: 'alice', lines: [{ sku: 'MUG-1', quantity: 1 }], payment: { token: 'tok_approve' } },
          admin,
        ),
      );
      await api.engine.sagas?.idle(10_000);
      const letter = (await api.engine.deadLetters.list({ key: `saga-fulfilment-${orderId}` }))[0];
      if (letter === undefined) throw new Error(`no dead letter for ${orderId}`);
      return { ...letter, event: letter.event };
    };

    beforeEach(async () => {
      api = await startTestApi(
        { API_KEYS: keys },
        { sagas: { provider, tickIntervalMs: null, pause: () => Promise.resolve() } },
      );
      await send(
        put('/v1/skus/MUG-1', { name: 'Mug', unitPrice: { amount: 1250, currency: 'EUR' } }, admin),
        post('/v1/skus/MUG-1/restock', { quantity: 10 }, admin),
      );
    });
    afterEach(async () => {
      await api.close();
      provider.down.clear();
    });

    it('lists the letters a consumer gave up on, with the event and the last error', async () => {
      const letter = await deadLetterFor('o-down');
      await scenario(api)
        .when(get('/v1/dead-letters', admin))
        .then(200, (body) => {
          expect(itemsOf(body)).to.have.length(1);
          expect(itemsOf(body)[0]).to.deep.include({
            id: letter.id,
            consumer: SAGA_DISPATCH_CONSUMER,
            key: 'saga-fulfilment-o-down',
          });
          expect(itemsOf(body)[0]?.error).to.match(/ECONNREFUSED/);
          expect(itemsOf(body)[0]?.event).to.deep.include({ streamId: 'saga-fulfilment-o-down' });
        });
      await scenario(api)
        .when(get('/v1/dead-letters?consumer=saga-runner', admin))
        .then(200, (body) => {
          expect(itemsOf(body)).to.deep.equal([]);
        });
      await scenario(api)
        .when(get('/v1/dead-letters?consumer=nobody', admin))
        .thenProblem(400, '/problems/validation-failed');
    });

    it('retries a letter: the command goes out again, the order is paid and the letter is gone', async () => {
      const letter = await deadLetterFor('o-down');
      provider.down.delete('o-down');
      await scenario(api)
        .when(post(`/v1/dead-letters/${letter.id}/retry`, undefined, admin))
        .then(200, (body) => {
          expect(body).to.deep.equal({ retried: [letter.id] });
        });
      await api.engine.sagas?.idle(10_000);
      const payment = (await api.store.readStream('payment-o-down')).map((e) => e.type);
      expect(payment.join(' ')).to.match(/PaymentAuthorized/);
      expect(await api.engine.deadLetters.list()).to.deep.equal([]);
      await scenario(api)
        .when(post(`/v1/dead-letters/${letter.id}/retry`, undefined, admin))
        .thenProblem(404, '/problems/dead-letter-not-found');
    });

    it('keeps a letter that fails again and answers 409 with the new error', async () => {
      const letter = await deadLetterFor('o-down');
      await scenario(api)
        .when(post(`/v1/dead-letters/${letter.id}/retry`, undefined, admin))
        .then(409, (body) => {
          expect(body.type).to.equal('/problems/dead-letter-failed-again');
          expect(body.detail).to.match(/ECONNREFUSED/);
          expect(body.failed).to.deep.include({ id: letter.id });
        });
      expect((await api.engine.deadLetters.get(letter.id))?.attempts).to.be.above(letter.attempts);
    });

    it('discards a letter for good', async () => {
      const letter = await deadLetterFor('o-down');
      await scenario(api)
        .when(post(`/v1/dead-letters/${letter.id}/discard`, undefined, admin))
        .then(200, (body) => {
          expect(body.discarded).to.deep.include({ id: letter.id, key: 'saga-fulfilment-o-down' });
        });
      expect(await api.engine.deadLetters.list()).to.deep.equal([]);
      await scenario(api)
        .when(post(`/v1/dead-letters/${letter.id}/discard`, undefined, admin))
        .thenProblem(404, '/problems/dead-letter-not-found');
    });

    it('answers problem+json 404 for an id that names no letter, and 400 for one that cannot be an id', async () => {
      for (const action of ['retry', 'discard']) {
        await scenario(api)
          .when(post(`/v1/dead-letters/999/${action}`, undefined, admin))
          .thenProblem(404, '/problems/dead-letter-not-found');
        for (const id of ['0', 'abc', '1e3', '-1', '99999999999999999999']) {
          await scenario(api)
            .when(post(`/v1/dead-letters/${id}/${action}`, undefined, admin))
            .thenProblem(400, '/problems/validation-failed');
        }
      }
      const response = await api.request(get('/v1/openapi.json'));
      const paths = response.body.paths as Record<
        string,
        Record<string, { parameters: { name: string; schema: { pattern?: string } }[] }>
      >;
      const id = paths['/v1/dead-letters/{id}/retry']?.post?.parameters.find((p) => p.name === 'id');
      expect(id?.schema.pattern).to.equal('^[1-9][0-9]{0,11}$');
    });

    it('needs a key (401) with the admin scope (403) for every operation', async () => {
      const letter = await deadLetterFor('o-down');
      for (const path of ['/v1/dead-letters']) {
        await scenario(api).when(get(path)).thenProblem(401, '/problems/unauthenticated');
        await scenario(api).when(get(path, reader)).thenProblem(403, '/problems/forbidden');
      }
      for (const action of ['retry', 'discard']) {
        const path = `/v1/dead-letters/${letter.id}/${action}`;
        await scenario(api).when(post(path)).thenProblem(401, '/problems/unauthenticated');
        await scenario(api)
          .when(post(path, undefined, reader))
          .thenProblem(403, '/problems/forbidden');
      }
      expect((await api.engine.deadLetters.list()).map((l) => l.id)).to.deep.equal([letter.id]);
    });

    it('documents the three operations, with the admin scope, in the OpenAPI document', async () => {
      const response = await api.request(get('/v1/openapi.json'));
      const paths = response.body.paths as Record<
        string,
        Record<string, { operationId: string; 'x-required-scope': string }>
      >;
      expect(paths['/v1/dead-letters']?.get).to.deep.include({
        operationId: 'listDeadLetters',
        'x-required-scope': 'admin',
      });
      expect(paths['/v1/dead-letters/{id}/retry']?.post?.operationId).to.equal('retryDeadLetter');
      expect(paths['/v1/dead-letters/{id}/discard']?.post?.operationId).to.equal('discardDeadLetter');
    });
  });

  describe('in distributed mode, served by the saga runner that holds the letters', function () {
    // a real `commerce saga-runner` process (SQLite event store, embedded bus) on the files of a stopped engine
    this.timeout(60_000);
    let world: SagaWorld;
    let runner: EngineProcess | undefined;
    let logs: string;

    const call = async (method: 'GET' | 'POST', path: string, headers: Record<string, string> = admin) => {
      const response = await fetch(`${runner?.url ?? ''}${path}`, { method, headers });
      return {
        status: response.status,
        type: response.headers.get('content-type') ?? '',
        body: (await response.json()) as Record<string, unknown>,
      };
    };

    before(async () => {
      world = await SagaWorld.start();
      await world.stock('MUG-1', 10);
      world.failing.add('saga-fulfilment-o-bad');
      await world.place('o-bad', 'MUG-1');
      await world.running.idle(10_000);
      await world.stopSagas();
      logs = mkdtempSync(join(tmpdir(), 'commerce-dlq-logs-'));
      runner = await startEngineProcess({
        name: 'saga-runner',
        subcommand: 'saga-runner',
        env: { DATA_DIR: world.dir, EVENT_STORE: 'sqlite', BUS: 'embedded', API_KEYS: keys, LOG_LEVEL: 'warn' },
        logDir: logs,
      });
    });
    after(async () => {
      await runner?.stop();
      await world.close();
      rmSync(logs, { recursive: true, force: true });
    });

    it('lists, refuses without the admin scope, and retries a letter through its own runner', async () => {
      const listed = await call('GET', '/v1/dead-letters');
      expect(listed.status).to.equal(200);
      const letters = itemsOf(listed.body);
      expect(letters.map((l) => l.key)).to.include('saga-fulfilment-o-bad');
      const oldest = letters[0];
      expect((await call('GET', '/v1/dead-letters', {})).status).to.equal(401);
      expect((await call('POST', `/v1/dead-letters/${oldest?.id}/retry`, reader)).status).to.equal(403);

      const retried = await call('POST', `/v1/dead-letters/${oldest?.id}/retry`);
      expect(retried.status, JSON.stringify(retried.body)).to.equal(200);
      expect(await world.types('saga-fulfilment-o-bad')).to.include('FulfilmentStarted');
      expect(itemsOf((await call('GET', '/v1/dead-letters')).body)).to.deep.equal([]);
    });

    it('discards, answers problem+json 404 for an unknown id, and documents its routes', async () => {
      const [placed] = await world.store.readStream('order-o-bad');
      if (placed === undefined) throw new Error('no OrderPlaced');
      const recorded = await world.deadLetters.record({
        consumer: 'saga-runner',
        key: 'saga-fulfilment-o-gone',
        event: { ...placed, source: '$all', sequence: placed.position },
        error: 'Error: gave up',
        attempts: 3,
      });
      const discarded = await call('POST', `/v1/dead-letters/${recorded.id}/discard`);
      expect(discarded.status).to.equal(200);
      expect(discarded.body.discarded).to.deep.include({ id: recorded.id, key: 'saga-fulfilment-o-gone' });
      expect(await world.deadLetters.get(recorded.id)).to.equal(undefined);
      const missing = await call('POST', '/v1/dead-letters/424242/discard');
      expect(missing.status).to.equal(404);
      expect(missing.type).to.match(/^application\/problem\+json/);
      expect(missing.body.type).to.equal('/problems/dead-letter-not-found');
      const document = await call('GET', '/v1/openapi.json');
      expect(Object.keys(document.body.paths as object)).to.have.members([
        '/v1/dead-letters',
        '/v1/dead-letters/{id}/retry',
        '/v1/dead-letters/{id}/discard',
      ]);
    });
  });
});
