import type { CheckpointStore, EventStore } from '../../ports/event-store';
import {
  EMBEDDED_SOURCE,
  type Consumer,
  type ConsumerOptions,
  type DeliveryHandler,
  type MessageBus,
} from '../../ports/message-bus';

/**
 * In-process fan-out: each consumer is a catch-up subscription on the event store's global log, resuming from its
 * durable checkpoint. The checkpoint advances only after the handler resolved (its effect is durable), so a crash
 * redelivers at most the batch in flight — harmless, because consumers are idempotent.
 */
export interface EmbeddedBusOptions {
  /** default `ConsumerOptions.lingerMs` for consumers that do not set it (default 0: read again at once) */
  readonly lingerMs?: number;
}

export class EmbeddedBus implements MessageBus {
  private readonly consumers = new Set<Consumer>();

  constructor(
    private readonly store: EventStore,
    private readonly checkpoints: CheckpointStore,
    private readonly options: EmbeddedBusOptions = {},
  ) {}

  async consume(options: ConsumerOptions, handler: DeliveryHandler): Promise<Consumer> {
    const name = `consumer:${options.group}`;
    const after = await this.checkpoints.load(name);
    const batchSize = options.maxBatch ?? 500;
    const lingerMs = options.lingerMs ?? this.options.lingerMs ?? 0;
    let stopping = false;
    const subscription = this.store.subscribeToAll({ after, batchSize }, async (batch) => {
      const last = batch[batch.length - 1];
      if (!last) return;
      await handler(batch.map((event) => ({ source: EMBEDDED_SOURCE, sequence: event.position, event })));
      await this.checkpoints.save(name, last.position);
      // a short batch means the consumer is at the head: let the next events gather instead of reading them singly
      if (lingerMs > 0 && batch.length < batchSize && !stopping) await linger(lingerMs);
    });
    const consumer: Consumer = {
      caughtUp: subscription.caughtUp,
      done: subscription.done,
      stop: async () => {
        stopping = true;
        this.consumers.delete(consumer);
        await subscription.stop();
      },
    };
    this.consumers.add(consumer);
    return consumer;
  }

  async close(): Promise<void> {
    await Promise.all([...this.consumers].map((c) => c.stop()));
  }
}

const linger = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms).unref();
  });
