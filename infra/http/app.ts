import express, { type Express, type Router } from 'express';
import type { Server } from 'node:http';
import type { ApiKey } from '../config';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import { observe } from './middleware';
import { problem, problemHandler } from './problem';

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
  app.get('/metrics', async (_req, res) => {
    res.type(options.metrics.registry.contentType).send(await options.metrics.registry.metrics());
  });
  app.use(observe(options.logger, options.metrics, options.apiKeys));
  app.use(express.json({ limit: options.bodyLimit, strict: false, type: ['application/json', 'application/*+json'] }));
  app.get('/v1/openapi.json', (_req, res) => {
    res.json(options.openApi());
  });
  for (const router of options.v1) app.use('/v1', router);
  for (const router of options.root ?? []) app.use(router);
  app.use((req, _res, next) => {
    next(problem(404, 'NotFound', 'Not found', `no route for ${req.method} ${req.path}`));
  });
  app.use(problemHandler(options.logger));
  return app;
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
