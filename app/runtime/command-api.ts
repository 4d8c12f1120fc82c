import type { Express } from 'express';
import type { Config } from '../config';
import { createHttpApp } from '../../http/app';
import type { Logger } from '../../ports/logger';
import type { Metrics } from '../../ports/metrics';
import type { Clock } from '../../ports/clock';
import type { EventStore } from '../../ports/event-store';
import { CommandHandler } from '../../commands/command-handler';
import { cataloguePrices } from '../../commands/place-order';
import { openApiDocument } from '../../http/openapi';
import { commandOperations } from '../../commands/api/openapi';
import { commandRoutes } from '../../commands/api/routes';

export interface CommandApiOptions {
  readonly store: EventStore;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly config: Pick<Config, 'apiKeys' | 'bodyLimit' | 'commandRetries'>;
  /** false once shutdown began, so load balancers stop sending traffic */
  readonly accepting?: () => boolean;
}

export const createCommandApi = (options: CommandApiOptions): { app: Express; handler: CommandHandler } => {
  const handler = new CommandHandler({
    store: options.store,
    clock: options.clock,
    metrics: options.metrics,
    retries: options.config.commandRetries,
  });
  const document = openApiDocument('Commerce engine command API', commandOperations, {
    secured: options.config.apiKeys.length > 0,
  });
  const app = createHttpApp({
    logger: options.logger,
    metrics: options.metrics,
    apiKeys: options.config.apiKeys,
    bodyLimit: options.config.bodyLimit,
    v1: [commandRoutes({ handler, priceLines: cataloguePrices(handler), clock: options.clock })],
    openApi: () => document,
    ready: async () => {
      if (options.accepting && !options.accepting()) return false;
      await options.store.headPosition();
      return true;
    },
  });
  return { app, handler };
};
