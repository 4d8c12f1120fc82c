import type { Registry } from 'prom-client';
import type { Logger } from '../../ports/logger';
import type { PaymentProvider } from '../../ports/payment-provider';
import type { Clock } from '../../ports/clock';
import type { EventStore } from '../../ports/event-store';
import type { MessageBus } from '../../ports/message-bus';
import type { DeadLetterStore } from '../../ports/dead-letters';
import type { CommandHandler } from '../command-handler';
import { fulfilmentConfigOf, refundConfigOf, type SagaSettings } from './config';
import { CircuitBreaker } from './circuit-breaker';
import { sagaKinds } from './definitions';
import type { RunnerHooks } from './hooks';
import { sagaMetrics, type SagaMetrics } from './metrics';
import { SagaRunner, type SagaRunnerOptions } from './runner';
import type { SagaStateStore } from '../../ports/saga-state';
import { SagaScheduler } from './scheduler';

export interface SagaServiceOptions {
  readonly bus: MessageBus;
  readonly store: EventStore;
  readonly handler: CommandHandler;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly settings: SagaSettings;
  readonly state: SagaStateStore;
  readonly deadLetters: DeadLetterStore;
  readonly provider: PaymentProvider;
  /** the process's metrics registry: dead letters, timers and saga work are reported there */
  readonly registry?: Registry;
  /** scheduler interval on real time; null: only explicit `tick()` calls fire deadlines (tests) */
  readonly tickIntervalMs?: number | null;
  readonly hooks?: RunnerHooks;
  readonly pause?: SagaRunnerOptions['pause'];
  readonly group?: string;
  /** see SagaRunnerOptions.lingerMs */
  readonly lingerMs?: number;
}

/** The saga runner and its scheduler as one unit the engine (or the saga-runner process) starts and stops. */
export interface SagaService {
  /** the runner currently running (a new one after `restart`) */
  readonly runner: SagaRunner;
  readonly state: SagaStateStore;
  readonly deadLetters: DeadLetterStore;
  readonly provider: PaymentProvider;
  /** fires every deadline due by the clock, and resolves once the commands they caused were sent */
  tick(): Promise<number>;
  /** resolves once the runner handled everything in the store and nothing is in flight */
  idle(timeoutMs?: number): Promise<void>;
  /**
   * Starts a fresh runner on the same stores, as a restarted process would (tests): the old runner is stopped
   * first (gracefully, or it already crashed), and its in-memory state is gone.
   */
  restart(hooks?: RunnerHooks): Promise<void>;
  /** stops the scheduler and the runner (work in flight gets `graceMs`); the stores stay open */
  stop(graceMs?: number): Promise<void>;
}

export const startSagaService = async (options: SagaServiceOptions): Promise<SagaService> => {
  const { settings, state, deadLetters } = options;
  const kinds = sagaKinds(fulfilmentConfigOf(settings), refundConfigOf(settings));
  const metrics: SagaMetrics | undefined = options.registry ? sagaMetrics(options.registry) : undefined;
  if (metrics) {
    metrics.sources.deadLetters = () => deadLetters.countByConsumer();
    metrics.sources.timers = () => state.timerCount();
  }

  const breaker =
    settings.breaker === undefined
      ? undefined
      : new CircuitBreaker(
          settings.breaker,
          () => performance.now(),
          (from, to) => {
            options.logger.warn({ from, to }, `payment provider breaker ${to.replace('_', ' ')}`);
            metrics?.breakerTransitions.inc({ to });
          },
        );
  if (metrics && breaker) metrics.sources.breaker = () => breaker.state;

  const newRunner = (hooks: RunnerHooks | undefined): SagaRunner =>
    new SagaRunner({
      bus: options.bus,
      store: options.store,
      handler: options.handler,
      provider: options.provider,
      state,
      deadLetters,
      clock: options.clock,
      logger: options.logger,
      kinds,
      settings: {
        concurrency: settings.concurrency,
        inputAttempts: settings.inputAttempts,
        providerRetries: settings.providerRetries,
        providerBackoffMs: settings.providerBackoffMs,
        takeoverMs: settings.takeoverMs,
      },
      ...(metrics ? { metrics } : {}),
      ...(hooks ? { hooks } : {}),
      ...(options.pause ? { pause: options.pause } : {}),
      ...(options.group ? { group: options.group } : {}),
      ...(options.lingerMs === undefined ? {} : { lingerMs: options.lingerMs }),
      ...(breaker ? { breaker } : {}),
    });

  let stopping = false;
  let runner: SagaRunner;
  const launch = async (hooks: RunnerHooks | undefined): Promise<void> => {
    const next = newRunner(hooks);
    runner = next;
    // a runner whose bus consumer failed is replaced by a fresh one, which recovers from the dispatch log;
    // tests that inject crashes restart it themselves, to look at what the crash left behind first
    if (hooks === undefined) {
      next.whenCrashed((cause) => {
        options.logger.error({ err: cause }, 'saga runner crashed; starting a new one in a second');
        const timer = setTimeout(() => {
          if (stopping || runner !== next) return;
          launch(undefined).catch((error: unknown) => {
            options.logger.error({ err: error }, 'saga runner could not be restarted');
          });
        }, 1_000);
        timer.unref();
      });
    }
    await next.start();
  };
  const scheduler = new SagaScheduler({
    state,
    clock: options.clock,
    logger: options.logger,
    fire: (timer) => runner.fireTimer(timer),
    claimMs: settings.takeoverMs,
  });
  await launch(options.hooks);
  const interval = options.tickIntervalMs === undefined ? settings.tickIntervalMs : options.tickIntervalMs;
  if (interval !== null) scheduler.start(interval);

  return {
    get runner() {
      return runner;
    },
    state,
    deadLetters,
    provider: options.provider,
    async tick() {
      const result = await scheduler.tick();
      await result.dispatched;
      return result.fired;
    },
    idle: (timeoutMs) => runner.idle(timeoutMs),
    async restart(hooks) {
      await runner.stop(0);
      await launch(hooks);
    },
    async stop(graceMs = 5_000) {
      stopping = true;
      scheduler.stop();
      await runner.stop(graceMs);
    },
  };
};

export interface RetryRunnerOptions {
  readonly store: EventStore;
  readonly handler: CommandHandler;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly settings: SagaSettings;
  readonly state: SagaStateStore;
  readonly deadLetters: DeadLetterStore;
  readonly provider: PaymentProvider;
}

/**
 * A runner that consumes no bus, for `commerce dlq retry` next to a running engine: it loads, reacts and appends
 * with expected revisions like the live runner, so the two never overwrite each other's saga events.
 */
export const retryRunner = (options: RetryRunnerOptions): SagaRunner =>
  new SagaRunner({
    store: options.store,
    handler: options.handler,
    provider: options.provider,
    state: options.state,
    deadLetters: options.deadLetters,
    clock: options.clock,
    logger: options.logger,
    kinds: sagaKinds(fulfilmentConfigOf(options.settings), refundConfigOf(options.settings)),
    settings: {
      concurrency: 1,
      inputAttempts: 1,
      providerRetries: options.settings.providerRetries,
      providerBackoffMs: options.settings.providerBackoffMs,
    },
  });
