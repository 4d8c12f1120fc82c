import { Partitioners, type CompressionTypes, type Message, type Producer, type RetryOptions } from 'kafkajs';
import type { CheckpointStore, EventStore, StoredEvent, Subscription } from '../../ports/event-store';
import { kafkaClient, settleWithin, silentLogger, type KafkaConnectionOptions, type KafkaLogger } from './client';
import { encodeStored, partitionForKey, storedEvent } from './codec';
import { partitionKey, readPartitionTails } from './tail';
import { ensureTopics, Topics, type EnsureTopicsOptions } from './topics';

export interface RelayOptions extends KafkaConnectionOptions {
  readonly store: EventStore;
  readonly checkpoints: CheckpointStore;
  /** prefix of the centre topics (see `Topics`); also names the checkpoint `relay:<topicPrefix>` */
  readonly topicPrefix?: string;
  /** events read from the store and published per batch; default 500 */
  readonly batchSize?: number;
  readonly logger?: KafkaLogger;
  /** creates missing topics with these settings (default: 6 partitions, replication 1); `false`: they must exist */
  readonly topics?: Omit<EnsureTopicsOptions, 'topicPrefix'> | false;
  /** called after each batch was acknowledged by the broker and checkpointed */
  readonly onBatch?: (batch: RelayBatchInfo) => void;
  readonly compression?: CompressionTypes;
  /** retries of a failed produce request before the relay fails; default 5 (bounded, see `Relay`) */
  readonly producerRetry?: RetryOptions;
  /** longest wait for the partitions' last messages at start; default 30 000 ms */
  readonly tailTimeoutMs?: number;
  /** longest wait for the producer to disconnect on stop; default 10 000 ms */
  readonly stopTimeoutMs?: number;
}

export interface RelayBatchInfo {
  /** events read from the store */
  readonly events: number;
  /** of which published now */
  readonly published: number;
  /** of which found already in Kafka (published by an earlier run that crashed before its checkpoint) */
  readonly skipped: number;
  readonly lastPosition: number;
  readonly durationMs: number;
}

export interface RelayStats {
  /** the checkpoint the relay started after */
  readonly startedAfter: number;
  readonly eventsPublished: number;
  readonly eventsSkipped: number;
  readonly batches: number;
  /** every event up to this position is in Kafka */
  readonly lastPosition: number;
}

const defaultProducerRetry: RetryOptions = { retries: 5, initialRetryTime: 200, maxRetryTime: 3_000 };

/** A batch read from the store, encoded and grouped by topic, not sent yet. */
interface PreparedBatch {
  readonly started: number;
  readonly events: number;
  readonly published: number;
  readonly skipped: number;
  readonly lastPosition: number;
  readonly byTopic: ReadonlyMap<string, Message[]>;
}

interface RelaySetup {
  readonly options: RelayOptions;
  readonly topics: Topics;
  readonly producer: Producer;
  readonly partitionCounts: ReadonlyMap<string, number>;
  readonly tails: ReadonlyMap<string, number>;
  readonly checkpointName: string;
  readonly checkpoint: number;
  readonly logger: KafkaLogger;
}

/**
 * Publishes the event store's global log to the centre topics (store → Kafka, never the HTTP handler: no dual write).
 *
 * - Order: events are read in position order and sent one batch at a time by an idempotent producer
 *   (`idempotent: true`, `maxInFlightRequests: 1`, acks from all in-sync replicas). Each message carries its
 *   partition explicitly (the default murmur2 partitioner on the stream id), so a stream's events stay in one
 *   partition, in order.
 * - Pipelining: while one batch is in flight, the next is read from the store and encoded; it is sent only after
 *   the previous batch was acknowledged and checkpointed, and never after a batch that failed. So at most one batch
 *   is ahead of the checkpoint in Kafka, and every partition still holds a prefix of its events.
 * - Progress: the checkpoint `relay:<topicPrefix>` is saved only after the broker acknowledged the whole batch.
 * - Crash between the broker's ack and the checkpoint: at start the relay reads every partition's last message.
 *   The relay is the topics' only writer (run one per prefix), so a partition holds a prefix, in position order, of
 *   the events meant for it: an event whose position is ≤ its partition's tail is already there and is skipped. This is per partition, not max(checkpoint, highest tail): a batch that failed half-way may
 *   have reached some partitions and not others, and the others still need their (lower) events.
 * - Failure: a produce request that still fails after `producerRetry` rejects `done`; kafkajs warns that bounded
 *   retries weaken an idempotent producer, but a restarted relay's tail check is what prevents duplicates here, and
 *   a dead broker must surface instead of hanging. Start a new relay (the relay process does, ADR 0021).
 * - Partition counts are read at start: adding partitions to a topic moves streams to other partitions after the
 *   next restart, which breaks per-stream order across that moment (as it does for any keyed Kafka producer).
 */
