import type { Admin, Consumer as KafkaJsConsumer, EachBatchPayload, IMemberAssignment, Kafka } from 'kafkajs';
import type { Consumer, ConsumerOptions, Delivery, DeliveryHandler, MessageBus } from '../../ports/message-bus';
import {
  boundedKafkaRetry,
  kafkaClient,
  settleWithin,
  silentLogger,
  sleep,
  toError,
  type KafkaConnectionOptions,
  type KafkaLogger,
} from './client';
import { decodeMessage, type MalformedMessageError } from './codec';
import { partitionKey } from './tail';
import { ensureTopics, fetchTopicOffsets, Topics, type EnsureTopicsOptions } from './topics';
import { Lifecycle } from '../subscriptions/catch-up';

export interface KafkaBusOptions extends KafkaConnectionOptions {
  readonly topicPrefix?: string;
  readonly logger?: KafkaLogger;
  /** creates missing topics before a consumer subscribes (default: 6 partitions, replication 1); `false`: never */
  readonly topics?: Omit<EnsureTopicsOptions, 'topicPrefix'> | false;
  /** handler retries after its first failure on one batch, before `done` rejects; default 4 */
  readonly handlerRetries?: number;
  /** first retry delay; doubles per retry up to `maxRetryDelayMs`; defaults 200 and 5 000 ms */
  readonly retryDelayMs?: number;
  readonly maxRetryDelayMs?: number;
  /** group session timeout; default 30 000 ms (a member silent that long loses its partitions) */
  readonly sessionTimeoutMs?: number;
  /** default 3 000 ms; must be below the session timeout */
  readonly heartbeatIntervalMs?: number;
  /**
   * partition batches a consumer handles at once (kafkajs `partitionsConsumedConcurrently`; each partition's batches
   * stay in order); default 1. A consumer fetches again only when every batch of its last fetch is handled, so with 1
   * the batches of a fetch wait for each other: one slow handler round trip delays every partition behind it
   */
  readonly partitionsConcurrently?: number;
  /** longest wait of one fetch for new messages; default 500 ms (latency of live events) */
  readonly maxWaitTimeMs?: number;
  /** longest wait for a consumer to finish its batch and leave the group on stop; default 30 000 ms */
  readonly stopTimeoutMs?: number;
  /** a message that is not an event (see `decodeMessage`): reported here, then skipped; default: logged */
  readonly onMalformed?: (error: MalformedMessageError) => void;
}

/** The handler failed on one batch more often than allowed; the consumer stopped without committing it. */
export class HandlerFailedError extends Error {
  constructor(
    readonly group: string,
    readonly source: string,
    readonly firstSequence: number,
    readonly attempts: number,
    override readonly cause: Error,
  ) {
    super(
      `consumer group ${group}: the handler failed ${attempts} times on ${source} from sequence ${firstSequence}: ` +
        cause.message,
    );
    this.name = 'HandlerFailedError';
  }
}

/** Settles `caughtUp` of a consumer stopped before it caught up. */
export class ConsumerStoppedError extends Error {
  constructor(readonly group: string) {
    super(`consumer group ${group}: stopped before it caught up`);
    this.name = 'ConsumerStoppedError';
  }
}

export interface KafkaConsumer extends Consumer {
  /** partitions assigned to this member now, as `topic/partition` (they change when members join or leave) */
  readonly assignment: readonly string[];
}

interface StartPoint {
  /** where the group would resume: its committed offset, or the partition's first offset */
  readonly start: bigint;
  /** high watermark when the consumer started */
  readonly high: bigint;
}

interface Settings {
  readonly group: string;
  readonly maxBatch: number;
  readonly partitionsConcurrently: number;
  readonly retries: number;
  readonly retryDelayMs: number;
  readonly maxRetryDelayMs: number;
  readonly heartbeatIntervalMs: number;
  readonly stopTimeoutMs: number;
  readonly logger: KafkaLogger;
  readonly onMalformed: (error: MalformedMessageError) => void;
}

