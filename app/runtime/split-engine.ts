import express, { type Request, type Response, type Router } from 'express';
import { Counter } from 'prom-client';
import { commandHandlerFor } from './api-parts';
import { startEngineCheckpointer, startEngineHttp, startEngineWorkers, openEngineEventStore } from './engine';
import { startHttpServer, type ApiPart } from './http-server';
import { untilSignal } from './lifecycle';
import { openReadStore } from './read-store';
import { exposition, WorkerLink, workerRoles, type FromWorker, type ToWorker, type WorkerRole } from './worker-link';
import { breakerStateIn, lowestOf } from './flow';
import { deadLetterOperations } from '../dead-letters/openapi';
import type { Config } from '../config';
import { problem } from '../../http/problem';
import { createMetrics } from '../../infra/observability/metrics';
import { systemClock } from '../../ports/clock';
import type { Logger } from '../../ports/logger';

/**
 * `serve` on both cores (ADR 0011). The parent process owns the HTTP edge: the command API (it decides and appends
 * orders, cancels, refunds) and the read API (it reads the read store). Two child processes, the engine workers, own
 * what follows from the log, each on its own embedded bus: the sagas worker (its commands go to the same event store
 * file) and the projections worker (the only writer of the read store). All open the same WAL SQLite files; the
 * event store serialises their appends with its write lock and expected revisions, as it does for any processes.
 * The projections worker reports positions over its IPC pipe after each read-store commit, which keeps
 * `X-Min-Position` exact; dead-letter routes are served by the sagas worker and passed through by the parent.
 */

/** How often the worker looks for appends made by the parent (PRAGMA data_version: no table read). */
const WORKER_POLL_MS = 2;
/** how often the sagas worker tells `serve` how far its runner got (the backlog flow control reads) */
const HANDLED_REPORT_MS = 200;

export interface SplitEngine {
  readonly url: string;
  readonly workers: Readonly<Record<WorkerRole, WorkerLink>>;
  stop(graceMs?: number): Promise<void>;
}

/** Forwards `/v1/dead-letters…` to the sagas worker, which holds the saga runner (and retries projections' letters). */
const deadLetterPassThrough = (worker: WorkerLink): ApiPart => {
  const router: Router = express.Router();
  const pass = async (req: Request, res: Response): Promise<void> => {
    const unavailable = problem(503, 'WorkerUnavailable', 'Engine worker restarting', 'the sagas worker is starting');
    const target = worker.url;
    if (target === undefined) throw unavailable;
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === 'string' && !['host', 'connection', 'content-length'].includes(name)) {
        headers.set(name, value);
      }
    }
    const hasBody = req.body !== undefined && req.method !== 'GET' && req.method !== 'HEAD';
    // a worker that died a moment ago refuses the connection until it is started again
    const answer = await fetch(`${target}${req.originalUrl}`, {
      method: req.method,
      headers,
      ...(hasBody ? { body: JSON.stringify(req.body) } : {}),
    }).catch(() => {
      throw unavailable;
    });
    res.status(answer.status);
    const type = answer.headers.get('content-type');
    if (type !== null) res.type(type);
    res.send(Buffer.from(await answer.arrayBuffer()));
  };
  // the worker's own routes, method by method, so that 405 and `Allow` are answered here like any route's
  router.get('/dead-letters', pass);
  router.post('/dead-letters/:id/retry', pass);
  router.post('/dead-letters/:id/discard', pass);
  return { router, operations: deadLetterOperations };
};

/** The parent side of `serve`: HTTP, commands and reads here; sagas and projections in the workers it starts. */
export const startSplitEngine = async (config: Config, logger: Logger): Promise<SplitEngine> => {
  const metrics = createMetrics();
  const store = await openEngineEventStore(config, { autoCheckpoint: false });
  const readStore = await openReadStore(config, logger, { autoCheckpoint: false });
  const restarts = new Counter({
    name: 'engine_worker_restarts_total',
    help: 'Engine workers started again after they died',
    labelNames: ['role'],
    registers: [metrics.registry],
  });
  const [sagas, projections] = await Promise.all(
    workerRoles.map((role) =>
      WorkerLink.start({
        role,
        logger,
        onRestart: () => {
          restarts.inc({ role });
        },
      }),
    ),
  );
  if (sagas === undefined || projections === undefined) throw new Error('engine workers missing');
  const checkpointer = startEngineCheckpointer(config, logger);
  const { positions } = projections;
  const server = await startEngineHttp(config, logger, metrics, {
    store,
    readStore,
    handler: commandHandlerFor(store, systemClock, metrics, config),
    clock: systemClock,
    progress: positions,
    live: { onPosition: (listener) => positions.onPosition(listener), positions: () => positions.positions() },
    deadLetters: deadLetterPassThrough(sagas),
    exposition: () => exposition(metrics.registry, [sagas, projections]),
    handled: () => lowestOf([sagas.handled, projections.handled]),
    breaker: async () => breakerStateIn(await sagas.metrics()),
  });
  return {
    url: server.url,
    workers: { sagas, projections },
    async stop(graceMs = config.shutdownGraceMs) {
      await server.close(graceMs);
      // the sagas first: their commands land while the projections still follow the log
      await sagas.stop(graceMs);
      await projections.stop(graceMs);
      await checkpointer.stop();
      await readStore.close();
      await store.close();
    },
  };
};

const isWorkerRole = (value: string | undefined): value is WorkerRole => workerRoles.some((role) => role === value);

/**
 * `commerce engine-worker sagas|projections`, started by `serve` over an IPC pipe (not by hand): its embedded bus and
 * its half of the worker side on the same files as its parent; health, metrics and dead letters on an ephemeral
 * loopback port.
 */
export const runEngineWorker = async (config: Config, logger: Logger, role: string | undefined): Promise<void> => {
  if (!isWorkerRole(role)) throw new Error(`engine-worker takes one of ${workerRoles.join(', ')}, not ${String(role)}`);
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
  // checkpoints are the serving process's (its checkpointer thread)
  const store = await openEngineEventStore(config, { pollIntervalMs: WORKER_POLL_MS, autoCheckpoint: false });
  const workers = await startEngineWorkers(store, config, logger, {
    clock: systemClock,
    metrics,
    autoCheckpoint: false,
    handler: commandHandlerFor(store, systemClock, metrics, config),
    ...(role === 'projections' ? { sagas: false } : { projections: false }),
  });
  // the saga runner's position, for the backlog `serve`'s flow control sheds by: a few times a second is enough
  const sagaRunner = workers.sagas;
  const handledTimer =
    sagaRunner === undefined
      ? undefined
      : setInterval(() => {
          send({ kind: 'handled', position: sagaRunner.runner.position });
        }, HANDLED_REPORT_MS);
  handledTimer?.unref();
  // positions go out once per turn of the event loop, however many batches committed in it
  let changed: Record<string, number> | undefined;
  workers.projections?.onPosition((name, position) => {
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
    title: `Commerce engine worker (${role})`,
    parts: [workers.deadLetterApi],
  });
  const stop = async (): Promise<void> => {
    clearInterval(handledTimer);
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
    positions: Object.fromEntries((workers.projections?.statuses() ?? []).map((s) => [s.name, s.position])),
  });
  await untilSignal(logger, async () => {
    stopped ??= stop();
    await stopped;
  });
};
