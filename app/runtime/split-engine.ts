import express, { type Request, type Response, type Router } from 'express';
import { commandHandlerFor, commandApi, readApi } from './api-parts';
import { startEngineWorkers, openEngineEventStore } from './engine';
import { startHttpServer, type ApiPart } from './http-server';
import { untilSignal } from './lifecycle';
import { openReadStore } from './read-store';
import { WorkerLink, type FromWorker, type ToWorker } from './worker-link';
import { deadLetterOperations } from '../dead-letters/openapi';
import type { Config } from '../config';
import { dashboardRouter } from '../../dashboard/router';
import { problem } from '../../http/problem';
import { createMetrics } from '../../infra/observability/metrics';
import { systemClock } from '../../ports/clock';
import type { Logger } from '../../ports/logger';
import { liveRoutes } from '../../read-api/live';

/**
 * `serve` on both cores (ADR 0011). The parent process owns the HTTP edge: the command API (it decides and appends
 * orders, cancels, refunds) and the read API (it reads the read store). A child process, the engine worker, owns
 * everything that follows from the log: the embedded bus, the sagas (which send their commands to the same event
 * store file) and the projections (the only writer of the read store). Both open the same WAL SQLite files; the
 * event store serialises their appends with its write lock and expected revisions, as it does for any two
 * processes. The worker reports its projections' positions over the IPC pipe after each read-store commit, which keeps
 * `X-Min-Position` exact; dead-letter routes are served by the worker and passed through by the parent.
 */

/** How often the worker looks for appends made by the parent (PRAGMA data_version: no table read). */
const WORKER_POLL_MS = 2;

export interface SplitEngine {
  readonly url: string;
  readonly worker: WorkerLink;
  stop(graceMs?: number): Promise<void>;
}

/** Forwards `/v1/dead-letters…` to the worker, which holds the saga runner and the dead-letter file. */
const deadLetterPassThrough = (worker: WorkerLink): ApiPart => {
  const router: Router = express.Router();
  const pass = async (req: Request, res: Response): Promise<void> => {
    const target = worker.url;
    if (target === undefined) {
      throw problem(503, 'WorkerUnavailable', 'Engine worker restarting', 'the engine worker is starting again');
    }
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === 'string' && !['host', 'connection', 'content-length'].includes(name)) {
        headers.set(name, value);
      }
    }
    const hasBody = req.body !== undefined && req.method !== 'GET' && req.method !== 'HEAD';
    const answer = await fetch(`${target}${req.originalUrl}`, {
      method: req.method,
      headers,
      ...(hasBody ? { body: JSON.stringify(req.body) } : {}),
    });
    res.status(answer.status);
    const type = answer.headers.get('content-type');
    if (type !== null) res.type(type);
    res.send(Buffer.from(await answer.arrayBuffer()));
  };
  router.all(['/dead-letters', '/dead-letters/*rest'], pass);
  return { router, operations: deadLetterOperations };
};

/** The parent side of `serve`: HTTP, commands and reads here; sagas and projections in the worker it starts. */
export const startSplitEngine = async (config: Config, logger: Logger): Promise<SplitEngine> => {
  const metrics = createMetrics();
  const store = openEngineEventStore(config);
  const readStore = await openReadStore(config, logger);
  const worker = await WorkerLink.start({ logger, registry: metrics.registry });
  const handler = commandHandlerFor(store, systemClock, metrics, config);
  const liveShutdown = new AbortController();
  const server = await startHttpServer({
    config,
    logger,
    metrics,
    title: 'Commerce engine API',
    parts: [
      {
        router: liveRoutes({
          onPosition: (listener) => worker.positions.onPosition(listener),
          positions: () => worker.positions.positions(),
          signal: liveShutdown.signal,
        }),
        operations: [],
      },
      deadLetterPassThrough(worker),
      commandApi(handler, systemClock),
      readApi(readStore, store, worker.positions, config),
    ],
    root: [dashboardRouter()],
    ready: async () => {
      await store.headPosition();
      return true;
    },
    exposition: () => worker.exposition(),
  });
  return {
    url: server.url,
    worker,
    async stop(graceMs = config.shutdownGraceMs) {
      liveShutdown.abort();
      await server.close(graceMs);
      await worker.stop(graceMs);
      await readStore.close();
      await store.close();
    },
  };
};

/**
 * `commerce engine-worker`, started by `serve` over an IPC pipe (not by hand): the embedded bus, projections and
 * sagas on the same files as its parent; health, metrics and dead letters on an ephemeral loopback port.
 */
export const runEngineWorker = async (config: Config, logger: Logger): Promise<void> => {
  const send = (message: FromWorker): void => {
    if (process.connected) process.send?.(message);
  };
  if (process.send === undefined) throw new Error('engine-worker is started by `commerce serve`, not by hand');
  // the parent is gone (killed, crashed): stop at once, as a crash would; the next start resumes from checkpoints
  process.once('disconnect', () => {
    logger.warn('engine worker: the serving process is gone; exiting');
    process.exit(0);
  });
  const metrics = createMetrics();
  const store = openEngineEventStore(config, WORKER_POLL_MS);
  const workers = await startEngineWorkers(store, config, logger, {
    clock: systemClock,
    metrics,
    handler: commandHandlerFor(store, systemClock, metrics, config),
  });
  // positions go out once per turn of the event loop, however many batches committed in it
  let changed: Record<string, number> | undefined;
  workers.projections.onPosition((name, position) => {
    if (changed === undefined) {
      changed = {};
      setImmediate(() => {
        const positions = changed ?? {};
        changed = undefined;
        send({ kind: 'positions', positions });
      });
    }
    changed[name] = position;
  });
  const ops = await startHttpServer({
    config: { ...config, host: '127.0.0.1', port: 0 },
    logger,
    metrics,
    title: 'Commerce engine worker',
    parts: [workers.deadLetterApi],
  });
  const stop = async (): Promise<void> => {
    await ops.close(1_000);
    await workers.stop(config.shutdownGraceMs);
    await store.close();
  };
  let stopped: Promise<void> | undefined;
  process.on('message', (message: ToWorker) => {
    if (message.kind === 'metrics') {
      metrics.registry.getMetricsAsJSON().then(
        (json) => {
          send({ kind: 'metrics', id: message.id, metrics: json });
        },
        () => {
          send({ kind: 'metrics', id: message.id, metrics: [] });
        },
      );
    } else {
      stopped ??= stop().then(() => process.exit(0));
    }
  });
  send({
    kind: 'ready',
    url: ops.url,
    positions: Object.fromEntries(workers.projections.statuses().map((s) => [s.name, s.position])),
  });
  await untilSignal(logger, async () => {
    stopped ??= stop();
    await stopped;
  });
};
