import type { SagaSettings } from '../../commands/sagas/config';
import { realPause } from '../../commands/sagas/runner';
import {
  HttpPaymentProvider,
  SimulatedPaymentProvider,
  seededRandom,
  type SimulatedProviderOptions,
} from '../../infra/payments';
import type { PaymentProvider } from '../../ports/payment-provider';

/** Options of the simulated provider; `sleep` is left to the caller (real timers, or a test's gate). */
export const simulatorOptionsOf = (settings: SagaSettings): Omit<SimulatedProviderOptions, 'random' | 'sleep'> => ({
  latencyMs: settings.simulator.latencyMs,
  failureRate: settings.simulator.failureRate,
  slowResponseMs: settings.simulator.slowMs,
  ...(settings.simulator.outage === undefined ? {} : { outage: settings.simulator.outage }),
  ...(settings.simulator.errorSucceedsAfter === undefined
    ? {}
    : { errorSucceedsAfter: settings.simulator.errorSucceedsAfter }),
});

/** The default provider: the simulator configured by SIM_*, answering on real (unref'd) timers. */
export const simulatedProvider = (settings: SagaSettings): SimulatedPaymentProvider =>
  new SimulatedPaymentProvider({
    ...simulatorOptionsOf(settings),
    random: seededRandom(settings.simulator.seed),
    sleep: (ms) => realPause(ms, new AbortController().signal),
  });

/**
 * The provider a saga runner calls: over HTTP when `url` is set (PAYMENT_PROVIDER_URL, `settings.paymentProvider.url`),
 * the one provider every runner of a deployment shares, as a real provider is; else this process's own simulator.
 * Several runners in one consumer group need the shared one: a simulator keeps its authorizations in memory, so
 * another runner's simulator could not capture them. Timeout and key: PAYMENT_PROVIDER_TIMEOUT_MS, _KEY.
 */
export const paymentProviderFor = (settings: SagaSettings, url: string | undefined): PaymentProvider =>
  url === undefined
    ? simulatedProvider(settings)
    : new HttpPaymentProvider({
        baseUrl: url,
        timeoutMs: settings.paymentProvider.timeoutMs,
        ...(settings.paymentProvider.apiKey === undefined ? {} : { apiKey: settings.paymentProvider.apiKey }),
      });
