import {
  ANY,
  BACKWARDS,
  END,
  EventStoreDBClient,
  FORWARDS,
  NO_STREAM,
  START,
  StreamNotFoundError,
  WrongExpectedVersionError,
  excludeSystemEvents,
  jsonEvent,
  type AllStreamResolvedEvent,
  type AllStreamSubscription,
  type AppendExpectedRevision,
  type JSONType,
  type Position,
  type ReadPosition,
  type ResolvedEvent,
} from '@eventstore/db-client';
import { v5 as uuidv5 } from 'uuid';
import {
  WrongExpectedRevisionError,
  type AppendOptions,
  type AppendResult,
  type BatchHandler,
  type EventMetadata,
  type EventStore,
  type ExpectedRevision,
  type NewEvent,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type SubscribeOptions,
  type Subscription,
} from '../../ports/event-store';
import { CatchUpSubscription, type PullSource } from '../subscriptions/catch-up';

/**
 * EventStoreDB / KurrentDB adapter (gRPC client v6).
 *
 * Positions. The port wants one strictly increasing safe integer per event; $all gives a (commit, prepare) pair.
 * Since the gRPC API (server 20+), an append of N events to one stream is written as N prepare records, each
 * flagged "committed" (TransactionBegin on the first, TransactionEnd on the last), with no separate commit record.
 * Reading $all treats every such prepare as its own commit, so each event comes back with
 * commit == prepare == its own log offset: distinct and increasing per event even inside one append. The port's
 * position is therefore that commit position (a byte offset in the log; safe as a JS number up to 8 PiB), and
 * resuming after position p reads from {commit: p, prepare: p} and skips the event at p (reads from a position are
 * inclusive on the server; subscriptions are exclusive, and the skip is harmless there).
 * Events of legacy explicit transactions (TCP API only, pre-20 data) share one commit position with different
 * prepare positions; they cannot map onto one number per event, so this adapter refuses them with an error.
 *
 * Command results (`findCommand`): EventStoreDB cannot write two streams atomically, so the result is recorded
 * after the main append as one event in stream `command-<commandId>` (no system `$` prefix: those are reserved).
 * It is best-effort: a crash between the two writes loses the record, and a repeat of the command then appends
 * again; deterministic event ids (derived from the command) make that repeat an idempotent no-op on the server.
 */

export interface EsdbEventStoreOptions {
  /** e.g. `esdb://localhost:2113?tls=false` */
  readonly connectionString: string;
}

const COMMAND_STREAM_PREFIX = 'command-';
const COMMAND_RECORDED = 'CommandRecorded.v1';
// Namespace for the deterministic id of a command's marker event (uuid v5).
const COMMAND_MARKER_NAMESPACE = '5b0d7cc4-4a0e-4f5b-9a59-3f7c1c9e1f20';
const READ_PAGE = 500;

export class EsdbEventStore implements EventStore {
  private readonly client: EventStoreDBClient;
  private readonly subscriptions = new Set<CatchUpSubscription>();

  constructor(options: EsdbEventStoreOptions) {
    this.client = EventStoreDBClient.connectionString(options.connectionString);
  }

  async append(
    streamId: string,
    events: readonly NewEvent[],
    expected: ExpectedRevision,
    options?: AppendOptions,
  ): Promise<AppendResult> {
    const [first] = events;
    if (first === undefined) throw new RangeError('an append needs at least one event');
    const commandId = options?.commandId;
    if (commandId !== undefined) {
      const recorded = await this.findCommand(commandId);
      if (recorded !== undefined) {
        return { revision: recorded.revision, position: recorded.position, repeated: { streamId: recorded.streamId } };
      }
    }

    let result: AppendResult;
    try {
      const written = await this.client.appendToStream(streamId, events.map(toEventData), {
        expectedRevision: toExpectedRevision(expected),
      });
      if (!written.success) {
        // Only when the client was built with throwOnAppendFailure=false.
        throw new WrongExpectedRevisionError(streamId, expected, currentRevision(written.nextExpectedRevision));
      }
      result = {
        revision: Number(written.nextExpectedRevision),
        position:
          written.position === undefined
            ? await this.lastPositionOf(streamId)
            : toPortPosition(written.position.commit),
      };
    } catch (error) {
      if (error instanceof WrongExpectedVersionError) {
        throw new WrongExpectedRevisionError(
          streamId,
          expected,
          error.actualVersion === NO_STREAM ? 'no_stream' : Number(error.actualVersion),
        );
      }
      throw error;
    }

    if (commandId !== undefined) return this.recordCommand(commandId, streamId, result, first.metadata);
    return result;
  }

