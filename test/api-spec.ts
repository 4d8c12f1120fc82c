import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../app/config';
import { startEmbeddedEngine, type EmbeddedEngine, type EngineOverrides } from '../app/runtime/engine';
import { createLogger } from '../infra/observability/logger';
import { createMetrics } from '../infra/observability/metrics';
import { ManualClock } from '../ports/clock';
import type { EventStore } from '../ports/event-store';

/** The whole embedded engine over real HTTP on temporary SQLite files, with a hand-moved clock. */
export interface TestApi {
  readonly url: string;
  readonly store: EventStore;
  readonly engine: EmbeddedEngine;
  readonly clock: ManualClock;
  request(req: ApiRequest): Promise<ApiResponse>;
  close(): Promise<void>;
}

export interface ApiRequest {
  readonly method: 'GET' | 'PUT' | 'POST';
  readonly path: string;
  readonly body?: unknown;
  /** sent as-is instead of JSON-encoding `body` */
  readonly rawBody?: string;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface ApiResponse {
  readonly status: number;
  readonly contentType: string;
  readonly headers: Headers;
  // tests inspect arbitrary JSON
  readonly body: Record<string, unknown>;
}

export const put = (path: string, body?: unknown, headers?: Record<string, string>): ApiRequest => ({
  method: 'PUT',
  path,
  body,
  ...(headers ? { headers } : {}),
});
export const post = (path: string, body?: unknown, headers?: Record<string, string>): ApiRequest => ({
  method: 'POST',
  path,
  body,
  ...(headers ? { headers } : {}),
});
export const get = (path: string, headers?: Record<string, string>): ApiRequest => ({
  method: 'GET',
  path,
  ...(headers ? { headers } : {}),
});

/** `overrides` opts into the saga runner (`{ sagas: {…} }`); without it orders stay as the test leaves them. */
export const startTestApi = async (
  env: Record<string, string> = {},
  overrides: Pick<EngineOverrides, 'sagas'> = { sagas: false },
): Promise<TestApi> => {
  const dir = mkdtempSync(join(tmpdir(), 'commerce-api-'));
  // flow control (rates, shedding, the sold-out fast path) is tested on its own, with FLOW_CONTROL=on
  const config = loadConfig({ DATA_DIR: dir, PORT: '0', FLOW_CONTROL: 'off', ...env });
  const clock = new ManualClock('2026-03-01T10:00:00.000Z');
  const engine = await startEmbeddedEngine(config, createLogger('silent'), {
    clock,
    metrics: createMetrics(false),
    // the payment breaker is tested on its own: here a provider made to fail must fail into the saga's own handling
    ...(overrides.sagas === false || overrides.sagas === undefined
      ? overrides
      : { sagas: { ...overrides.sagas, settings: { breaker: undefined, ...overrides.sagas.settings } } }),
  });
  const url = engine.url;
  return {
    url,
    store: engine.store,
    engine,
    clock,
    async request(req) {
      const body = req.rawBody ?? (req.body === undefined ? undefined : JSON.stringify(req.body));
      const response = await fetch(`${url}${req.path}`, {
        method: req.method,
        headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...req.headers },
        ...(body === undefined ? {} : { body }),
      });
      const text = await response.text();
      return {
        status: response.status,
        contentType: response.headers.get('content-type') ?? '',
        headers: response.headers,
        body: text.length > 0 ? (JSON.parse(text) as Record<string, unknown>) : {},
      };
    },
    async close() {
      await engine.stop(1_000);
      rmSync(dir, { recursive: true, force: true });
    },
  };
};

/**
 * Given/when/then over HTTP:
 *   await scenario(api).given(defineMug, restock10).when(placeOrder).then(202, (body) => …)
 * Every `given` request must succeed (2xx); `then` checks the status, problem+json on errors, and the body.
 */
export const scenario = (api: TestApi) => {
  const givens: ApiRequest[] = [];
  const self = {
    given(...requests: ApiRequest[]) {
      givens.push(...requests);
      return self;
    },
    when(request: ApiRequest) {
      return {
        async then(
          status: number,
          check?: (body: Record<string, unknown>, response: ApiResponse) => void,
        ): Promise<ApiResponse> {
          for (const g of givens) {
            const r = await api.request(g);
            expect(r.status, `given ${g.method} ${g.path}: ${JSON.stringify(r.body)}`).to.be.within(200, 299);
          }
          const response = await api.request(request);
          expect(response.status, JSON.stringify(response.body)).to.equal(status);
          if (status >= 400) {
            expect(response.contentType).to.match(/^application\/problem\+json/);
            expect(response.body).to.include.keys('type', 'title', 'status', 'detail');
            expect(JSON.stringify(response.body)).not.to.match(/\bat .+\.ts:\d+/);
          }
          check?.(response.body, response);
          return response;
        },
        /** shorthand for an error: status plus the problem type */
        async thenProblem(status: number, type: string): Promise<ApiResponse> {
          return this.then(status, (body) => {
            expect(body.type).to.equal(type);
          });
        },
      };
    },
  };
  return self;
};
