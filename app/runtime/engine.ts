import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { loadSagaSettings, type SagaSettings } from '../../commands/sagas/config';
import type { RunnerHooks } from '../../commands/sagas/hooks';
import type { SagaRunnerOptions } from '../../commands/sagas/runner';
import { openDeadLetterStore, openSagaStateStore } from './saga-stores';
import { startWalCheckpointer, type WalCheckpointer } from '../../infra/sqlite/wal-checkpointer';
import { startSagaService, type SagaService } from '../../commands/sagas/service';
import { simulatedProvider } from './payment-provider';
import { orderSagasProjection } from '../../projections';
import type { ProjectionRunner } from '../../projections/runner';
import type { ProjectionProgress } from '../../read-api/progress';
import { dashboardRouter } from '../../dashboard/router';
import { liveRoutes, runnerPositions, type LiveDeps } from '../../read-api/live';
import { EmbeddedBus } from '../../infra/bus/embedded-bus';
import type { CommandHandler } from '../../commands/command-handler';
import { embeddedDeadLetterApi } from '../dead-letters/routes';
import type { Config } from '../config';
import type { Logger } from '../../ports/logger';
import { createMetrics } from '../../infra/observability/metrics';
import type { Metrics } from '../../ports/metrics';
import { systemClock, type Clock } from '../../ports/clock';
import type { CheckpointStore, EventStore } from '../../ports/event-store';
import type { ReadStore } from '../../ports/read-store';
import type { PaymentProvider } from '../../ports/payment-provider';
import type { DeadLetterStore } from '../../ports/dead-letters';
import { openSqliteEventStore } from '../../infra/sqlite/sqlite-event-store';
import { startHttpServer, type ApiPart, type HttpServer } from './http-server';
import { commandApi, commandHandlerFor, readApi, seedConfiguredChannels, startReadModels } from './api-parts';
import { openReadStore } from './read-store';
import { backlogBehind, breakerStateIn, lowestOf, startFlowControl } from './flow';

/**
 * How long consumers at the head of the log let events gather. Projections pay per batch (a read-store transaction,
 * documents folded once for several events), so they wait longer; each saga hop waits too, and an order takes four.
 */
const PROJECTION_LINGER_MS = 25;
const SAGA_LINGER_MS = 3;

/** The whole engine in one process: command API, embedded fan-out, projections and read API on one port. */
export interface EmbeddedEngine {
  readonly url: string;
  readonly port: number;
  readonly store: EventStore;
  readonly readStore: ReadStore;
  readonly projections: ProjectionRunner;
  readonly metrics: Metrics;
  /** the saga runner and its scheduler; undefined when started with `sagas: false` */
  readonly sagas: SagaService | undefined;
  readonly deadLetters: DeadLetterStore;
  /** drain HTTP, stop consumers, close stores */
  stop(graceMs?: number): Promise<void>;
}

export interface EngineSagaOptions {
  /** the payment provider; default: the simulator configured by SIM_* */
  readonly provider?: PaymentProvider;
  /** where saga settings come from (default `process.env`) */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** settings that win over the environment */
  readonly settings?: Partial<SagaSettings>;
  /** scheduler interval; null: deadlines fire only on `engine.sagas.tick()` (tests with a ManualClock) */
  readonly tickIntervalMs?: number | null;
  /** crash injection for tests */
  readonly hooks?: RunnerHooks;
  /** how retries wait (tests: not at all) */
  readonly pause?: SagaRunnerOptions['pause'];
}

export interface EngineOverrides {
  readonly clock?: Clock;
  readonly metrics?: Metrics;
  /** false: no saga runner (orders stay Placed until something else confirms them) */
  readonly sagas?: false | EngineSagaOptions;
}

/**
 * The worker side of the embedded engine: the embedded bus over the event store's log, every read model, the saga
 * runner and its dead letters. In one process it shares the event loop with the command API (`startEmbeddedEngine`);
 * with `ENGINE_LAYOUT=split` `serve` starts it twice as child processes, once with the sagas and once with the
 * projections (see split-engine.ts).
 */
export interface EngineWorkers {
  readonly readStore: ReadStore;
  /** every read model; undefined when started with `projections: false` */
  readonly projections: ProjectionRunner | undefined;
  /** the saga runner and its scheduler; undefined when started with `sagas: false` */
  readonly sagas: SagaService | undefined;
  readonly deadLetters: DeadLetterStore;
  /** `/v1/dead-letters` over this side's saga runner and read models */
  readonly deadLetterApi: ApiPart;
  /** stops sagas (work in flight gets `graceMs`), projections and the bus; closes the stores this side opened */
  stop(graceMs: number): Promise<void>;
}

