import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Router } from 'express';
import { commandRoutes } from '../../commands/api/routes';
import { commandOperations } from '../../commands/api/openapi';
import { CommandHandler } from '../../commands/command-handler';
import { allProjections } from '../../projections';
import { ProjectionRunner } from '../../projections/runner';
import { readOperations } from '../../read-api/openapi';
import type { ProjectionProgress } from '../../read-api/progress';
import { readRoutes } from '../../read-api/routes';
import { EmbeddedBus } from '../bus/embedded-bus';
import type { Config } from '../config';
import { createHttpApp, listen, type RunningServer } from '../http/app';
import { openApiDocument, type OperationSpec } from '../http/openapi';
import type { Logger } from '../observability/logger';
import { createMetrics, type Metrics } from '../observability/metrics';
import { systemClock, type Clock } from '../ports/clock';
import type { EventStore } from '../ports/event-store';
import type { ReadStore } from '../ports/read-store';
import { openSqliteEventStore } from '../sqlite/sqlite-event-store';
import { openReadStore } from './read-store';

/** The whole engine in one process: command API, embedded fan-out, projections and read API on one port. */
export interface EmbeddedEngine {
  readonly url: string;
  readonly port: number;
  readonly store: EventStore;
  readonly readStore: ReadStore;
  readonly projections: ProjectionRunner;
  readonly metrics: Metrics;
  /** drain HTTP, stop consumers, close stores */
  stop(graceMs?: number): Promise<void>;
}

export interface EngineOverrides {
  readonly clock?: Clock;
  readonly metrics?: Metrics;
}

export const startEmbeddedEngine = async (
  config: Config,
  logger: Logger,
  overrides: EngineOverrides = {},
): Promise<EmbeddedEngine> => {
  if (config.eventStore !== 'sqlite')
    throw new Error('the embedded engine runs on the SQLite event store (EVENT_STORE=sqlite)');
  const clock = overrides.clock ?? systemClock;
  const metrics = overrides.metrics ?? createMetrics();
  if (config.sqlitePath !== ':memory:') mkdirSync(dirname(config.sqlitePath), { recursive: true });
  const store = openSqliteEventStore({ path: config.sqlitePath, synchronous: config.sqliteSynchronous });
  const readStore = await openReadStore(config, logger);
  const bus = new EmbeddedBus(store, store.checkpointStore());
  const projections = new ProjectionRunner({
    bus,
    readStore,
    logger,
    projections: allProjections,
    maxBatch: config.projectionBatch,
  });
  await projections.start();

  let accepting = true;
  const handler = new CommandHandler({ store, clock, metrics, retries: config.commandRetries });
  const progress: ProjectionProgress = {
    position: (name) => Promise.resolve(projections.status(name)?.position ?? 0),
    waitFor: (name, position, timeoutMs) => projections.waitFor(name, position, timeoutMs),
  };
  const parts: { router: Router; operations: readonly OperationSpec[] }[] = [
    { router: commandRoutes({ handler, clock }), operations: commandOperations },
    {
      router: readRoutes({
        readStore,
        progress,
        eventStore: store,
        projections: allProjections,
        maxWaitMs: config.readWaitMs,
      }),
      operations: readOperations,
    },
  ];
  const document = openApiDocument(
    'Commerce engine API',
    parts.flatMap((p) => p.operations),
  );
  const app = createHttpApp({
    logger,
    metrics,
    apiKeys: config.apiKeys,
    bodyLimit: config.bodyLimit,
    v1: parts.map((p) => p.router),
    openApi: () => document,
    ready: async () => {
      if (!accepting) return false;
      await store.headPosition();
      return true;
    },
  });
  const running: RunningServer = await listen(app, config.host, config.port);
  return {
    url: `http://${config.host}:${running.port}`,
    port: running.port,
    store,
    readStore,
    projections,
    metrics,
    async stop(graceMs = config.shutdownGraceMs) {
      accepting = false;
      await running.close(graceMs);
      await projections.stop();
      await bus.close();
      await readStore.close();
      await store.close();
    },
  };
};
