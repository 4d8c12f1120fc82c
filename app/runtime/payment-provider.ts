import type { SagaSettings } from '../../commands/sagas/config';
import { realPause } from '../../commands/sagas/runner';
import { SimulatedPaymentProvider, seededRandom, type SimulatedProviderOptions } from '../../infra/payments';

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
