import { commandOperations } from '../../commands/api/openapi';
import { commandRoutes } from '../../commands/api/routes';
import { CommandHandler } from '../../commands/command-handler';
import { cataloguePrices } from '../../commands/place-order';
import type { Clock } from '../../ports/clock';
import type { EventStore } from '../../ports/event-store';
import type { Metrics } from '../../ports/metrics';
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
