import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { logLevel, type Admin, type Kafka, type logCreator } from 'kafkajs';
import type { NewEvent, RecordedEvent } from '../../ports/event-store';
import { kafkaFromEnv, withTimeout } from '../../tools/services/clients';
import { openSqliteEventStore, type SqliteEventStore } from '../../infra/sqlite/sqlite-event-store';
import { decodeMessage } from '../../infra/kafka/codec';
import { fetchTopicOffsets } from '../../infra/kafka/topics';

/** Shared pieces of the Kafka services specs: unique names, a temp SQLite store, reading topics back. */

/** A fresh topic prefix per use: other runs (and other engineers) share the broker. */
export const uniquePrefix = (label: string): string =>
  `t-${label}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}.`;

export const uniqueGroup = (label: string): string => `g-${label}-${randomBytes(4).toString('hex')}`;

/**
 * Errors only, minus the broker answers kafkajs handles itself and these specs provoke on purpose (rebalances when a
 * member joins, a new partition leader not ready yet, deleting absent topics).
 */
const specLogCreator: logCreator = () => (entry) => {
  if (entry.namespace === 'Connection' && entry.log.message.startsWith('Response')) return;
  process.stderr.write(`[kafkajs ${entry.label}] ${entry.namespace}: ${entry.log.message}\n`);
};

export const testKafka = (label: string): Kafka =>
  kafkaFromEnv({ clientId: `kafka-spec-${label}`, logLevel: logLevel.ERROR, logCreator: specLogCreator });

export interface TempStore {
  readonly store: SqliteEventStore;
  dispose(): Promise<void>;
}

