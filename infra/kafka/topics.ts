import { KafkaJSProtocolError, type Admin, type ITopicConfig, type SeekEntry } from 'kafkajs';
import { centres as domainCentres } from '../../domain/centres';

/**
 * One Kafka topic per centre (domain/centres.ts), plus `sagas` for the saga streams and `other` for anything else.
 * Events are routed by their stream id's prefix; a stream keeps one topic for life, so (with the stream id as
 * message key) all of an aggregate's events land in one partition, in order.
 */
export type Centre = string;

const streamPrefixes: readonly (readonly [prefix: string, topic: Centre])[] = [
  ...domainCentres.map((centre) => [centre.streamPrefix, centre.topic] as const),
  ['saga-', 'sagas'],
];

export const centres: readonly Centre[] = [...streamPrefixes.map(([, topic]) => topic), 'other'];

export const centreOfStream = (streamId: string): Centre =>
  streamPrefixes.find(([prefix]) => streamId.startsWith(prefix))?.[1] ?? 'other';

// Kafka's own rule for topic names (legal characters, at most 249 of them).
const legalTopicName = /^[a-zA-Z0-9._-]{1,249}$/;

/** Topic names under one prefix (e.g. `tenant-a.` or a random per-test prefix); `''` gives plain `orders` etc. */
export class Topics {
  readonly all: readonly string[];

  constructor(readonly prefix = '') {
    if (prefix !== '' && !legalTopicName.test(prefix)) {
      throw new RangeError(`topic prefix "${prefix}" may only contain letters, digits, ".", "_" and "-"`);
    }
    this.all = centres.map((centre) => this.forCentre(centre));
    for (const topic of this.all) {
      if (!legalTopicName.test(topic)) throw new RangeError(`topic name "${topic}" is too long for Kafka`);
    }
  }

  /** the topic of a centre under this prefix (`orders` → `<prefix>orders`) */
  forCentre(centre: Centre): string {
    return `${this.prefix}${centre}`;
  }

  forStream(streamId: string): string {
    return this.forCentre(centreOfStream(streamId));
  }
}

export interface EnsureTopicsOptions {
  readonly topicPrefix?: string;
  /** partitions of each newly created topic; default 6 (existing topics are left as they are) */
  readonly partitions?: number;
  /** default 1 (a single-node broker); use 3 on a real cluster */
  readonly replicationFactor?: number;
  /** extra topic settings for created topics, e.g. `retention.ms` */
  readonly configEntries?: readonly { readonly name: string; readonly value: string }[];
  /** broker-side timeout for the creation, ms; default 10 000 */
  readonly timeoutMs?: number;
}

export interface EnsureTopicsResult {
  readonly created: readonly string[];
  readonly existing: readonly string[];
}

/**
 * Creates the centre topics that do not exist yet, and waits for their partition leaders (consumers that subscribe
 * to a topic without a leader fail). Idempotent, also when several processes race to create the same topics.
 */
export const ensureTopics = async (admin: Admin, options: EnsureTopicsOptions = {}): Promise<EnsureTopicsResult> => {
  const topics = new Topics(options.topicPrefix);
  const partitions = options.partitions ?? 6;
  const replicationFactor = options.replicationFactor ?? 1;
  if (!Number.isSafeInteger(partitions) || partitions < 1) throw new RangeError(`invalid partitions ${partitions}`);
  if (!Number.isSafeInteger(replicationFactor) || replicationFactor < 1) {
    throw new RangeError(`invalid replicationFactor ${replicationFactor}`);
  }
  const present = new Set(await admin.listTopics());
  const missing = topics.all.filter((topic) => !present.has(topic));
  if (missing.length > 0) {
    const configs: ITopicConfig[] = missing.map((topic) => ({
      topic,
      numPartitions: partitions,
      replicationFactor,
      configEntries: options.configEntries?.map((entry) => ({ ...entry })),
    }));
    // kafkajs answers false (not an error) when every topic already exists: another process won the race.
    await admin.createTopics({ topics: configs, waitForLeaders: true, timeout: options.timeoutMs ?? 10_000 });
    // the metadata shows leaders before they answer ListOffsets: done only when the topics are usable
    for (const topic of missing) await fetchTopicOffsets(admin, topic);
  }
  return { created: missing, existing: topics.all.filter((topic) => present.has(topic)) };
};

export type PartitionOffsets = SeekEntry & { readonly high: string; readonly low: string };

/**
 * `admin.fetchTopicOffsets`, retried on retriable broker errors. kafkajs gives up at once on any error but an unknown
 * topic, and a partition whose leader was just elected answers NOT_LEADER_FOR_PARTITION for a moment (seen on
 * Kafka 3.9 in KRaft right after createTopics with waitForLeaders).
 */
export const fetchTopicOffsets = async (
  admin: Admin,
  topic: string,
  attempts = 20,
  delayMs = 100,
): Promise<PartitionOffsets[]> => {
  for (let attempt = 1; ; attempt++) {
    try {
      return await admin.fetchTopicOffsets(topic);
    } catch (error) {
      if (attempt >= attempts || !(error instanceof KafkaJSProtocolError) || !error.retriable) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.min(delayMs * attempt, 1_000)));
    }
  }
};
