import * as t from 'io-ts';
import { isLeft } from 'fp-ts/Either';
import type { IHeaders, Message } from 'kafkajs';
import { describeErrors } from '../../domain/shared/validation';
import type { RecordedEvent, StoredEvent } from '../../ports/event-store';

/**
 * RecordedEvent ⇄ Kafka message (format 2). Key = stream id (one partition per stream, so per-stream order holds);
 * value = the whole event as one JSON object (`{"type","streamId","revision","position","eventId","metadata",
 * "data"}`); one header, `event-type`, so Kafka tools can filter by type without parsing the value.
 *
 * Why not one header per field (format 1, which the relay wrote before): kafkajs encodes and decodes every header
 * with buffers of its own, and with ten headers a kafkajs producer sent about a third, a consumer read about a quarter
 * of the messages per second it manages with one header (same events, batches of 500, local broker). Consumers
 * still read format 1, so topics written by an older relay keep working, and so does a rolling upgrade (consumers
 * first, then the relay).
 */
export const eventTypeHeader = 'event-type';

/** Header names of format 1 (every field in its own header, the value = the event's data only); read, never written. */
export const legacyEventHeaders = {
  type: eventTypeHeader,
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

/**
 * The event as the store holds it, for `encodeStored`: a recorded event's data and metadata serialized, with only the
 * metadata fields consumers read, in a stable order (what a store without `subscribeToAllStored` gives the relay).
 */
export const storedEvent = (event: RecordedEvent): StoredEvent => {
  const { metadata } = event;
  return {
    eventId: event.eventId,
    type: event.type,
    streamId: event.streamId,
    revision: event.revision,
    position: event.position,
    // JSON.stringify drops an undefined property; the store keeps such data as null too
    data: JSON.stringify(event.data ?? null),
    metadata: JSON.stringify({
      commandId: metadata.commandId,
      causationId: metadata.causationId,
      correlationId: metadata.correlationId,
      timestamp: metadata.timestamp,
      schemaVersion: metadata.schemaVersion,
    }),
  };
};

/**
 * A kafkajs message for a stored event: JSON value, stream-id key, the type in a header. `partition` is the caller's.
 * The value is assembled around the stored JSON text of data and metadata, which is not parsed again: the metadata
 * travels as stored (a request fingerprint too, which consumers ignore).
 */
export const encodeStored = (event: StoredEvent): Message => ({
  key: event.streamId,
  value:
    `{"type":${JSON.stringify(event.type)},"streamId":${JSON.stringify(event.streamId)},` +
    `"revision":${event.revision},"position":${event.position},"eventId":${JSON.stringify(event.eventId)},` +
    `"metadata":${event.metadata},"data":${event.data}}`,
  headers: { [eventTypeHeader]: event.type },
});

/** A kafkajs message for a recorded event (see `encodeStored`). */
export const encodeEvent = (event: RecordedEvent): Message => encodeStored(storedEvent(event));

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

/** A JSON number that is a safe integer ≥ min. */
const integer = (min: number): t.Type<number> =>
  new t.Type<number>(
    `integer ≥ ${min}`,
    (u): u is number => typeof u === 'number' && Number.isSafeInteger(u) && u >= min,
    (u, c) => (typeof u === 'number' && Number.isSafeInteger(u) && u >= min ? t.success(u) : t.failure(u, c)),
    t.identity,
  );

/** Any JSON value, but present (a missing `data` is not an event's null data). */
const jsonValue = new t.Type<unknown>(
  'JSON value',
  (u): u is unknown => u !== undefined,
  (u, c) => (u === undefined ? t.failure(u, c) : t.success(u)),
  t.identity,
);

export const envelopeCodec = t.type(
  {
    type: nonEmptyString,
    streamId: nonEmptyString,
    revision: integer(0),
    position: integer(1),
    eventId: nonEmptyString,
    metadata: t.type(
      {
        commandId: t.string,
        causationId: t.string,
        correlationId: t.string,
        timestamp: t.string,
        schemaVersion: integer(0),
      },
      'metadata',
    ),
    data: jsonValue,
  },
  'event object',
);

type Envelope = t.TypeOf<typeof envelopeCodec>;

const isSafeIntegerAtLeast = (u: unknown, min: number): u is number =>
  typeof u === 'number' && Number.isSafeInteger(u) && u >= min;
const isNonEmptyString = (u: unknown): u is string => typeof u === 'string' && u.length > 0;

/**
 * `envelopeCodec.is`, written out: io-ts's generic walk was most of what a consumer spends on a message besides
 * `JSON.parse`. A property test holds the two to the same answer; `envelopeCodec` names what is wrong when it is no.
 */
export const isEnvelope = (u: unknown): u is Envelope => {
  if (typeof u !== 'object' || u === null || Array.isArray(u)) return false;
  const e = u as Record<string, unknown>;
  const m = e.metadata;
  if (typeof m !== 'object' || m === null || Array.isArray(m)) return false;
  const meta = m as Record<string, unknown>;
  return (
    isNonEmptyString(e.type) &&
    isNonEmptyString(e.streamId) &&
    isSafeIntegerAtLeast(e.revision, 0) &&
    isSafeIntegerAtLeast(e.position, 1) &&
    isNonEmptyString(e.eventId) &&
    e.data !== undefined &&
    typeof meta.commandId === 'string' &&
    typeof meta.causationId === 'string' &&
    typeof meta.correlationId === 'string' &&
    typeof meta.timestamp === 'string' &&
    isSafeIntegerAtLeast(meta.schemaVersion, 0)
  );
};

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

const legacyHeadersCodec = t.type({
  [legacyEventHeaders.type]: nonEmptyString,
  [legacyEventHeaders.eventId]: nonEmptyString,
  [legacyEventHeaders.streamId]: nonEmptyString,
  [legacyEventHeaders.revision]: integerString(0),
  [legacyEventHeaders.position]: integerString(1),
  [legacyEventHeaders.commandId]: t.string,
  [legacyEventHeaders.causationId]: t.string,
  [legacyEventHeaders.correlationId]: t.string,
  [legacyEventHeaders.timestamp]: t.string,
  [legacyEventHeaders.schemaVersion]: integerString(0),
});

/** Format-1 headers other than the type: any of them marks a format-1 message. */
const legacyOnlyHeaders = new Set<string>(Object.values(legacyEventHeaders).filter((name) => name !== eventTypeHeader));

const hasLegacyHeader = (headers: IHeaders): boolean => {
  // a format-2 message has one header: this loop is one step, not a lookup of every format-1 name
  for (const name in headers) if (headers[name] !== undefined && legacyOnlyHeaders.has(name)) return true;
  return false;
};

const headerStrings = (headers: IHeaders | undefined): Record<string, string> | string => {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    if (Array.isArray(value)) return `header ${name} appears ${value.length} times`;
    out[name] = typeof value === 'string' ? value : value.toString('utf8');
  }
  return out;
};

