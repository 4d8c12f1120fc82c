import { commandOperations } from '../../commands/api/openapi';
import { commandRoutes } from '../../commands/api/routes';
import { CommandHandler } from '../../commands/command-handler';
import { cataloguePrices } from '../../commands/place-order';
import type { Clock } from '../../ports/clock';
import type { EventStore } from '../../ports/event-store';
import type { Metrics } from '../../ports/metrics';
import { allProjections } from '../../projections';
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

/** The command API: its routes over a handler, prices from the catalogue. */
export const commandApi = (handler: CommandHandler, clock: Clock): ApiPart => ({
  router: commandRoutes({ handler, priceLines: cataloguePrices(handler), clock }),
  operations: commandOperations,
});

/** The read API over the read store; `progress` tells how far each projection got (in process, or across them). */
export const readApi = (
  readStore: ReadStore,
  eventStore: EventStore,
  progress: ProjectionProgress,
  config: Pick<Config, 'readWaitMs'>,
): ApiPart => ({
  router: readRoutes({
    readStore,
    progress,
    eventStore,
    projections: allProjections,
    maxWaitMs: config.readWaitMs,
    orderExtras: orderSagaExtras(readStore),
  }),
  operations: readOperations,
});
