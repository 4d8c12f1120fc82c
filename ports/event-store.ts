/**
 * Event store port. One adapter per backend (SQLite embedded, EventStoreDB); one contract suite for all.
 *
 * Positions: every recorded event has a global `position` in the store's log ($all). It is a positive safe
 * integer, strictly increasing in log order, and readers never observe a gap that fills later (an event at a
 * lower position never appears after one at a higher position was read). Position 0 means "before the first
 * event", so reading or subscribing from 0 starts at the beginning.
 *
 * Revisions: a stream's events are numbered 0, 1, 2, … in append order.
 */

export interface EventMetadata {
  /** the command that produced the event (idempotency key of the request or a saga's deterministic id) */
  readonly commandId: string;
  /** the message that caused the command (equal to commandId for commands from outside) */
  readonly causationId: string;
  /** the conversation the event belongs to (e.g. one order's saga), propagated from cause to effect */
  readonly correlationId: string;
  /** ISO-8601 time the command was handled (from the clock port, never from the domain) */
  readonly timestamp: string;
  /** version of the event's stored shape; the type name carries it too (`OrderPlaced.v1`) */
  readonly schemaVersion: number;
  /**
   * Fingerprint of the client request that carried an idempotency key (method, path, canonical body), so a later
   * request with the same key but other parameters is told apart from a retry. Absent for internal commands.
   */
  readonly requestFingerprint?: string;
}

export interface NewEvent {
  /** UUID; appending an event id that is already in the stream is a no-op (idempotent re-append) */
  readonly eventId: string;
  /** stored, versioned type name, e.g. `OrderPlaced.v1` */
  readonly type: string;
  readonly data: unknown;
  readonly metadata: EventMetadata;
}

export interface RecordedEvent extends NewEvent {
  readonly streamId: string;
  readonly revision: number;
  readonly position: number;
}

/**
 * A recorded event as the store holds it: `data` and `metadata` are its JSON text, not parsed. For a reader that only
 * forwards events (the Kafka relay), parsing them to serialize them again would be most of its work.
 */
export interface StoredEvent {
  readonly eventId: string;
  readonly type: string;
  readonly streamId: string;
  readonly revision: number;
  readonly position: number;
  /** the JSON text of the event's data */
  readonly data: string;
  /** the JSON text of the event's metadata (an `EventMetadata`) */
  readonly metadata: string;
}

/** `no_stream`: the stream must not exist; `any`: no check; a number: the stream's last revision must be exactly it. */
export type ExpectedRevision = 'no_stream' | 'any' | number;

export interface AppendResult {
  /** revision of the last event of the stream after the append */
  readonly revision: number;
  /** global position of the last event written (or of the already-present events for an idempotent repeat) */
  readonly position: number;
  /**
   * Set when nothing was written because the append repeats an earlier one: its command id was recorded before, or
   * its events are already stored. `revision` and `position` are then the earlier append's, and `streamId` the stream
   * it wrote (another than the one asked for when a command id was used for two streams). Callers that need the
   * first answer of a repeated command learn it here, without asking `findCommand` before every append.
   */
  readonly repeated?: { readonly streamId: string };
}

export interface AppendOptions {
  /**
   * The command that produced these events. Recorded with the append, atomically where the backend allows it,
   * so that `findCommand` answers the first result of a repeated command.
   */
  readonly commandId?: string;
}

/**
 * The store's server cannot be reached now (down, restarting, the connection lost midway). Whether an append that
 * failed so was written is unknown: send the same command again (commands are idempotent by command id). The HTTP
 * edge answers 503 with Retry-After.
 */
export class StoreUnavailableError extends Error {
  constructor(
    readonly store: string,
    override readonly cause: Error,
  ) {
    super(`${store} is unavailable: ${cause.message}`);
    this.name = 'StoreUnavailableError';
  }
}

export class WrongExpectedRevisionError extends Error {
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedRevision,
    readonly actual: number | 'no_stream',
  ) {
    super(`stream ${streamId}: expected revision ${String(expected)}, actual ${String(actual)}`);
    this.name = 'WrongExpectedRevisionError';
  }
}

export interface ReadStreamOptions {
  /** first revision to return (inclusive); default 0 */
  readonly fromRevision?: number;
}

export interface ReadAllOptions {
  /** return events strictly after this position; 0 = from the start */
  readonly after: number;
  readonly maxCount: number;
}

export interface SubscribeOptions {
  /** deliver events strictly after this position (a checkpoint); 0 = from the start */
  readonly after: number;
  /** largest batch handed to the handler at once */
  readonly batchSize?: number;
}

export interface Subscription {
  /** resolves once the subscription has delivered everything that existed when it started */
  readonly caughtUp: Promise<void>;
  /** resolves when the subscription ended: after `stop()`, or rejects when the handler threw */
  readonly done: Promise<void>;
  stop(): Promise<void>;
}

/** Handles one batch, in log order; the next batch waits until the returned promise settles (back-pressure). */
export type BatchHandler = (batch: readonly RecordedEvent[]) => Promise<void> | void;

/** `BatchHandler` for events as stored (`subscribeToAllStored`). */
export type StoredBatchHandler = (batch: readonly StoredEvent[]) => Promise<void> | void;

export interface EventStore {
  append(
    streamId: string,
    events: readonly NewEvent[],
    expected: ExpectedRevision,
    options?: AppendOptions,
  ): Promise<AppendResult>;
  readStream(streamId: string, options?: ReadStreamOptions): Promise<readonly RecordedEvent[]>;
  /** the global log forward, in batches */
  readAll(options: ReadAllOptions): Promise<readonly RecordedEvent[]>;
  /** catch-up subscription: first the history after the checkpoint, then live appends, without gaps */
  subscribeToAll(options: SubscribeOptions, handler: BatchHandler): Subscription;
  /**
   * `subscribeToAll` with the events as stored (JSON text, not parsed), for forwarding them. Optional: a store that
   * does not keep JSON text (EventStoreDB) leaves it out, and a forwarder serializes what `subscribeToAll` delivers.
   */
  subscribeToAllStored?(options: SubscribeOptions, handler: StoredBatchHandler): Subscription;
  /** position of the last event in the log (0 when empty) */
  headPosition(): Promise<number>;
  /** the first result of a command recorded with `AppendOptions.commandId`, if any */
  findCommand(commandId: string): Promise<(AppendResult & { readonly streamId: string }) | undefined>;
  close(): Promise<void>;
}

/** Durable named positions for consumers (projections, sagas, relay). */
export interface CheckpointStore {
  load(name: string): Promise<number>;
  save(name: string, position: number): Promise<void>;
}