export class Relay {
  /** resolves once every event that existed at start is published and checkpointed */
  readonly caughtUp: Promise<void>;
  /** resolves after `stop()`; rejects when publishing or checkpointing failed (the relay has stopped) */
  readonly done: Promise<void>;

  private readonly subscription: Subscription;
  private lastPosition: number;
  private published = 0;
  private skipped = 0;
  private batches = 0;
  /** tails of the partitions, while the replay may still meet events that are already in Kafka */
  private tails: ReadonlyMap<string, number>;
  private readonly replayUpTo: number;
  private closing: Promise<void> | undefined;
  /** the last batch handed to the producer: settles once it is acknowledged and checkpointed, or failed */
  private inFlight: Promise<void> = Promise.resolve();

  private constructor(private readonly setup: RelaySetup) {
    this.lastPosition = setup.checkpoint;
    this.tails = setup.tails;
    this.replayUpTo = Math.max(0, ...setup.tails.values());
    const store = setup.options.store;
    const from = { after: setup.checkpoint, batchSize: setup.options.batchSize ?? 500 };
    // the events as stored where the store has them, so their JSON is forwarded, not parsed and serialized again
    this.subscription =
      store.subscribeToAllStored === undefined
        ? store.subscribeToAll(from, (batch) => this.publish(batch.map(storedEvent)))
        : store.subscribeToAllStored(from, (batch) => this.publish(batch));
    // the subscription hands over a batch before it is acknowledged (pipelining): wait for the one in flight
    this.caughtUp = this.subscription.caughtUp.then(() => this.inFlight);
    this.done = this.subscription.done
      .then(() => this.inFlight)
      .then(
        () => this.close(),
        async (error: unknown) => {
          setup.logger.error({ err: error, position: this.lastPosition }, 'relay failed');
          // the store may have failed while a batch travels: let it settle (ack and checkpoint, or fail) first
          await this.inFlight.catch(() => undefined);
          await this.close();
          throw error;
        },
      );
    // callers may watch only one of the two; an unobserved rejection must not crash the process
    this.caughtUp.catch(() => undefined);
    this.done.catch(() => undefined);
  }

  static async start(options: RelayOptions): Promise<Relay> {
    const batchSize = options.batchSize ?? 500;
    if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new RangeError(`invalid batchSize ${batchSize}`);
    const logger = options.logger ?? silentLogger;
    const kafka = kafkaClient(options, 'commerce-relay');
    const topics = new Topics(options.topicPrefix);
    const checkpointName = `relay:${topics.prefix}`;
    const admin = kafka.admin();
    const producer = kafka.producer({
      idempotent: true,
      // kafkajs does not enforce it, but concurrent requests of one idempotent producer are known to break ordering
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: false,
      retry: options.producerRetry ?? defaultProducerRetry,
    });
    try {
      await admin.connect();
      if (options.topics !== false) await ensureTopics(admin, { ...options.topics, topicPrefix: topics.prefix });
      const tails = await readPartitionTails(kafka, admin, topics.all, {
        logger,
        timeoutMs: options.tailTimeoutMs,
      });
      const checkpoint = await options.checkpoints.load(checkpointName);
      await producer.connect();
      logger.info(
        { checkpoint, tails: Object.fromEntries(tails.positions), topics: topics.all },
        'relay starting after its checkpoint',
      );
      return new Relay({
        options,
        topics,
        producer,
        partitionCounts: tails.partitionCounts,
        tails: tails.positions,
        checkpointName,
        checkpoint,
        logger,
      });
    } catch (error) {
      await settleWithin('disconnecting the relay producer', producer.disconnect(), 10_000, logger);
      throw error;
    } finally {
      await settleWithin('disconnecting the relay admin client', admin.disconnect(), 10_000, logger);
    }
  }

