import { loadSagaSettings } from '../../commands/sagas/config';
import { paymentProviderApi } from '../../infra/payments';
import { createMetrics } from '../../infra/observability/metrics';
import type { Logger } from '../../ports/logger';
import type { Config } from '../config';
import { startHttpServer } from './http-server';
import { untilSignal } from './lifecycle';
import { simulatedProvider } from './payment-provider';

/**
 * `commerce payment-simulator`: the simulated payment provider (SIM_*) as its own process, behind
 * `POST /v1/authorize|capture|void|refund`, so every saga runner of a deployment shares one provider
 * (PAYMENT_PROVIDER_URL), as they would share Stripe. It opens no store; its authorizations live in its memory.
 */
export const runPaymentSimulator = async (config: Config, logger: Logger): Promise<void> => {
  const settings = loadSagaSettings(process.env, { dataDir: config.dataDir, inMemory: true });
  const provider = simulatedProvider(settings);
  const metrics = createMetrics();
  const server = await startHttpServer({
    config,
    logger,
    metrics,
    title: 'Commerce engine payment simulator',
    parts: [paymentProviderApi(provider)],
  });
  logger.info(
    {
      url: server.url,
      latencyMs: settings.simulator.latencyMs,
      failureRate: settings.simulator.failureRate,
      seed: settings.simulator.seed,
      outage: settings.simulator.outage,
    },
    'payment simulator listening',
  );
  await untilSignal(logger, async () => {
    await server.close(config.shutdownGraceMs);
  });
};