const parseJson = (value: Buffer): { readonly json: unknown } | { readonly problem: string } => {
  try {
    return { json: JSON.parse(value.toString('utf8')) as unknown };
  } catch (error) {
    return { problem: `the value is not JSON (${error instanceof Error ? error.message : String(error)})` };
  }
};

const malformed = (source: string, message: ConsumedMessage, problem: string): DecodeResult => ({
  ok: false,
  error: new MalformedMessageError(source, message.offset, problem),
});

/** Never throws: a malformed message is answered as `{ ok: false }` with a message naming the bad fields. */
export const decodeMessage = (source: string, message: ConsumedMessage): DecodeResult => {
  const headers = message.headers;
  if (headers !== undefined && hasLegacyHeader(headers)) {
    return decodeLegacy(source, message);
  }
  const typeHeader = headers?.[eventTypeHeader];
  if (typeHeader === undefined) return malformed(source, message, `header ${eventTypeHeader} is missing`);
  if (Array.isArray(typeHeader)) {
    return malformed(source, message, `header ${eventTypeHeader} appears ${typeHeader.length} times`);
  }
  if (message.value === null) {
    return malformed(source, message, 'the value is empty (a tombstone?), expected a JSON event');
  }
  const parsed = parseJson(message.value);
  if ('problem' in parsed) return malformed(source, message, parsed.problem);
  // every codec in the envelope validates without transforming, so `is` (no error contexts) agrees with `decode`
  const json = parsed.json;
  if (!isEnvelope(json)) {
    const decoded = envelopeCodec.decode(json);
    return malformed(
      source,
      message,
      `value: ${isLeft(decoded) ? describeErrors(decoded.left) : 'not an event object'}`,
    );
  }
  const e = json;
  const type = typeof typeHeader === 'string' ? typeHeader : typeHeader.toString('utf8');
  if (type !== e.type) {
    return malformed(source, message, `header ${eventTypeHeader} ${JSON.stringify(type)} is not the type ${e.type}`);
  }
  const key = message.key?.toString('utf8');
  if (key !== e.streamId) {
    return malformed(source, message, `key ${JSON.stringify(key ?? null)} is not the stream id ${e.streamId}`);
  }
  const m = e.metadata;
  return {
    ok: true,
    event: {
      eventId: e.eventId,
      type: e.type,
      streamId: e.streamId,
      revision: e.revision,
      position: e.position,
      data: e.data,
      metadata: {
        commandId: m.commandId,
        causationId: m.causationId,
        correlationId: m.correlationId,
        timestamp: m.timestamp,
        schemaVersion: m.schemaVersion,
      },
    },
  };
};