export const tempStore = (): TempStore => {
  const dir = mkdtempSync(join(tmpdir(), 'commerce-kafka-spec-'));
  const store = openSqliteEventStore({ path: join(dir, 'events.db') });
  return {
    store,
    dispose: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
};

export const anEvent = (streamId: string, index: number): NewEvent => {
  const commandId = randomUUID();
  return {
    eventId: randomUUID(),
    type: 'ThingHappened.v1',
    data: { streamId, index, amount: { minor: 1250 + index, currency: 'EUR' }, lines: [{ sku: 'SKU-1', quantity: 2 }] },
    metadata: {
      commandId,
      causationId: commandId,
      correlationId: `corr-${streamId}`,
      timestamp: '2024-05-01T12:00:00.000Z',
      schemaVersion: 1,
    },
  };
};

/** Stream ids spread over every centre, the `other` topic included. */
export const streamIds = (count: number, tag = 'x'): string[] => {
  const kinds = ['order', 'sku', 'payment', 'saga-fulfilment', 'customer'];
  return Array.from({ length: count }, (_, i) => `${kinds[i % kinds.length] ?? 'other'}-${tag}${i}`);
};

/**
 * Appends `eventsPerStream` events to each stream, `chunk` events per append, streams interleaved (so the global log
 * mixes streams, as real traffic does). `firstRevision` > 0 continues streams that have that many events already.
 */
export const appendInterleaved = async (
  store: SqliteEventStore,
  streams: readonly string[],
  eventsPerStream: number,
  chunk = 1,
  firstRevision = 0,
): Promise<void> => {
  for (let from = firstRevision; from < firstRevision + eventsPerStream; from += chunk) {
    const size = Math.min(chunk, firstRevision + eventsPerStream - from);
    await Promise.all(
      streams.map((streamId) =>
        store.append(
          streamId,
          Array.from({ length: size }, (_, i) => anEvent(streamId, from + i)),
          from === 0 ? 'no_stream' : from - 1,
        ),
      ),
    );
  }
};

export const allEvents = async (store: SqliteEventStore): Promise<RecordedEvent[]> => {
  const out: RecordedEvent[] = [];
  for (;;) {
    const batch = await store.readAll({ after: out[out.length - 1]?.position ?? 0, maxCount: 5_000 });
    if (batch.length === 0) return out;
    out.push(...batch);
  }
};

export interface StoredMessage {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly key: string | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly event: RecordedEvent | undefined;
}

/** Total messages in the topics (high − low watermarks). */
export const messageCount = async (admin: Admin, topics: readonly string[]): Promise<number> => {
  let total = 0;
  for (const topic of topics) {
    for (const { high, low } of await fetchTopicOffsets(admin, topic)) total += Number(high) - Number(low);
  }
  return total;
};

/** Reads every message now in the topics, through a throw-away consumer group; bounded by `timeoutMs`. */
export const readTopics = async (
  kafka: Kafka,
  admin: Admin,
  topics: readonly string[],
  timeoutMs = 60_000,
): Promise<StoredMessage[]> => {
  const remaining = new Map<string, number>();
  for (const topic of topics) {
    for (const { partition, high, low } of await fetchTopicOffsets(admin, topic)) {
      if (Number(high) > Number(low)) remaining.set(`${topic}/${partition}`, Number(high) - 1);
    }
  }
  const messages: StoredMessage[] = [];
  if (remaining.size === 0) return messages;
  const groupId = `reader-${randomBytes(4).toString('hex')}`;
  const consumer = kafka.consumer({
    groupId,
    sessionTimeout: 10_000,
    heartbeatInterval: 1_000,
    maxWaitTimeInMs: 200,
    retry: { retries: 3, initialRetryTime: 200, maxRetryTime: 2_000, restartOnFailure: () => Promise.resolve(false) },
  });
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [...topics], fromBeginning: true });
    const complete = new Promise<void>((resolve, reject) => {
      consumer.on(consumer.events.CRASH, (event) => {
        reject(event.payload.error);
      });
      consumer
        .run({
          autoCommit: false,
          eachBatch: ({ batch }) => {
            const source = `${batch.topic}/${batch.partition}`;
            const last = remaining.get(source);
            for (const message of batch.messages) {
              const offset = Number(message.offset);
              if (last === undefined || offset > last) continue;
              const headers: Record<string, string> = {};
              for (const [name, value] of Object.entries(message.headers ?? {})) {
                if (value !== undefined) headers[name] = value.toString();
              }
              const decoded = decodeMessage(source, message);
              messages.push({
                topic: batch.topic,
                partition: batch.partition,
                offset,
                key: message.key?.toString(),
                headers,
                event: decoded.ok ? decoded.event : undefined,
              });
              if (offset === last) remaining.delete(source);
            }
            if (remaining.size === 0) resolve();
            return Promise.resolve();
          },
        })
        .catch(reject);
    });
    await withTimeout(complete, timeoutMs, `reading ${topics.join(', ')} back`);
    return messages;
  } finally {
    await withTimeout(consumer.disconnect(), 10_000, 'reader disconnect').catch(() => undefined);
    await withTimeout(admin.deleteGroups([groupId]), 10_000, 'deleting the reader group').catch(() => undefined);
  }
};

/** Polls `probe` every 50 ms until it answers true; rejects after `timeoutMs` naming `what`. */
export const eventually = async (what: string, probe: () => boolean | Promise<boolean>, timeoutMs = 30_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};

/** Deletes the topics this spec created (never anyone else's), ignoring failures. */
export const deleteTopics = async (admin: Admin, topics: readonly string[]): Promise<void> => {
  const present = new Set(await withTimeout(admin.listTopics(), 10_000, 'listing topics').catch(() => []));
  const ours = topics.filter((topic) => present.has(topic));
  if (ours.length === 0) return;
  await withTimeout(admin.deleteTopics({ topics: ours, timeout: 10_000 }), 15_000, 'deleting topics').catch(
    () => undefined,
  );
};

/** Occurrences of each value. */
export const countBy = <T>(items: readonly T[], keyOf: (item: T) => string): Map<string, number> => {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(keyOf(item), (counts.get(keyOf(item)) ?? 0) + 1);
  return counts;
};
