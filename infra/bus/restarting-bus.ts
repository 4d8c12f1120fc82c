import type { Consumer, ConsumerOptions, DeliveryHandler, MessageBus } from '../../ports/message-bus';

/** The part of a pino logger the bus writes to. */
export interface RestartingBusLogger {
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

export interface RestartingBusOptions {
  readonly logger: RestartingBusLogger;
  /** first wait before a failed consumer starts again; doubles per failure in a row up to `maxDelayMs`; default 500 */
  readonly initialDelayMs?: number;
  /** default 10 000 ms */
  readonly maxDelayMs?: number;
  /** a consumer that ran this long before it failed starts again after `initialDelayMs`; default 60 000 ms */
  readonly healthyAfterMs?: number;
}

/** The consumer stopped before it caught up. */
class StoppedBeforeCaughtUpError extends Error {
  constructor(readonly group: string) {
    super(`consumer group ${group}: stopped before it caught up`);
    this.name = 'StoppedBeforeCaughtUpError';
  }
}

/**
 * A bus whose consumers start again, in the process, when they fail — a broker unreachable past the adapter's
 * bounded retries, or a handler failing past its retries because a store is down — instead of staying stopped:
 * what a process supervisor would do by restarting the whole process, without losing the process's other work.
 * Each new incarnation resumes from the group's committed progress (at least once, as after a crash), after a delay
 * that grows while the failures continue. `done` resolves on `stop()` and never rejects; `caughtUp` settles with
 * the first incarnation that catches up (rejects only when stopped before that).
 */
export class RestartingBus implements MessageBus {
  private readonly consumers = new Set<RestartingConsumer>();

  constructor(
    private readonly inner: MessageBus,
    private readonly options: RestartingBusOptions,
  ) {}

  async consume(options: ConsumerOptions, handler: DeliveryHandler): Promise<Consumer> {
    // the first start fails as the inner bus's does: a process that cannot start at all should say so
    const first = await this.inner.consume(options, handler);
    const consumer = new RestartingConsumer(this.inner, options, handler, first, this.options, () => {
      this.consumers.delete(consumer);
    });
    this.consumers.add(consumer);
    return consumer;
  }

  async close(): Promise<void> {
    await Promise.all([...this.consumers].map((c) => c.stop()));
    await this.inner.close();
  }
}

class RestartingConsumer implements Consumer {
  readonly caughtUp: Promise<void>;
  readonly done: Promise<void>;
  private current: Consumer | undefined;
  private stopped = false;
  private stopping: Promise<void> | undefined;
  private wake: () => void = () => undefined;
  private markCaughtUp: () => void = () => undefined;
  private failCaughtUp: (error: Error) => void = () => undefined;
  private readonly running: Promise<void>;

  constructor(
    private readonly inner: MessageBus,
    private readonly consumerOptions: ConsumerOptions,
    private readonly handler: DeliveryHandler,
    first: Consumer,
    private readonly options: RestartingBusOptions,
    private readonly forget: () => void,
  ) {
    this.caughtUp = new Promise<void>((resolve, reject) => {
      this.markCaughtUp = resolve;
      this.failCaughtUp = reject;
    });
    this.caughtUp.catch(() => undefined);
    this.running = this.supervise(first);
    this.done = this.running;
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.stopped = true;
      this.wake();
      await this.current?.stop();
      await this.running;
      this.failCaughtUp(new StoppedBeforeCaughtUpError(this.consumerOptions.group));
      this.forget();
    })();
    return this.stopping;
  }

  /** a method, not the field: TypeScript would keep the field's narrowing across the awaits */
  private isStopped(): boolean {
    return this.stopped;
  }

  /** Runs incarnation after incarnation until `stop()`; never rejects. */
  private async supervise(first: Consumer): Promise<void> {
    const initial = this.options.initialDelayMs ?? 500;
    const max = this.options.maxDelayMs ?? 10_000;
    const healthyAfter = this.options.healthyAfterMs ?? 60_000;
    const group = this.consumerOptions.group;
    let consumer: Consumer | undefined = first;
    let failures = 0;
    while (!this.isStopped()) {
      if (consumer !== undefined) {
        this.current = consumer;
        consumer.caughtUp.then(this.markCaughtUp, () => undefined);
        const since = Date.now();
        const failure = await consumer.done.then(
          () => undefined,
          (error: unknown) => error,
        );
        if (this.isStopped() || failure === undefined) return;
        if (Date.now() - since >= healthyAfter) failures = 0;
        this.options.logger.error({ err: failure, group }, 'consumer failed; starting it again');
        // an incarnation that failed may still hold connections: let it go before the next joins the group
        await consumer.stop().catch(() => undefined);
        consumer = undefined;
      }
      const delayMs = Math.min(max, initial * 2 ** Math.min(failures, 20));
      failures += 1;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delayMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      if (this.isStopped()) return;
      try {
        consumer = await this.inner.consume(this.consumerOptions, this.handler);
        this.options.logger.warn({ group, attempt: failures }, 'consumer started again');
      } catch (error) {
        this.options.logger.error({ err: error, group, delayMs }, 'consumer could not start again; retrying');
      }
      // stop() during consume(): the new incarnation must not outlive it
      if (this.isStopped()) await consumer?.stop().catch(() => undefined);
    }
  }
}