  /** Every event up to this position has been acknowledged by the broker (read-your-writes in distributed mode). */
  get position(): number {
    return this.lastPosition;
  }

  get stats(): RelayStats {
    return {
      startedAfter: this.setup.checkpoint,
      eventsPublished: this.published,
      eventsSkipped: this.skipped,
      batches: this.batches,
      lastPosition: this.lastPosition,
    };
  }

  /** Finishes the batch in flight (publish and checkpoint), then disconnects. */
  async stop(): Promise<void> {
    await this.subscription.stop();
    // a failure of the last batch is reported by `done`
    await this.inFlight.catch(() => undefined);
    await this.close();
  }

  /**
   * The subscription's batch handler: encodes the batch, waits until the previous batch is acknowledged and
   * checkpointed (rethrowing its failure, which ends the subscription), then hands this one to the producer and
   * returns, so the store reads the next batch while this one travels.
   */
  private async publish(batch: readonly StoredEvent[]): Promise<void> {
    const prepared = this.prepare(batch);
    if (prepared === undefined) return;
    await this.inFlight;
    const sending = this.send(prepared);
    this.inFlight = sending;
    // with no next batch to rethrow it (an idle store), the failure must still end the relay: `done` reports it
    sending.catch(() => {
      void this.subscription.stop();
    });
  }

  private prepare(batch: readonly StoredEvent[]): PreparedBatch | undefined {
    const last = batch[batch.length - 1];
    if (last === undefined) return undefined;
    const started = Date.now();
    const byTopic = new Map<string, Message[]>();
    let skipped = 0;
    for (const event of batch) {
      const topic = this.setup.topics.forStream(event.streamId);
      const partition = partitionForKey(event.streamId, this.partitionCount(topic));
      if (event.position <= this.replayUpTo) {
        const tail = this.tails.get(partitionKey(topic, partition));
        if (tail !== undefined && event.position <= tail) {
          skipped += 1;
          continue;
        }
      }
      let messages = byTopic.get(topic);
      if (messages === undefined) {
        messages = [];
        byTopic.set(topic, messages);
      }
      const message = encodeStored(event);
      message.partition = partition;
      messages.push(message);
    }
    if (last.position >= this.replayUpTo && this.tails.size > 0) this.tails = new Map();
    return {
      started,
      events: batch.length,
      published: batch.length - skipped,
      skipped,
      lastPosition: last.position,
      byTopic,
    };
  }

  private async send(batch: PreparedBatch): Promise<void> {
    if (batch.published > 0) {
      await this.setup.producer.sendBatch({
        topicMessages: [...batch.byTopic].map(([topic, messages]) => ({ topic, messages })),
        acks: -1,
        compression: this.setup.options.compression,
      });
    }
    this.lastPosition = batch.lastPosition;
    this.published += batch.published;
    this.skipped += batch.skipped;
    this.batches += 1;
    await this.setup.options.checkpoints.save(this.setup.checkpointName, batch.lastPosition);
    this.setup.options.onBatch?.({
      events: batch.events,
      published: batch.published,
      skipped: batch.skipped,
      lastPosition: batch.lastPosition,
      durationMs: Date.now() - batch.started,
    });
  }

  private partitionCount(topic: string): number {
    const count = this.setup.partitionCounts.get(topic);
    if (count === undefined || count < 1) throw new Error(`topic ${topic} has no partitions known to the relay`);
    return count;
  }

  private close(): Promise<void> {
    this.closing ??= settleWithin(
      'disconnecting the relay producer',
      this.setup.producer.disconnect(),
      this.setup.options.stopTimeoutMs ?? 10_000,
      this.setup.logger,
    );
    return this.closing;
  }
}

/** Starts a relay: topics ensured, tails read, producer connected, subscription running. */
export const startRelay = (options: RelayOptions): Promise<Relay> => Relay.start(options);
