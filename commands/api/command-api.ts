import type { Express } from 'express';
import type { Config } from '../../infra/config';
import { createHttpApp } from '../../infra/http/app';
import type { Logger } from '../../infra/observability/logger';
import type { Metrics } from '../../infra/observability/metrics';
import type { Clock } from '../../infra/ports/clock';
import type { EventStore } from '../../infra/ports/event-store';
import { CommandHandler } from '../command-handler';
import { cataloguePrices } from '../place-order';
import { openApiDocument } from '../../infra/http/openapi';
import { commandOperations } from './openapi';
import { commandRoutes } from './routes';

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