/**
 * Message bus on Kafka consumer groups: one source per topic partition (`orders/2`), sequence = offset.
 *
 * - Order: per partition, hence per stream (the relay keys by stream id); nothing across partitions. With
 *   `partitionsConcurrently` above 1 the handler runs for several partitions at once: it must allow that, as it
 *   allows another member of its group handling the other partitions.
 * - At least once: a batch's offset is committed only after the handler resolved. The commit travels while the next
 *   batch of the same partition is handled (one commit in flight per partition; batches handled meanwhile are
 *   committed together by the next one), and all are committed before kafkajs fetches again. A crash, a rebalance or
 *   a failed commit redelivers what was handled since the last acknowledged commit: the batch in flight and the
 *   batches of one commit round trip (`maxBatch` messages each, of one partition); consumers deduplicate per source
 *   (see the read-store port).
 * - A failing handler is retried on the same batch (`handlerRetries`, exponential backoff, heartbeats continuing);
 *   then `done` rejects with `HandlerFailedError` and the consumer leaves the group with that batch uncommitted.
 * - A broker that stays unreachable past kafkajs's bounded retries crashes the consumer: `done` rejects (no silent
 *   restart loop here; the projector and saga runner start it again, logged: `RestartingBus`, ADR 0021).
 * - `caughtUp` (best effort): resolves when, for every partition assigned at the first join, the consumer's position
 *   reached the high watermark read just before it started. A partition that moves to another member in a rebalance
 *   stops counting (its new owner catches it up). Events appended later do not delay it.
 */
export class KafkaBus implements MessageBus {
  readonly topics: Topics;
  private readonly kafka: Kafka;
  private readonly logger: KafkaLogger;
  private readonly consumers = new Set<GroupConsumer>();
  private admin: Promise<Admin> | undefined;
  private topicsReady: Promise<unknown> | undefined;

  constructor(private readonly options: KafkaBusOptions) {
    this.kafka = kafkaClient(options, 'commerce-consumer');
    this.topics = new Topics(options.topicPrefix);
    this.logger = options.logger ?? silentLogger;
  }

  async consume(options: ConsumerOptions, handler: DeliveryHandler): Promise<KafkaConsumer> {
    const settings = this.settings(options);
    const admin = await this.connectedAdmin();
    const topicOptions = this.options.topics;
    if (topicOptions !== false) {
      this.topicsReady ??= ensureTopics(admin, { ...topicOptions, topicPrefix: this.topics.prefix });
      await this.topicsReady.catch((error: unknown) => {
        this.topicsReady = undefined;
        throw error;
      });
    }
    const startPoints = await this.startPoints(admin, options.group);
    const consumer = new GroupConsumer(this.createKafkaConsumer(options.group), settings, handler, startPoints, () => {
      this.consumers.delete(consumer);
    });
    this.consumers.add(consumer);
    try {
      await consumer.start(this.topics.all);
    } catch (error) {
      await consumer.stop();
      throw error;
    }
    return consumer;
  }

  async close(): Promise<void> {
    await Promise.all([...this.consumers].map((consumer) => consumer.stop()));
    const admin = this.admin;
    this.admin = undefined;
    if (admin !== undefined) {
      await settleWithin(
        'disconnecting the bus admin client',
        admin.then((connected) => connected.disconnect()),
        10_000,
        this.logger,
      );
    }
  }

  private settings(options: ConsumerOptions): Settings {
    const maxBatch = options.maxBatch ?? 500;
    if (!Number.isSafeInteger(maxBatch) || maxBatch < 1) throw new RangeError(`invalid maxBatch ${maxBatch}`);
    const partitionsConcurrently = this.options.partitionsConcurrently ?? 1;
    if (!Number.isSafeInteger(partitionsConcurrently) || partitionsConcurrently < 1) {
      throw new RangeError(`invalid partitionsConcurrently ${partitionsConcurrently}`);
    }
    if (options.group.length === 0) throw new RangeError('a consumer needs a group');
    const logger = this.logger;
    return {
      group: options.group,
      maxBatch,
      partitionsConcurrently,
      retries: this.options.handlerRetries ?? 4,
      retryDelayMs: this.options.retryDelayMs ?? 200,
      maxRetryDelayMs: this.options.maxRetryDelayMs ?? 5_000,
      heartbeatIntervalMs: this.options.heartbeatIntervalMs ?? 3_000,
      stopTimeoutMs: this.options.stopTimeoutMs ?? 30_000,
      logger,
      onMalformed:
        this.options.onMalformed ??
        ((error) => {
          logger.error({ err: error, group: options.group }, 'skipping a malformed message');
        }),
    };
  }

  private createKafkaConsumer(group: string): KafkaJsConsumer {
    return this.kafka.consumer({
      groupId: group,
      sessionTimeout: this.options.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: this.options.heartbeatIntervalMs ?? 3_000,
      maxWaitTimeInMs: this.options.maxWaitTimeMs ?? 500,
      allowAutoTopicCreation: false,
      // bounded: kafkajs would otherwise restart a crashed consumer forever
      retry: { ...boundedKafkaRetry, restartOnFailure: () => Promise.resolve(false) },
    });
  }

