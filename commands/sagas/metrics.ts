import { Counter, Gauge, type Registry } from 'prom-client';
import type { BreakerState } from './circuit-breaker';

/** Where the gauges read their values at scrape time; the saga service points them at its open stores. */
export interface SagaGaugeSources {
  deadLetters: () => Promise<ReadonlyMap<string, number>>;
  timers: () => Promise<number>;
  inFlight: () => number;
  /** the payment provider breaker's state, when there is one */
  breaker: () => BreakerState | undefined;
}

/** Saga runner metrics, registered on the process registry the engine hands over. */
export interface SagaMetrics {
  readonly inputs: Counter<'saga' | 'outcome'>;
  readonly commands: Counter<'target' | 'outcome'>;
  readonly conflicts: Counter<'saga'>;
  readonly breakerTransitions: Counter<'to'>;
  readonly sources: SagaGaugeSources;
}

// one set per registry: a runner restarted in the same process (tests) reuses what the first one registered
const perRegistry = new WeakMap<Registry, SagaMetrics>();

export const sagaMetrics = (registry: Registry): SagaMetrics => {
  const known = perRegistry.get(registry);
  if (known) return known;
  const sources: SagaGaugeSources = {
    deadLetters: () => Promise.resolve(new Map()),
    timers: () => Promise.resolve(0),
    inFlight: () => 0,
    breaker: () => undefined,
  };
  new Gauge({
    name: 'dead_letters',
    help: 'Dead letters waiting for an operator (commerce dlq), by consumer',
    labelNames: ['consumer'],
    registers: [registry],
    async collect() {
      const counts = await sources.deadLetters();
      this.reset();
      for (const [consumer, n] of counts) this.set({ consumer }, n);
    },
  });
  new Gauge({
    name: 'saga_timers',
    help: 'Saga deadlines armed in the timer table',
    registers: [registry],
    async collect() {
      this.set(await sources.timers());
    },
  });
  new Gauge({
    name: 'saga_work_in_flight',
    help: 'Saga inputs and command dispatches in flight',
    registers: [registry],
    collect() {
      this.set(sources.inFlight());
    },
  });
  new Gauge({
    name: 'payment_provider_breaker_state',
    help: 'The payment provider circuit breaker: 1 for its current state (closed, half_open, open)',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      this.reset();
      const current = sources.breaker();
      if (current === undefined) return;
      for (const state of ['closed', 'half_open', 'open'] as const) this.set({ state }, state === current ? 1 : 0);
    },
  });
  const metrics: SagaMetrics = {
    inputs: new Counter({
      name: 'saga_inputs_total',
      help: 'Saga inputs by saga and outcome (applied, unchanged, dead_letter)',
      labelNames: ['saga', 'outcome'],
      registers: [registry],
    }),
    commands: new Counter({
      name: 'saga_commands_total',
      help: 'Commands sent by sagas by target centre and outcome (accepted, rejected, failed)',
      labelNames: ['target', 'outcome'],
      registers: [registry],
    }),
    conflicts: new Counter({
      name: 'saga_step_conflicts_total',
      help: 'Saga steps whose append found the saga stream moved on (another runner stepped it, or the cached state was stale), decided again, by saga',
      labelNames: ['saga'],
      registers: [registry],
    }),
    breakerTransitions: new Counter({
      name: 'payment_provider_breaker_transitions_total',
      help: 'Changes of the payment provider circuit breaker, by the state it moved to',
      labelNames: ['to'],
      registers: [registry],
    }),
    sources,
  };
  perRegistry.set(registry, metrics);
  return metrics;
};
