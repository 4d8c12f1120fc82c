import * as t from 'io-ts';
import { isLeft } from 'fp-ts/Either';
import { Partitioners, type IHeaders, type Message, type PartitionMetadata } from 'kafkajs';
import { describeErrors } from '../../domain/shared/validation';
import type { RecordedEvent } from '../ports/event-store';

/**
 * RecordedEvent ⇄ Kafka message. Key = stream id (one partition per stream, so per-stream order holds); value =
 * JSON of the event's data; everything else travels in headers, readable by any Kafka tool without parsing the body.
 */
export const eventHeaders = {
  type: 'event-type',
  eventId: 'event-id',
  streamId: 'stream-id',
  revision: 'revision',
  position: 'position',
  commandId: 'command-id',
  causationId: 'causation-id',
  correlationId: 'correlation-id',
  timestamp: 'timestamp',
  schemaVersion: 'schema-version',
} as const;

export const encodeEvent = (event: RecordedEvent): Message => {
  // JSON.stringify answers undefined for undefined (typed as string); the store keeps such data as null too.
  const value = JSON.stringify(event.data) as string | undefined;
  return {
    key: event.streamId,
    value: value ?? 'null',
    headers: {
      [eventHeaders.type]: event.type,
      [eventHeaders.eventId]: event.eventId,
      [eventHeaders.streamId]: event.streamId,
      [eventHeaders.revision]: String(event.revision),
      [eventHeaders.position]: String(event.position),
      [eventHeaders.commandId]: event.metadata.commandId,
      [eventHeaders.causationId]: event.metadata.causationId,
      [eventHeaders.correlationId]: event.metadata.correlationId,
      [eventHeaders.timestamp]: event.metadata.timestamp,
      [eventHeaders.schemaVersion]: String(event.metadata.schemaVersion),
    },
  };
};

/** A message that is not an event written by `encodeEvent`; says where it is and what is wrong with it. */
export class MalformedMessageError extends Error {
  constructor(
    readonly source: string,
    readonly offset: string,
    readonly problem: string,
  ) {
    super(`malformed event message at ${source} offset ${offset}: ${problem}`);
    this.name = 'MalformedMessageError';
  }
}

export type DecodeResult =
  { readonly ok: true; readonly event: RecordedEvent } | { readonly ok: false; readonly error: MalformedMessageError };

/** The parts of a consumed kafkajs message the decoder reads. */
export interface ConsumedMessage {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly offset: string;
  readonly headers?: IHeaders;
}

const nonEmptyString = new t.Type<string>(
  'non-empty string',
  (u): u is string => typeof u === 'string' && u.length > 0,
  (u, c) => (typeof u === 'string' && u.length > 0 ? t.success(u) : t.failure(u, c)),
  t.identity,
);

/** A decimal integer ≥ min without sign, leading zeros or exponent, within the safe integer range. */
const integerString = (min: number): t.Type<number, string> =>
  new t.Type<number, string>(
    `decimal integer ≥ ${min}`,
    (u): u is number => typeof u === 'number' && Number.isSafeInteger(u) && u >= min,
    (u, c) => {
      if (typeof u !== 'string' || !/^(0|[1-9][0-9]{0,15})$/.test(u)) return t.failure(u, c);
      const n = Number(u);
      return Number.isSafeInteger(n) && n >= min ? t.success(n) : t.failure(u, c);
    },
    String,
  );

const headersCodec = t.type({
  [eventHeaders.type]: nonEmptyString,
  [eventHeaders.eventId]: nonEmptyString,
  [eventHeaders.streamId]: nonEmptyString,
  [eventHeaders.revision]: integerString(0),
  [eventHeaders.position]: integerString(1),
  [eventHeaders.commandId]: t.string,
  [eventHeaders.causationId]: t.string,
  [eventHeaders.correlationId]: t.string,
  [eventHeaders.timestamp]: t.string,
  [eventHeaders.schemaVersion]: integerString(0),
});

const headerStrings = (headers: IHeaders | undefined): Record<string, string> | string => {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    if (Array.isArray(value)) return `header ${name} appears ${value.length} times`;
    out[name] = typeof value === 'string' ? value : value.toString('utf8');
  }
  return out;
};

/** Never throws: a malformed message is answered as `{ ok: false }` with a message naming the bad fields. */
export const decodeMessage = (source: string, message: ConsumedMessage): DecodeResult => {
  const malformed = (problem: string): DecodeResult => ({
    ok: false,
    error: new MalformedMessageError(source, message.offset, problem),
  });
  const strings = headerStrings(message.headers);
  if (typeof strings === 'string') return malformed(strings);
  const decoded = headersCodec.decode(strings);
  if (isLeft(decoded)) return malformed(`headers: ${describeErrors(decoded.left)}`);
  const h = decoded.right;
  const key = message.key?.toString('utf8');
  if (key !== h[eventHeaders.streamId]) {
    return malformed(`key ${JSON.stringify(key ?? null)} is not the stream id ${h[eventHeaders.streamId]}`);
  }
  if (message.value === null) return malformed('the value is empty (a tombstone?), expected JSON event data');
  let data: unknown;
  try {
    data = JSON.parse(message.value.toString('utf8'));
  } catch (error) {
    return malformed(`the value is not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  return {
    ok: true,
    event: {
      eventId: h[eventHeaders.eventId],
      type: h[eventHeaders.type],
      streamId: h[eventHeaders.streamId],
      revision: h[eventHeaders.revision],
      position: h[eventHeaders.position],
      data,
      metadata: {
        commandId: h[eventHeaders.commandId],
        causationId: h[eventHeaders.causationId],
        correlationId: h[eventHeaders.correlationId],
        timestamp: h[eventHeaders.timestamp],
        schemaVersion: h[eventHeaders.schemaVersion],
      },
    },
  };
};

const defaultPartitioner = Partitioners.DefaultPartitioner();
const metadataCache = new Map<number, PartitionMetadata[]>();

/**
 * The partition kafkajs's default (Java-compatible murmur2) partitioner picks for a key. The relay sets it
 * explicitly on every message, so it knows where each event went when it compares with the partitions' tails.
 */
export const partitionForKey = (key: string, partitionCount: number): number => {
  if (!Number.isSafeInteger(partitionCount) || partitionCount < 1) {
    throw new RangeError(`invalid partition count ${partitionCount}`);
  }
  let partitionMetadata = metadataCache.get(partitionCount);
  if (partitionMetadata === undefined) {
    // only the count matters for keyed messages; leaders and replicas are placeholders
    partitionMetadata = Array.from({ length: partitionCount }, (_, partitionId) => ({
      partitionErrorCode: 0,
      partitionId,
      leader: 0,
      replicas: [0],
      isr: [0],
    }));
    metadataCache.set(partitionCount, partitionMetadata);
  }
  return defaultPartitioner({ topic: '', partitionMetadata, message: { key, value: null } });
};