export interface EngineWorkerOptions {
  readonly clock: Clock;
  readonly metrics: Metrics;
  /** the command handler saga commands go through (the command API's own, when both share a process) */
  readonly handler: CommandHandler;
  readonly sagas?: false | EngineSagaOptions;
  /** false: no read models here (another worker process runs them) */
  readonly projections?: boolean;
  /** false: the files opened here leave checkpoints to a `WalCheckpointer` */
  readonly autoCheckpoint?: boolean;
}

/** An event store the embedded engine runs on: one that keeps its consumers' checkpoints beside the events. */
export type EngineEventStore = EventStore & { checkpointStore(): CheckpointStore };

export const startEngineWorkers = async (
  store: EngineEventStore,
  config: Config,
  logger: Logger,
  options: EngineWorkerOptions,
): Promise<EngineWorkers> => {
  const { clock, metrics } = options;
  const files = options.autoCheckpoint === false ? { autoCheckpoint: false } : {};
  const readStore = await openReadStore(config, logger, files);
  const bus = new EmbeddedBus(store, store.checkpointStore(), { lingerMs: PROJECTION_LINGER_MS });
  const sagaOptions = options.sagas === false ? undefined : (options.sagas ?? {});
  const settings: SagaSettings = {
    ...loadSagaSettings(sagaOptions?.env ?? process.env, {
      dataDir: config.dataDir,
      inMemory: config.sqlitePath === ':memory:',
    }),
    ...sagaOptions?.settings,
  };
  const deadLetters = await openDeadLetterStore(config, settings, clock);
  const projections =
    options.projections === false
      ? undefined
      : await startReadModels({
          bus,
          readStore,
          logger,
          metrics,
          config,
          // lets a live worker fill the gap itself when it moves to a freshly rebuilt collection
          eventStore: store,
          // one stream feeds each saga document: its letters retry in order behind the stream's later events
          deadLetters: { store: deadLetters, projections: [orderSagasProjection.name] },
        });

  let sagas: SagaService | undefined;
  if (sagaOptions !== undefined) {
    sagas = await startSagaService({
      bus,
      store,
      handler: options.handler,
      clock,
      logger,
      settings,
      state: await openSagaStateStore(config, settings, files),
      deadLetters,
      provider: sagaOptions.provider ?? simulatedProvider(settings),
      registry: metrics.registry,
      lingerMs: SAGA_LINGER_MS,
      ...(sagaOptions.tickIntervalMs === undefined ? {} : { tickIntervalMs: sagaOptions.tickIntervalMs }),
      ...(sagaOptions.hooks ? { hooks: sagaOptions.hooks } : {}),
      ...(sagaOptions.pause ? { pause: sagaOptions.pause } : {}),
    });
  }
  return {
    readStore,
    projections,
    sagas,
    deadLetters,
    deadLetterApi: embeddedDeadLetterApi(deadLetters, () => sagas?.runner, readStore),
    async stop(graceMs) {
      // sagas before the stores close, so work in flight can finish within the grace period
      await sagas?.stop(graceMs);
      await projections?.stop();
      await bus.close();
      await readStore.close();
      await sagas?.state.close();
      await deadLetters.close();
    },
  };
};

/**
 * Checkpoints the split engine's files (events, read models, saga state) on a thread of `serve`: its processes open
 * them with `autoCheckpoint: false`, so no commit of theirs stops to copy the WAL back (ADR 0011).
 */
export const startEngineCheckpointer = (config: Config, logger: Logger): WalCheckpointer => {
  const settings = loadSagaSettings(process.env, { dataDir: config.dataDir, inMemory: false });
  const paths = [
    ...(config.eventStore === 'sqlite' ? [config.sqlitePath] : []),
    settings.statePath,
    ...(config.readStore === 'sqlite' ? [config.readSqlitePath] : []),
  ];
  return startWalCheckpointer(paths, {
    onError: (message) => {
      logger.warn({ error: message }, 'WAL checkpoint failed');
    },
  });
};

export interface EngineFileOptions {
  /** how often a subscription looks for other processes' appends */
  readonly pollIntervalMs?: number;
  /** false: a `WalCheckpointer` checkpoints the files (default true: commits do) */
  readonly autoCheckpoint?: boolean;
}

/**
 * Opens the embedded engine's event store: the SQLite file (the directory is made when missing), or PostgreSQL
 * (EVENT_STORE=postgres; every process of `serve` on the same schema, waking each other with NOTIFY).
 */
