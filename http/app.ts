import express, { type Express, type Router } from 'express';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ApiKey } from './auth';
import type { Logger } from '../ports/logger';
import type { Metrics } from '../ports/metrics';
import { allowedMethods, answerOptions, notFoundOrNotAllowed } from './allowed-methods';
import { jsonBody, observe, requireKeyScope } from './middleware';
import { problemHandler, rawProblemResponse, statusProblem } from './problem';
import { admission } from './flow/admission';
import type { FlowControl } from './flow/flow-control';
import type { OperationSpec } from './openapi';

export interface HttpAppOptions {
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly apiKeys: readonly ApiKey[];
  readonly bodyLimit: string;
  /** mounted under /v1 */
  readonly v1: readonly Router[];
  /** mounted at the root, after /v1 (e.g. the dashboard's page and assets) */
  readonly root?: readonly Router[];
  readonly openApi: () => unknown;
  /** readiness: dependencies answer and the process is not shutting down */
  readonly ready: () => Promise<boolean>;
  /** what `/metrics` answers (default: the registry's own text); a process with a worker adds the worker's */
  readonly exposition?: () => Promise<string>;
  /** admission of the API's operations (rates, concurrency, hot parameters, shedding) */
  readonly flow?: { readonly control: FlowControl; readonly operations: readonly OperationSpec[] };
}

/** An express app with the shared edges: JSON limits, auth context, metrics, health, problem+json errors. */
export const createHttpApp = (options: HttpAppOptions): Express => {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const ready = await options.ready().catch(() => false);
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready' });
  });
  // business volumes: with keys configured, a scrape needs the `metrics` (or `admin`) scope; before `observe`, so
  // scrapes stay out of the access log and the request metrics
  app.get('/metrics', requireKeyScope(options.apiKeys, 'metrics'), async (_req, res) => {
    const text = await (options.exposition ?? (() => options.metrics.registry.metrics()))();
    res.type(options.metrics.registry.contentType).send(text);
  });
  app.use(observe(options.logger, options.metrics, options.apiKeys));
  const methodsOf = (path: string): readonly string[] => allowedMethods(app.router.stack, path);
  app.use(answerOptions(methodsOf));
  app.use(...jsonBody(options.bodyLimit, (method, path) => methodsOf(path).includes(method)));
  if (options.flow !== undefined) app.use(admission(options.flow.control, options.flow.operations));
  app.get('/v1/openapi.json', (_req, res) => {
    res.json(options.openApi());
  });
  for (const router of options.v1) app.use('/v1', router);
  for (const router of options.root ?? []) app.use(router);
  app.use(notFoundOrNotAllowed(methodsOf));
  app.use(problemHandler(options.logger));
  return app;
};

/** The status Node itself would answer a request it could not parse with (see socketOnError in node:_http_server). */
const clientErrorStatus = (code: unknown): number => {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return 431;
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return 413;
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return 408;
    default:
      return 400;
  }
};

const clientErrorDetail: Readonly<Record<number, string>> = {
  431: 'the request line or headers exceed the server limit (the URL or a header is too long)',
  413: 'the chunk extensions of the request body exceed the server limit',
  408: 'the request did not arrive in time',
};

/**
 * Requests Node rejects before express sees them (headers or URL over the limit, malformed HTTP, timeouts) get a
 * problem+json answer too; Node's default is an empty body. An unsupported `Expect` likewise.
 */
export const answerClientErrors = (server: Server): void => {
  server.on('clientError', (error: Error & { code?: unknown }, socket: Duplex) => {
    // a response already under way on this socket must not be corrupted by a second one
    const inFlight: unknown = '_httpMessage' in socket ? socket._httpMessage : undefined;
    const started =
      typeof inFlight === 'object' && inFlight !== null && 'headersSent' in inFlight && inFlight.headersSent === true;
    if (error.code === 'ECONNRESET' || !socket.writable || started) {
      socket.destroy();
      return;
    }
    const status = clientErrorStatus(error.code);
    const detail =
      clientErrorDetail[status] ??
      `the request is not valid HTTP (${typeof error.code === 'string' ? error.code : 'unparsable'})`;
    socket.end(rawProblemResponse(statusProblem(status, detail).problem), () => socket.destroy());
  });
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
    const p = statusProblem(417, `only "Expect: 100-continue" is supported, not ${JSON.stringify(req.headers.expect)}`);
    const body = JSON.stringify({ ...p.problem, instance: req.url });
    res.writeHead(417, {
      'Content-Type': 'application/problem+json; charset=utf-8',
      'Content-Length': Buffer.byteLength(body),
      Connection: 'close',
    });
    res.end(body);
  });
};

export interface RunningServer {
  readonly server: Server;
  readonly port: number;
  /** stop accepting connections, let in-flight requests finish (bounded), then resolve */
  close(graceMs?: number): Promise<void>;
}

export const listen = (app: Express, host: string, port: number): Promise<RunningServer> =>
  new Promise((resolve, reject) => {
    const server = app.listen(port, host);
    server.keepAliveTimeout = 5_000;
    answerClientErrors(server);
    server.once('error', reject);
    server.once('listening', () => {
      const address = server.address();
      const bound = typeof address === 'object' && address !== null ? address.port : port;
      resolve({
        server,
        port: bound,
        close: (graceMs = 10_000) =>
          new Promise<void>((done) => {
            const timer = setTimeout(() => {
              server.closeAllConnections();
            }, graceMs);
            server.close(() => {
              clearTimeout(timer);
              done();
            });
            // idle keep-alive sockets would hold close() open until their timeout
            server.closeIdleConnections();
          }),
      });
    });
  });