/** Format 1: the fields in headers, the value = the event's data. */
const decodeLegacy = (source: string, message: ConsumedMessage): DecodeResult => {
  const bad = (problem: string): DecodeResult => malformed(source, message, problem);
  const strings = headerStrings(message.headers);
  if (typeof strings === 'string') return bad(strings);
  const decoded = legacyHeadersCodec.decode(strings);
  if (isLeft(decoded)) return bad(`headers: ${describeErrors(decoded.left)}`);
  const h = decoded.right;
  const key = message.key?.toString('utf8');
  if (key !== h[legacyEventHeaders.streamId]) {
    return bad(`key ${JSON.stringify(key ?? null)} is not the stream id ${h[legacyEventHeaders.streamId]}`);
  }
  if (message.value === null) return bad('the value is empty (a tombstone?), expected JSON event data');
  const parsed = parseJson(message.value);
  if ('problem' in parsed) return bad(parsed.problem);
  return {
    ok: true,
    event: {
      eventId: h[legacyEventHeaders.eventId],
      type: h[legacyEventHeaders.type],
      streamId: h[legacyEventHeaders.streamId],
      revision: h[legacyEventHeaders.revision],
      position: h[legacyEventHeaders.position],
      data: parsed.json,
      metadata: {
        commandId: h[legacyEventHeaders.commandId],
        causationId: h[legacyEventHeaders.causationId],
        correlationId: h[legacyEventHeaders.correlationId],
        timestamp: h[legacyEventHeaders.timestamp],
        schemaVersion: h[legacyEventHeaders.schemaVersion],
      },
    },
  };
};

/** Reused for the UTF-8 bytes of keys (grown for a longer one). */
let scratch = Buffer.allocUnsafe(512);

/**
 * Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2) of `key`'s UTF-8 bytes, as a signed 32-bit int;
 * the same function kafkajs's default partitioner uses, in 32-bit integer arithmetic instead of its Long emulation.
 */
const murmur2 = (key: string): number => {
  // a UTF-8 character takes at most 3 bytes per UTF-16 code unit
  if (key.length * 3 > scratch.length) scratch = Buffer.allocUnsafe(key.length * 3);
  const bytes = scratch;
  const length = bytes.write(key, 0, 'utf8');
  const m = 0x5bd1e995;
  let h = (0x9747b28c ^ length) | 0;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = bytes.readInt32LE(i);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  const rest = length & 3;
  if (rest === 3) h ^= (bytes[whole + 2] ?? 0) << 16;
  if (rest >= 2) h ^= (bytes[whole + 1] ?? 0) << 8;
  if (rest >= 1) h = Math.imul(h ^ (bytes[whole] ?? 0), m);
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
};

/**
 * The partition kafkajs's default (Java-compatible murmur2) partitioner picks for a key. The relay sets it
 * explicitly on every message, so it knows where each event went when it compares with the partitions' tails.
 */
export const partitionForKey = (key: string, partitionCount: number): number => {
  if (!Number.isSafeInteger(partitionCount) || partitionCount < 1) {
    throw new RangeError(`invalid partition count ${partitionCount}`);
  }
  return (murmur2(key) & 0x7fffffff) % partitionCount;
};
