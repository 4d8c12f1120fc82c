import { randomUUID } from 'node:crypto';
import type { Admin, Kafka } from 'kafkajs';
import { settleWithin, type KafkaLogger } from './client';
import { decodeMessage } from './codec';
import { fetchTopicOffsets } from './topics';

/** What the topics already hold, as seen when the relay starts. */
export interface PartitionTails {
  /** partitions of each topic */
  readonly partitionCounts: ReadonlyMap<string, number>;
  /** `${topic}/${partition}` → position of the partition's last message (absent for an empty partition) */
  readonly positions: ReadonlyMap<string, number>;
}

export interface ReadTailsOptions {
  /** how long to wait for the last messages; default 30 000 ms */
  readonly timeoutMs?: number;
  readonly logger: KafkaLogger;
}

interface Wanted {
  readonly topic: string;
  readonly partition: number;
  /** offset of the partition's last message (high watermark − 1) */
  readonly offset: string;
}

export const partitionKey = (topic: string, partition: number): string => `${topic}/${partition}`;

/**
 * Reads the last message of every non-empty partition of `topics` (offset high watermark − 1) and its `position`
 * header. kafkajs reads only through consumer groups, so a throw-away group (never committing, deleted afterwards)
 * subscribes from the latest offset and seeks each partition to its last message.
 *
 * Assumes the relay is the only writer of these topics, without transactions or compaction, so the message at
 * high watermark − 1 exists and is an event (a transaction marker there would make this time out).
 */
export const readPartitionTails = async (
  kafka: Kafka,
  admin: Admin,
  topics: readonly string[],
  options: ReadTailsOptions,
): Promise<PartitionTails> => {
  const partitionCounts = new Map<string, number>();
  const wanted = new Map<string, Wanted>();
  for (const topic of topics) {
    const offsets = await fetchTopicOffsets(admin, topic);
    partitionCounts.set(topic, offsets.length);
    for (const { partition, high, low } of offsets) {
      if (BigInt(high) > BigInt(low)) {
        wanted.set(partitionKey(topic, partition), { topic, partition, offset: (BigInt(high) - 1n).toString() });
      }
    }
  }
  const positions = new Map<string, number>();
  if (wanted.size === 0) return { partitionCounts, positions };

  const groupId = `relay-tail-${randomUUID()}`;
  const consumer = kafka.consumer({
    groupId,
    sessionTimeout: 10_000,
    heartbeatInterval: 1_000,
    // a fetch that races the seeks long-polls at the latest offset: keep that wait short
    maxWaitTimeInMs: 100,
    allowAutoTopicCreation: false,
    retry: { retries: 3, initialRetryTime: 200, maxRetryTime: 2_000, restartOnFailure: () => Promise.resolve(false) },
  });
  const timeoutMs = options.timeoutMs ?? 30_000;
  let timer: NodeJS.Timeout | undefined;
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [...new Set([...wanted.values()].map((w) => w.topic))], fromBeginning: false });
    const found = new Promise<void>((resolve, reject) => {
      timer = setTimeout(() => {
        const missing = [...wanted.keys()].filter((key) => !positions.has(key));
        reject(new Error(`could not read the last message of ${missing.join(', ')} within ${timeoutMs} ms`));
      }, timeoutMs);
      consumer.on(consumer.events.CRASH, (event) => {
        reject(new Error(`reading the partitions' last messages failed: ${event.payload.error.message}`));
      });
      const run = consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: ({ batch }) => {
          const key = partitionKey(batch.topic, batch.partition);
          const target = wanted.get(key);
          if (target === undefined || positions.has(key)) return Promise.resolve();
          const last = batch.messages.find((message) => message.offset === target.offset);
          if (last === undefined) return Promise.resolve();
          const decoded = decodeMessage(key, last);
          if (!decoded.ok) {
            reject(new Error(`cannot tell what the relay published to ${key}: ${decoded.error.message}`));
            return Promise.resolve();
          }
          positions.set(key, decoded.event.position);
          if (positions.size === wanted.size) resolve();
          return Promise.resolve();
        },
      });
      // run() resolves once the group is joined; seeks then apply from the next fetch on
      run.then(() => {
        for (const target of wanted.values()) consumer.seek(target);
      }, reject);
    });
    await found;
    return { partitionCounts, positions };
  } finally {
    clearTimeout(timer);
    await settleWithin('disconnecting the tail reader', consumer.disconnect(), 10_000, options.logger);
    await settleWithin('deleting the tail reader group', admin.deleteGroups([groupId]), 10_000, options.logger);
  }
};
