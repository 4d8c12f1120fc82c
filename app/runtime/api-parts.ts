import { commandOperations } from '../../commands/api/openapi';
import { commandRoutes } from '../../commands/api/routes';
import { CommandHandler } from '../../commands/command-handler';
import { marketingOperations } from '../../commands/api/marketing-openapi';
import { marketingRoutes } from '../../commands/api/marketing-routes';
import { tradeOperations } from '../../commands/api/trade-openapi';
import { tradeRoutes } from '../../commands/api/trade-routes';
import * as E from 'fp-ts/Either';
import { seedChannels } from '../../commands/channels';
import { centreQuotes } from '../../commands/pricing';
import type { Logger } from '../../ports/logger';
import { channelOperations } from '../../commands/api/channel-openapi';
import { channelRoutes } from '../../commands/api/channel-routes';
import type { Clock } from '../../ports/clock';
import type { EventStore } from '../../ports/event-store';
import type { Metrics } from '../../ports/metrics';
import { allProjections, allReadModels } from '../../projections';
import { registerRebuildMetrics } from '../../projections/registry';
import { ProjectionRunner, type ProjectionRunnerOptions } from '../../projections/runner';
import { readOperations } from '../../read-api/openapi';
import { orderSagaExtras } from '../../read-api/order-extras';
import type { ProjectionProgress } from '../../read-api/progress';
import { readRoutes } from '../../read-api/routes';
import type { ReadStore } from '../../ports/read-store';
import type { Config } from '../config';
import type { ApiPart } from './http-server';

/** The one command handler of a process, on its store, clock and metrics. */
export const commandHandlerFor = (
  store: EventStore,
  clock: Clock,
  metrics: Metrics | undefined,
  config: Pick<Config, 'commandRetries'>,
): CommandHandler =>
  new CommandHandler({ store, clock, retries: config.commandRetries, ...(metrics ? { metrics } : {}) });

/**
 * The command API: the order and inventory centres' routes and the pricing centre's, over one handler, every order
 * priced by the pricing centre; `refuseSoldOut` reads the flow rules.
 */
export const commandApi = (handler: CommandHandler, clock: Clock, refuseSoldOut?: () => boolean): ApiPart => {
  const quote = centreQuotes(handler);
  const router = commandRoutes({
    handler,
    quote,
    clock,
    ...(refuseSoldOut === undefined ? {} : { refuseSoldOut }),
  });
  router.use(marketingRoutes({ handler, quote, clock }));
  router.use(tradeRoutes({ handler, clock }));
  router.use(channelRoutes({ handler, clock }));
  return {
    router,
    operations: [...commandOperations, ...marketingOperations, ...tradeOperations, ...channelOperations],
  };
};

/**
 * Defines the CHANNELS file's profiles in the channel book before the command API serves (each one absent or
 * different; a restart with the same file appends nothing). A profile the book refuses stops the start.
 */
export const seedConfiguredChannels = async (
  handler: CommandHandler,
  config: Pick<Config, 'channels'>,
  clock: Clock,
  logger: Logger,
): Promise<void> => {
  if (config.channels === undefined) return;
  const seeded = await seedChannels(handler, config.channels, clock);
  if (E.isLeft(seeded)) throw new Error(`CHANNELS: ${seeded.left.code}: ${seeded.left.message}`);
  logger.info(seeded.right, 'channels seeded from CHANNELS');
};

/**
 * The read API over the read store; `progress` tells how far each projection got (in process, or across them), the
 * clock what "now" is for promotions.
 */
export const readApi = (
  readStore: ReadStore,
  eventStore: EventStore,
  progress: ProjectionProgress,
  config: Pick<Config, 'readWaitMs'>,
  clock: Clock,
): ApiPart => ({
  router: readRoutes({
    readStore,
    progress,
    eventStore,
    projections: allProjections,
    maxWaitMs: config.readWaitMs,
    orderExtras: orderSagaExtras(readStore),
    // a promotion's status is computed at the engine's time, which quotes and placements price at
    now: () => clock.now().getTime(),
  }),
  operations: readOperations,
});

/**
 * Every read model of the process, started on its bus, with the rebuild-due metric on the process's registry: the
 * embedded engine and the projector differ only in the options they add.
 */
export const startReadModels = async (
  options: Omit<ProjectionRunnerOptions, 'projections' | 'maxBatch'> & {
    readonly metrics: Metrics;
    readonly config: Pick<Config, 'projectionBatch'>;
  },
): Promise<ProjectionRunner> => {
  const { metrics, config, ...runnerOptions } = options;
  registerRebuildMetrics(metrics.registry, options.readStore, allReadModels);
  const runner = new ProjectionRunner({
    ...runnerOptions,
    projections: allReadModels,
    maxBatch: config.projectionBatch,
  });
  await runner.start();
  return runner;
};