  private connectedAdmin(): Promise<Admin> {
    if (this.admin === undefined) {
      const admin = this.kafka.admin();
      const connecting = admin.connect().then(() => admin);
      connecting.catch(() => {
        if (this.admin === connecting) this.admin = undefined;
      });
      this.admin = connecting;
    }
    return this.admin;
  }

  /** Where the group stands on every partition, and the high watermarks, just before it starts. */
  private async startPoints(admin: Admin, group: string): Promise<Map<string, StartPoint>> {
    const committed = new Map<string, bigint>();
    for (const { topic, partitions } of await admin.fetchOffsets({ groupId: group, topics: [...this.topics.all] })) {
      for (const { partition, offset } of partitions) committed.set(partitionKey(topic, partition), BigInt(offset));
    }
    const points = new Map<string, StartPoint>();
    const offsets = await Promise.all(this.topics.all.map((topic) => fetchTopicOffsets(admin, topic)));
    for (const [index, topic] of this.topics.all.entries()) {
      for (const { partition, low, high } of offsets[index] ?? []) {
        const key = partitionKey(topic, partition);
        const offset = committed.get(key) ?? -1n;
        const first = BigInt(low);
        // no commit yet (-1), or one below what retention kept: the consumer starts at the first offset
        points.set(key, { start: offset > first ? offset : first, high: BigInt(high) });
      }
    }
    return points;
  }
}

/**
 * The commits of one partition's fetched batch: after each handled chunk, its next offset is committed; at most one
 * commit is in flight, and the offsets handled meanwhile go in the next one (only the latest counts). So commits stay
 * in order, cost one request per round trip instead of one per chunk, and the handler never waits for one.
 */
class PartitionCommits {
  private pending: bigint | undefined;
  private sending: Promise<void> | undefined;
  private failure: { readonly error: unknown } | undefined;

  constructor(
    private readonly payload: EachBatchPayload,
    private readonly committed: (next: bigint) => void,
  ) {}

  /** Commits `next` (the offset after the last handled message) soon; throws if an earlier commit failed. */
  commit(next: bigint): void {
    if (this.failure !== undefined) throw this.failure.error;
    this.pending = next;
    if (this.sending === undefined) {
      this.sending = this.send().catch((error: unknown) => {
        this.failure = { error };
      });
    }
  }

  /** Resolves once every offset given to `commit` is committed; rejects with the first failure. */
  async flush(): Promise<void> {
    while (this.sending !== undefined) await this.sending;
    if (this.failure !== undefined) throw this.failure.error;
  }

  private async send(): Promise<void> {
    const { topic, partition } = this.payload.batch;
    try {
      for (let next = this.pending; next !== undefined; next = this.pending) {
        this.pending = undefined;
        // autoCommit is off, so commitOffsetsIfNecessary() alone would commit nothing: pass the offsets explicitly
        await this.payload.commitOffsetsIfNecessary({
          topics: [{ topic, partitions: [{ partition, offset: next.toString() }] }],
        });
        this.committed(next);
      }
    } finally {
      this.sending = undefined;
    }
  }
}

class GroupConsumer implements KafkaConsumer {
  private readonly lifecycle = new Lifecycle();
  readonly caughtUp = this.lifecycle.caughtUp;
  readonly done = this.lifecycle.done;
  private failed = false;
  /** partitions still short of the high watermark seen at start → that watermark; undefined before the first join */
  private behind: Map<string, bigint> | undefined;
  private assigned: readonly string[] = [];
  private stopping: Promise<void> | undefined;

  constructor(
    private readonly consumer: KafkaJsConsumer,
    private readonly settings: Settings,
    private readonly handler: DeliveryHandler,
    private readonly startPoints: ReadonlyMap<string, StartPoint>,
    private readonly forget: () => void,
  ) {}

  get assignment(): readonly string[] {
    return this.assigned;
  }