export const openEngineEventStore = async (
  config: Config,
  options: EngineFileOptions = {},
): Promise<EngineEventStore> => {
  if (config.eventStore === 'postgres') {
    if (config.postgresUrl === undefined) throw new Error('POSTGRES_URL is required for EVENT_STORE=postgres');
    // NOTIFY wakes subscriptions at each commit; the poll (`pollIntervalMs` is SQLite's) stays the slow fallback
    const { openPgEventStore } =
      require('../../infra/postgres/pg-event-store') as typeof import('../../infra/postgres/pg-event-store');
    return openPgEventStore({ url: config.postgresUrl, schema: config.postgresEventSchema });
  }
  if (config.eventStore !== 'sqlite')
    throw new Error('the embedded engine runs on the SQLite or PostgreSQL event store (EVENT_STORE=sqlite|postgres)');
  if (config.sqlitePath !== ':memory:') mkdirSync(dirname(config.sqlitePath), { recursive: true });
  return openSqliteEventStore({ path: config.sqlitePath, synchronous: config.sqliteSynchronous, ...options });
};

/** What the embedded engine's HTTP server answers from, in one process or beside its workers. */
export interface EngineHttpParts {
  readonly store: EventStore;
  readonly readStore: ReadStore;
  readonly handler: CommandHandler;
  readonly clock: Clock;
  /** how far each projection got, for `X-Min-Position` */
  readonly progress: ProjectionProgress;
  /** projections' positions as they move, for the live stream */
  readonly live: Pick<LiveDeps, 'onPosition' | 'positions'>;
  readonly deadLetters: ApiPart;
  /** `/metrics`, when more than this process's registry */
  readonly exposition?: () => Promise<string>;
  /** the log position the sagas and every projection have handled everything up to (the backlog's tail) */
  readonly handled: () => number | undefined;
  /** the payment provider breaker's state, wherever the saga runner runs */
  readonly breaker: () => Promise<string | undefined>;
}

/**
 * The embedded engine's one port: command API, read API, dead letters, the live stream and the dashboard. `close`
 * ends the live streams first, or they would hold the close for the whole grace period.
 */
export const startEngineHttp = async (
  config: Config,
  logger: Logger,
  metrics: Metrics,
  parts: EngineHttpParts,
): Promise<HttpServer> => {
  await seedConfiguredChannels(parts.handler, config, parts.clock, logger);
  const liveShutdown = new AbortController();
  const flow = startFlowControl(
    config,
    metrics,
    backlogBehind(parts.store, parts.handled, parts.clock),
    parts.clock,
    parts.breaker,
  );
  const server = await startHttpServer({
    config,
    logger,
    metrics,
    title: 'Commerce engine API',
    ...(flow ? { flow: flow.flow } : {}),
    parts: [
      { router: liveRoutes({ ...parts.live, signal: liveShutdown.signal }), operations: [] },
      parts.deadLetters,
      commandApi(parts.handler, parts.clock, () => flow?.flow.control.rules.soldOutFastPath === true),
      readApi(parts.readStore, parts.store, parts.progress, config, parts.clock),
    ],
    root: [dashboardRouter()],
    ready: async () => {
      await parts.store.headPosition();
      return true;
    },
    ...(parts.exposition ? { exposition: parts.exposition } : {}),
  });
  return {
    ...server,
    close: (graceMs) => {
      liveShutdown.abort();
      flow?.stop();
      return server.close(graceMs);
    },
  };
};

/** The whole engine in one process and one event loop (tests, and `ENGINE_LAYOUT=single`). */
export const startEmbeddedEngine = async (
  config: Config,
  logger: Logger,
  overrides: EngineOverrides = {},
): Promise<EmbeddedEngine> => {
  const clock = overrides.clock ?? systemClock;
  const metrics = overrides.metrics ?? createMetrics();
  const store = await openEngineEventStore(config);
  const handler = commandHandlerFor(store, clock, metrics, config);
  const workers = await startEngineWorkers(store, config, logger, {
    clock,
    metrics,
    handler,
    ...(overrides.sagas === undefined ? {} : { sagas: overrides.sagas }),
  });
  const { readStore, sagas } = workers;
  const projections = workers.projections;
  if (projections === undefined) throw new Error('the embedded engine runs its read models');
  const progress: ProjectionProgress = {
    position: (name) => Promise.resolve(projections.status(name)?.position ?? 0),
    waitFor: (name, position, timeoutMs) => projections.waitFor(name, position, timeoutMs),
  };
  const server = await startEngineHttp(config, logger, metrics, {
    store,
    readStore,
    handler,
    clock,
    progress,
    live: runnerPositions(projections),
    deadLetters: workers.deadLetterApi,
    handled: () =>
      lowestOf([
        ...(sagas === undefined ? [] : [sagas.runner.position]),
        ...projections.statuses().map((status) => status.position),
      ]),
    breaker: async () => breakerStateIn(await metrics.registry.getMetricsAsJSON()),
  });
  return {
    url: server.url,
    port: server.port,
    store,
    readStore,
    projections,
    metrics,
    sagas,
    deadLetters: workers.deadLetters,
    async stop(graceMs = config.shutdownGraceMs) {
      await server.close(graceMs);
      await workers.stop(graceMs);
      await store.close();
    },
  };
};
