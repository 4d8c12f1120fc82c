import { expect } from 'chai';
import type { SagaSettings } from '../../commands/sagas/config';
import type { RunnerHooks } from '../../commands/sagas/hooks';
import type { SagaService } from '../../commands/sagas/service';
import { SimulatedPaymentProvider, seededRandom, type SimulatedProviderOptions } from '../../infra/payments';
import type { RecordedEvent } from '../../ports/event-store';
import { get, post, put, startTestApi, type ApiResponse, type TestApi } from '../api-spec';

/** Holds every provider wait (only `tok_slow` waits, as latency is 0) until the test lets it go. */
export class ProviderGate {
  private waiting: (() => void)[] = [];
  private calledResolve: () => void = () => undefined;
  /** resolves once the provider started waiting */
  called: Promise<void>;

  constructor() {
    this.called = new Promise((resolve) => (this.calledResolve = resolve));
  }

  readonly sleep = (): Promise<void> =>
    new Promise((resolve) => {
      this.waiting.push(resolve);
      this.calledResolve();
    });

  release(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const resolve of waiting) resolve();
  }
}

export interface SagaTestApi extends TestApi {
  readonly sagas: SagaService;
  readonly provider: SimulatedPaymentProvider;
  readonly gate: ProviderGate;
  /** waits until the sagas are idle, then answers the store's head (a position for X-Min-Position) */
  settle(): Promise<number>;
  /** the read model of an order once the sagas settled */
  order(orderId: string): Promise<Record<string, unknown>>;
  sku(sku: string): Promise<Record<string, unknown>>;
  /** any read API document once the sagas settled and the read model caught up */
  read(path: string): Promise<Record<string, unknown>>;
  stream(streamId: string): Promise<readonly RecordedEvent[]>;
  /** how often an event type occurs in a stream */
  count(streamId: string, type: string): Promise<number>;
}

export interface SagaApiOptions {
  readonly settings?: Partial<SagaSettings>;
  readonly provider?: Omit<SimulatedProviderOptions, 'sleep' | 'random'>;
  readonly hooks?: RunnerHooks;
  readonly env?: Record<string, string>;
}

/** Test defaults: a short payment timeout is not needed (the clock is moved by hand), but quick backoffs are. */
export const testSettings: Partial<SagaSettings> = {
  providerRetries: 2,
  providerBackoffMs: [1_000, 5_000],
};

/** The whole engine over real HTTP with the saga runner on: ManualClock, deadlines fire only on `sagas.tick()`. */
export const startSagaApi = async (options: SagaApiOptions = {}): Promise<SagaTestApi> => {
  const gate = new ProviderGate();
  const provider = new SimulatedPaymentProvider({
    random: seededRandom(7),
    sleep: gate.sleep,
    ...options.provider,
  });
  const api = await startTestApi(options.env ?? {}, {
    sagas: {
      provider,
      env: {},
      settings: { ...testSettings, ...options.settings },
      tickIntervalMs: null,
      pause: () => Promise.resolve(),
      ...(options.hooks ? { hooks: options.hooks } : {}),
    },
  });
  const sagas = api.engine.sagas;
  if (sagas === undefined) throw new Error('the engine started without sagas');
  const settle = async (): Promise<number> => {
    await sagas.idle(15_000);
    return api.store.headPosition();
  };
  const readOne = async (path: string): Promise<Record<string, unknown>> => {
    const head = await settle();
    const response: ApiResponse = await api.request(get(path, { 'X-Min-Position': String(head) }));
    expect(response.status, `${path}: ${JSON.stringify(response.body)}`).to.equal(200);
    expect(response.headers.get('x-stale')).to.equal(null);
    return response.body;
  };
  const stream = (streamId: string) => api.store.readStream(streamId);
  return {
    ...api,
    sagas,
    provider,
    gate,
    settle,
    order: (orderId) => readOne(`/v1/orders/${orderId}`),
    sku: (sku) => readOne(`/v1/skus/${sku}`),
    read: readOne,
    stream,
    async count(streamId, type) {
      return (await stream(streamId)).filter((e) => e.type === `${type}.v1`).length;
    },
  };
};

// ---------------------------------------------------------------------------------------------------------------
// requests

export const defineSku = (sku: string, amount: number) =>
  put(`/v1/skus/${sku}`, { name: sku, unitPrice: { amount, currency: 'EUR' } });

export const restock = (sku: string, quantity: number) => post(`/v1/skus/${sku}/restock`, { quantity });

export const placeOrder = (
  orderId: string,
  lines: readonly { readonly sku: string; readonly quantity: number }[],
  token = 'tok_approve',
) => post('/v1/orders', { orderId, customerId: 'cust-1', lines, payment: { token } });

/** Sends requests one after another, failing on anything but 2xx. */
export const given = async (api: TestApi, ...requests: ReturnType<typeof post>[]): Promise<void> => {
  for (const request of requests) {
    const response = await api.request(request);
    expect(response.status, `${request.method} ${request.path}: ${JSON.stringify(response.body)}`).to.be.within(
      200,
      299,
    );
  }
};
