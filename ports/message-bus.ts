import type { RecordedEvent } from './event-store';

/**
 * Message bus port: delivers the store's events to consumers, at least once, in order per source.
 * - embedded: one source `$all`, sequence = global position, checkpoint kept in the event store;
 * - Kafka: one source per topic partition (`orders/2`), sequence = offset, consumer-group offsets.
 * A consumer's progress advances only after its handler resolved, i.e. after its effect is durable.
 */
/** The embedded bus's one source is the store's global log: sequence = position, one checkpoint per consumer group. */
export const EMBEDDED_SOURCE = '$all';

export interface Delivery {
  /** where the sequence number comes from; sequences strictly increase within one source */
  readonly source: string;
  readonly sequence: number;
  readonly event: RecordedEvent;
}

export type DeliveryHandler = (batch: readonly Delivery[]) => Promise<void>;

export interface ConsumerOptions {
  /** consumer group (Kafka) or checkpoint name (embedded); members of one group share the work */
  readonly group: string;
  readonly maxBatch?: number;
  /**
   * After a batch smaller than `maxBatch`, wait this long before asking for the next one, so that events arriving
   * meanwhile come in one batch (Kafka's fetch.max.wait in spirit): fewer, larger batches for consumers whose cost
   * is mostly per batch, at up to this much added latency. Adapters may ignore it.
   */
  readonly lingerMs?: number;
}

export interface Consumer {
  /** resolves when the consumer has processed everything that existed when it started (best effort on Kafka) */
  readonly caughtUp: Promise<void>;
  /** rejects when the handler failed permanently */
  readonly done: Promise<void>;
  stop(): Promise<void>;
}

export interface MessageBus {
  consume(options: ConsumerOptions, handler: DeliveryHandler): Promise<Consumer>;
  close(): Promise<void>;
}