  async readStream(streamId: string, options?: ReadStreamOptions): Promise<readonly RecordedEvent[]> {
    const out: RecordedEvent[] = [];
    try {
      const read = this.client.readStream(streamId, {
        fromRevision: BigInt(options?.fromRevision ?? 0),
        direction: FORWARDS,
      });
      for await (const resolved of read) {
        const event = fromStreamEvent(resolved);
        if (event !== undefined) out.push(event);
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
    return out;
  }

  async readAll(options: ReadAllOptions): Promise<readonly RecordedEvent[]> {
    if (!Number.isSafeInteger(options.maxCount) || options.maxCount < 1) {
      throw new RangeError(`invalid maxCount ${options.maxCount}`);
    }
    // readAll in client v6 has no server-side filter: page through $all and drop system events here.
    const out: RecordedEvent[] = [];
    let after = options.after;
    for (;;) {
      let seen = 0;
      for await (const resolved of this.client.readAll({
        fromPosition: toReadPosition(after),
        direction: FORWARDS,
        // +1: the server includes the event at the start position, which is skipped below.
        maxCount: READ_PAGE + 1,
      })) {
        const position = positionOf(resolved);
        if (position === undefined || position <= after) continue;
        seen += 1;
        after = position;
        const event = fromAllEvent(resolved);
        if (event !== undefined) out.push(event);
        if (out.length === options.maxCount) return out;
      }
      if (seen < READ_PAGE) return out;
    }
  }

  subscribeToAll(options: SubscribeOptions, handler: BatchHandler): Subscription {
    const source = new EsdbAllSource(this, this.client);
    const subscription = new CatchUpSubscription(source, options.after, options.batchSize ?? 500, handler);
    this.subscriptions.add(subscription);
    void subscription.done.then(
      () => this.subscriptions.delete(subscription),
      () => this.subscriptions.delete(subscription),
    );
    subscription.start();
    return subscription;
  }

  async headPosition(): Promise<number> {
    let from: ReadPosition = END;
    for (;;) {
      let seen = 0;
      let oldest: Position | undefined;
      for await (const resolved of this.client.readAll({
        fromPosition: from,
        direction: BACKWARDS,
        maxCount: READ_PAGE,
      })) {
        seen += 1;
        const event = resolved.event;
        if (event === undefined) continue;
        oldest = event.position;
        if (!isHidden(event.type, event.streamId)) return toPortPosition(event.position.commit);
      }
      if (seen < READ_PAGE || oldest === undefined) return 0;
      from = oldest;
    }
  }

  async findCommand(commandId: string): Promise<(AppendResult & { readonly streamId: string }) | undefined> {
    try {
      for await (const resolved of this.client.readStream(COMMAND_STREAM_PREFIX + commandId, {
        fromRevision: START,
        direction: FORWARDS,
        maxCount: 1,
      })) {
        return decodeCommandRecord(resolved.event?.data);
      }
    } catch (error) {
      if (error instanceof StreamNotFoundError) return undefined;
      throw error;
    }
    return undefined;
  }

  async close(): Promise<void> {
    await Promise.all([...this.subscriptions].map((subscription) => subscription.stop()));
    await this.client.dispose();
  }

  private async recordCommand(
    commandId: string,
    streamId: string,
    result: AppendResult,
    metadata: EventMetadata,
  ): Promise<AppendResult> {
    const record = { streamId, revision: result.revision, position: result.position };
    try {
      await this.client.appendToStream(
        COMMAND_STREAM_PREFIX + commandId,
        jsonEvent({
          id: uuidv5(commandId, COMMAND_MARKER_NAMESPACE),
          type: COMMAND_RECORDED,
          data: record,
          metadata: { ...metadata },
        }),
        { expectedRevision: NO_STREAM },
      );
      return result;
    } catch (error) {
      // A concurrent run of the same command recorded first: its result is the command's result.
      if (!(error instanceof WrongExpectedVersionError)) throw error;
      const first = await this.findCommand(commandId);
      return first === undefined
        ? result
        : { revision: first.revision, position: first.position, repeated: { streamId: first.streamId } };
    }
  }

  /** For servers that do not return a position with the append result. */
  private async lastPositionOf(streamId: string): Promise<number> {
    for await (const resolved of this.client.readStream(streamId, {
      fromRevision: END,
      direction: BACKWARDS,
      maxCount: 1,
    })) {
      const event = fromStreamEvent(resolved);
      if (event !== undefined) return event.position;
    }
    throw new Error(`stream ${streamId}: no position for its last event (server older than 22.6?)`);
  }
}

/** $all without system events, read as the gRPC stream buffers it (paused by its high-water mark until drained). */
class EsdbAllSource implements PullSource {
  readonly emptyMeansHead = false;
  private stream: AllStreamSubscription | undefined;
  private wake: (() => void) | undefined;
  private failure: Error | undefined;
  private ended = false;

  constructor(
    private readonly store: EsdbEventStore,
    private readonly client: EventStoreDBClient,
  ) {}

  // "Caught up" is judged against the head when the subscription starts, the same way as the SQLite adapter.
  head(): Promise<number> {
    return this.store.headPosition();
  }

  open(position: number): void {
    const stream = this.client.subscribeToAll({
      fromPosition: toReadPosition(position),
      filter: excludeSystemEvents(),
    });
    this.stream = stream;
    const signal = (): void => this.wake?.();
    stream.on('readable', signal);
    stream.on('end', () => {
      this.ended = true;
      signal();
    });
    stream.on('error', (error: Error) => {
      this.failure = error;
      signal();
    });
  }

  /** Takes what the stream has buffered, up to one batch, skipping what the checkpoint already covers. */
  next(position: number, max: number): readonly RecordedEvent[] | undefined {
    if (this.failure !== undefined) throw this.failure;
    const batch: RecordedEvent[] = [];
    const stream = this.stream;
    if (stream === undefined) return batch;
    while (batch.length < max) {
      const resolved: unknown = stream.read();
      if (resolved === null) break;
      const event = fromAllEvent(resolved as AllStreamResolvedEvent);
      if (event === undefined || event.position <= position) continue;
      const previous = batch[batch.length - 1];
      if (previous !== undefined && event.position <= previous.position) continue;
      batch.push(event);
    }
    return batch.length === 0 && this.ended ? undefined : batch;
  }

  wait(): { readonly promise: Promise<void>; readonly cancel: () => void } {
    const promise = new Promise<void>((resolve) => {
      this.wake = resolve;
    }).then(() => {
      this.wake = undefined;
    });
    return { promise, cancel: () => this.wake?.() };
  }

  async close(): Promise<void> {
    await this.stream?.unsubscribe();
  }
}

export const openEsdbEventStore = (options: EsdbEventStoreOptions): EsdbEventStore => new EsdbEventStore(options);

const toExpectedRevision = (expected: ExpectedRevision): AppendExpectedRevision => {
  if (expected === 'no_stream') return NO_STREAM;
  if (expected === 'any') return ANY;
  return BigInt(expected);
};

const currentRevision = (next: bigint): number | 'no_stream' => (next < 0n ? 'no_stream' : Number(next));

const toReadPosition = (after: number): ReadPosition => {
  if (after <= 0) return START;
  const offset = BigInt(after);
  return { commit: offset, prepare: offset };
};

const toPortPosition = (commit: bigint): number => {
  if (commit > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`$all position ${commit} exceeds 2^53`);
  return Number(commit);
};

const positionOf = (resolved: AllStreamResolvedEvent): number | undefined =>
  resolved.event === undefined ? undefined : toPortPosition(resolved.event.position.commit);

// The same rule as excludeSystemEvents() (event type starting with `$`), plus system streams and the command
// markers, which are bookkeeping (the SQLite adapter keeps them in a table, outside the log).
const isHidden = (type: string, streamId: string): boolean =>
  type.startsWith('$') ||
  streamId.startsWith('$') ||
  (type === COMMAND_RECORDED && streamId.startsWith(COMMAND_STREAM_PREFIX));

const isJsonData = (data: unknown): data is JSONType =>
  typeof data === 'string' || (typeof data === 'object' && data !== null);

const toEventData = (event: NewEvent): ReturnType<typeof jsonEvent> => {
  if (!isJsonData(event.data)) {
    throw new TypeError(`event ${event.eventId}: EventStoreDB stores JSON objects, arrays or strings as data`);
  }
  return jsonEvent({
    // The caller's id is kept: EventStoreDB answers a repeated append of the same ids idempotently.
    id: event.eventId,
    type: event.type,
    data: event.data,
    // `$correlationId` / `$causationId` are the names EventStoreDB's own projections understand.
    metadata: {
      ...event.metadata,
      $correlationId: event.metadata.correlationId,
      $causationId: event.metadata.causationId,
    },
  });
};

const fromAllEvent = (resolved: AllStreamResolvedEvent): RecordedEvent | undefined => {
  const event = resolved.event;
  if (event === undefined || isHidden(event.type, event.streamId)) return undefined;
  const { commit, prepare } = event.position;
  if (commit !== prepare) {
    throw new Error(
      `event ${event.id} in ${event.streamId} belongs to an explicit transaction (commit ${commit}, prepare ${prepare}); ` +
        'this adapter needs one position per event',
    );
  }
  return toRecorded(event.streamId, event.id, event.revision, event.type, event.data, event.metadata, commit);
};

const fromStreamEvent = (resolved: ResolvedEvent): RecordedEvent | undefined => {
  const event = resolved.event;
  if (event === undefined) return undefined;
  const commit = event.position?.commit ?? resolved.commitPosition;
  if (commit === undefined) {
    throw new Error(`event ${event.id} in ${event.streamId} came without a $all position (server older than 22.6?)`);
  }
  return toRecorded(event.streamId, event.id, event.revision, event.type, event.data, event.metadata, commit);
};

const toRecorded = (
  streamId: string,
  eventId: string,
  revision: bigint,
  type: string,
  data: unknown,
  metadata: unknown,
  commit: bigint,
): RecordedEvent => ({
  streamId,
  eventId,
  revision: Number(revision),
  position: toPortPosition(commit),
  type,
  data,
  metadata: decodeMetadata(eventId, metadata),
});

const field = (record: Record<string, unknown>, name: string, eventId: string): unknown => {
  if (!(name in record)) throw new Error(`event ${eventId}: metadata.${name} is missing`);
  return record[name];
};

const stringField = (record: Record<string, unknown>, name: string, eventId: string): string => {
  const value = field(record, name, eventId);
  if (typeof value !== 'string') throw new Error(`event ${eventId}: metadata.${name} is not a string`);
  return value;
};

const decodeMetadata = (eventId: string, metadata: unknown): EventMetadata => {
  if (typeof metadata !== 'object' || metadata === null || metadata instanceof Uint8Array) {
    throw new Error(`event ${eventId}: metadata is not a JSON object`);
  }
  const record = metadata as Record<string, unknown>;
  const schemaVersion = field(record, 'schemaVersion', eventId);
  if (typeof schemaVersion !== 'number') throw new Error(`event ${eventId}: metadata.schemaVersion is not a number`);
  const fingerprint = record.requestFingerprint;
  return {
    commandId: stringField(record, 'commandId', eventId),
    causationId: stringField(record, 'causationId', eventId),
    correlationId: stringField(record, 'correlationId', eventId),
    timestamp: stringField(record, 'timestamp', eventId),
    schemaVersion,
    ...(typeof fingerprint === 'string' ? { requestFingerprint: fingerprint } : {}),
  };
};

const decodeCommandRecord = (data: unknown): (AppendResult & { readonly streamId: string }) | undefined => {
  if (typeof data !== 'object' || data === null) return undefined;
  const record = data as Record<string, unknown>;
  const { streamId, revision, position } = record;
  if (typeof streamId !== 'string' || typeof revision !== 'number' || typeof position !== 'number') return undefined;
  return { streamId, revision, position };
};