  async start(topics: readonly string[]): Promise<void> {
    let crash: Error | undefined;
    this.consumer.on(this.consumer.events.GROUP_JOIN, (event) => {
      this.onAssignment(event.payload.memberAssignment);
    });
    this.consumer.on(this.consumer.events.CRASH, (event) => {
      crash = event.payload.error;
      this.fail(event.payload.error);
    });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [...topics], fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.settings.partitionsConcurrently,
      eachBatch: (payload) => this.eachBatch(payload),
    });
    // kafkajs reports a failed first join through the crash listener, and run() still resolves
    if (crash !== undefined) throw crash;
  }

  stop(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    // disconnect waits for the batch in flight (eachBatch returns early once kafkajs stops running)
    await settleWithin(
      `stopping consumer group ${this.settings.group}`,
      this.consumer.disconnect(),
      this.settings.stopTimeoutMs,
      this.settings.logger,
    );
    this.forget();
    this.lifecycle.end(new ConsumerStoppedError(this.settings.group));
  }

  private fail(error: Error): void {
    if (!this.lifecycle.fail(error)) return;
    this.failed = true;
    this.settings.logger.error({ err: error, group: this.settings.group }, 'consumer failed');
    // not awaited: fail() may run inside eachBatch, which disconnect() waits for
    void this.stop();
  }

  private onAssignment(assignment: IMemberAssignment): void {
    this.assigned = Object.entries(assignment).flatMap(([topic, partitions]) =>
      partitions.map((partition) => partitionKey(topic, partition)),
    );
    if (this.behind === undefined) {
      this.behind = new Map();
      for (const key of this.assigned) {
        const point = this.startPoints.get(key);
        if (point !== undefined && point.start < point.high) this.behind.set(key, point.high);
      }
    } else {
      const mine = new Set(this.assigned);
      for (const key of [...this.behind.keys()]) if (!mine.has(key)) this.behind.delete(key);
    }
    this.checkCaughtUp();
  }

  private advanced(source: string, next: bigint): void {
    const target = this.behind?.get(source);
    if (target !== undefined && next >= target) {
      this.behind?.delete(source);
      this.checkCaughtUp();
    }
  }

  private checkCaughtUp(): void {
    if (this.behind?.size === 0) this.lifecycle.markCaughtUp();
  }

  private async eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const source = partitionKey(batch.topic, batch.partition);
    const commits = new PartitionCommits(payload, (next) => {
      this.advanced(source, next);
    });
    try {
      for (let from = 0; from < batch.messages.length; from += this.settings.maxBatch) {
        if (this.failed || !payload.isRunning() || payload.isStale()) return;
        const end = Math.min(from + this.settings.maxBatch, batch.messages.length);
        const last = batch.messages[end - 1];
        if (last === undefined) return;
        const deliveries: Delivery[] = [];
        for (let i = from; i < end; i++) {
          const message = batch.messages[i];
          if (message === undefined) continue;
          const decoded = decodeMessage(source, message);
          if (decoded.ok) deliveries.push({ source, sequence: Number(message.offset), event: decoded.event });
          else this.settings.onMalformed(decoded.error);
        }
        if (deliveries.length > 0 && !(await this.handle(source, deliveries, payload))) return;
        payload.resolveOffset(last.offset);
        commits.commit(BigInt(last.offset) + 1n);
        await payload.heartbeat();
      }
    } finally {
      // kafkajs fetches again (or leaves the group on stop) only after this: every handled batch is committed then
      await commits.flush();
    }
  }

  /** true when the handler resolved; false when it failed for good (the consumer fails) or the consumer stops */
  private async handle(source: string, deliveries: readonly Delivery[], payload: EachBatchPayload): Promise<boolean> {
    const heartbeat = (): Promise<void> => payload.heartbeat();
    for (let attempt = 1; ; attempt++) {
      try {
        await this.withHeartbeats(this.handler(deliveries), heartbeat);
        return true;
      } catch (error) {
        const cause = toError(error);
        const firstSequence = deliveries[0]?.sequence ?? -1;
        if (attempt > this.settings.retries) {
          this.fail(new HandlerFailedError(this.settings.group, source, firstSequence, attempt, cause));
          return false;
        }
        const delayMs = Math.min(this.settings.maxRetryDelayMs, this.settings.retryDelayMs * 2 ** (attempt - 1));
        this.settings.logger.warn(
          { err: cause, group: this.settings.group, source, firstSequence, attempt, delayMs },
          'handler failed; retrying the batch',
        );
        await this.withHeartbeats(sleep(delayMs), heartbeat);
        if (this.failed || !payload.isRunning()) return false;
      }
    }
  }

  /** Keeps the group session alive while a slow handler (or a retry delay) runs. */
  private async withHeartbeats(work: Promise<void>, heartbeat: () => Promise<void>): Promise<void> {
    const timer = setInterval(() => {
      // a rebalance reported here also fails the commit that follows, which kafkajs handles by rejoining
      heartbeat().catch(() => undefined);
    }, this.settings.heartbeatIntervalMs);
    try {
      await work;
    } finally {
      clearInterval(timer);
    }
  }
}
