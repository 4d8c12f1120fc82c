import pg from 'pg';
import {
  WrongExpectedRevisionError,
  type AppendOptions,
  type AppendResult,
  type BatchHandler,
  type CheckpointStore,
  type EventStore,
  type ExpectedRevision,
  type NewEvent,
  type ReadAllOptions,
  type ReadStreamOptions,
  type RecordedEvent,
  type StoredBatchHandler,
  type StoredEvent,
  type SubscribeOptions,
  type Subscription,
} from '../../ports/event-store';
import type { LogReader, LogWindow, ReadTypesOptions } from '../../ports/log-reader';
import {
  EventStoreClosedError,
  repeatedAppend,
  serialize,
  validateAppend,
  type EventLocation as Location,
  type SerializedEvent,
} from '../event-append';
import { CatchUpSubscription, type Positioned, type PullSource } from '../subscriptions/catch-up';
import { rethrowUnavailable, unavailableOr } from './pg-unavailable';
import { prepared } from './pg-prepared';
import { checkOut } from './pg-checkout';
import {
  DEFAULT_EVENT_SCHEMA,
  eventTables,
  migrateEventSchema,
  quoteIdentifier,
  type EventTables,
} from './pg-event-schema';

/**
 * Event store on PostgreSQL (node-postgres). See docs/adr/0013-postgresql-event-store.md.
 *
 * Why readers never see a gap that fills later: every append transaction first locks the one row of `log_head` and
 * moves it by the number of events it writes, in the same transaction. The next append (from this process or any
 * other) waits for that row until the transaction committed or rolled back, so transactions commit in the order of
 * their positions and a snapshot always holds a prefix of the log: `position > p ORDER BY position` never skips an
 * event that commits later. A rolled-back append leaves the head where it was; the next one reuses the positions.
 * The price is one append transaction at a time per store; this adapter earns it back by group commit: appends
 * that arrive while a transaction runs are written together by the next one (one lock, one multi-row INSERT, one
 * WAL flush for all of them), each with its own outcome, as the SQLite adapter does.
 *
 * Subscriptions page through the log with the same query and sleep until a NOTIFY (sent by every append's
 * transaction, delivered at its commit) or, should the listening connection be lost, the next poll of the head.
 */

export interface PgEventStoreOptions {
  /** e.g. `postgresql://user@127.0.0.1:5432/commerce` */
  readonly url: string;
  /** schema of the store's tables (created when missing); default `event_store` */
  readonly schema?: string;
  /** pooled connections (appends use one at a time; reads and subscriptions the others); default 10 */
  readonly maxConnections?: number;
  /** longest wait for a connection; default 10 000 ms */
  readonly connectTimeoutMs?: number;
  /** longest a statement may run; default 60 000 ms */
  readonly statementTimeoutMs?: number;
  /** how often subscriptions look at the head when no notification came (the fallback); default 250 ms */
  readonly pollIntervalMs?: number;
  /** most appends written by one transaction; default 500 */
  readonly maxAppendsPerTransaction?: number;
  /** errors of idle pooled connections (a restarted server); the next call reports its own error anyway */
  readonly onIdleError?: (error: Error) => void;
  /**
   * @internal tests: runs inside each append transaction after the head was locked and the events were written,
   * before the commit (to stretch a transaction and prove that readers still never see a gap).
   */
  readonly beforeCommit?: (client: pg.PoolClient) => Promise<void>;
}

const DEFAULT_POLL_MS = 250;
const DEFAULT_MAX_APPENDS = 500;
const FETCH_PAGE = 256;

interface PendingAppend {
  readonly streamId: string;
  readonly events: readonly SerializedEvent[];
  readonly expected: ExpectedRevision;
  readonly commandId: string | undefined;
  readonly resolve: (result: AppendResult) => void;
  readonly reject: (error: Error) => void;
}

type Outcome = { readonly ok: true; readonly result: AppendResult } | { readonly ok: false; readonly error: Error };

/** `kind`: s = a stream's last revision, e = an event id, c = a command id (one lookup statement for all three) */
interface LookupRow {
  readonly kind: string;
  readonly key: string;
  readonly stream_id: string;
  readonly revision: string;
  readonly position: string;
}

/** an event's row: `Json` is what the driver gives for the json columns (parsed values, or text when cast) */
interface EventRowOf<Json> {
  readonly position: string;
  readonly stream_id: string;
  readonly revision: string;
  readonly event_id: string;
  readonly type: string;
  readonly data: Json;
  readonly metadata: Json;
}

type EventRow = EventRowOf<unknown>;

/** a window of the log by type: its bounds on every row, the event columns null when no event matched */
type WindowRow = { readonly through: string | null; readonly examined: string } & {
  readonly [K in keyof EventRow]: EventRow[K] | null;
};

const EVENT_COLUMNS = 'position, stream_id, revision, event_id, type, data, metadata';

/** A row as an event, its data and metadata as the driver gave them. */
const fromRow = <Json>(row: EventRowOf<Json>) => ({
  position: Number(row.position),
  streamId: row.stream_id,
  revision: Number(row.revision),
  eventId: row.event_id,
  type: row.type,
  data: row.data,
  metadata: row.metadata,
});

/** with data and metadata cast to text (the server's JSON text, which the driver leaves unparsed) */
const toStored = (row: EventRowOf<string>): StoredEvent => fromRow(row);

// written by this store from NewEvent values; decoding `data` is the domain codecs' job
const toRecorded = (row: EventRow): RecordedEvent => fromRow(row as EventRowOf<RecordedEvent['metadata']>);

/** The quick path met an append that may repeat an earlier one: the batch is decided again on the careful path. */
class RepeatSuspected extends Error {}

/** SQLSTATE 23505: a command id stored before, or a stream revision a concurrent append took */
const isUniqueViolation = (error: unknown): boolean =>
  typeof error === 'object' && error !== null && 'code' in error && error.code === '23505';

const toError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));

/** Whether an append expecting `expected` goes on a stream whose last revision is `head` (undefined: no stream). */
const fitsHead = (expected: ExpectedRevision, head: number | undefined): boolean =>
  expected === 'any' || (expected === 'no_stream' ? head === undefined : head !== undefined && head === expected);

/** Events to write, column by column (the write statements take one array per column). */
interface EventColumns {
  readonly streamId: string[];
  readonly revision: number[];
  readonly eventId: string[];
  readonly type: string[];
  readonly data: string[];
  readonly metadata: string[];
}

const eventColumns = (): EventColumns => ({
  streamId: [],
  revision: [],
  eventId: [],
  type: [],
  data: [],
  metadata: [],
});

const addEvent = (columns: EventColumns, streamId: string, revision: number, event: SerializedEvent): void => {
  columns.streamId.push(streamId);
  columns.revision.push(revision);
  columns.eventId.push(event.eventId);
  columns.type.push(event.type);
  columns.data.push(event.data);
  columns.metadata.push(event.metadata);
};

export class PgEventStore implements EventStore {
  readonly tables: EventTables;
  private readonly pool: pg.Pool;
  private readonly pollIntervalMs: number;
  private readonly maxAppends: number;
  private readonly beforeCommit: ((client: pg.PoolClient) => Promise<void>) | undefined;
  private readonly sql: ReturnType<typeof statements>;

  private closed = false;
  private queue: PendingAppend[] = [];
  private flushing: Promise<void> | undefined;
  private transactions = 0;

  private readonly subscriptions = new Set<Subscription>();
  private readonly sources = new Set<{ wake(): void }>();
  private listener: pg.Client | undefined;
  private listening: Promise<void> | undefined;
  private pollTimer: NodeJS.Timeout | undefined;
  private lastSeenHead = 0;
  private checkpointStoreInstance: PgCheckpointStore | undefined;

  private constructor(options: PgEventStoreOptions) {
    this.tables = eventTables(options.schema ?? DEFAULT_EVENT_SCHEMA);
    this.pollIntervalMs = options.pollIntervalMs ?? DEFAULT_POLL_MS;
    this.maxAppends = options.maxAppendsPerTransaction ?? DEFAULT_MAX_APPENDS;
    this.beforeCommit = options.beforeCommit;
    this.sql = statements(this.tables);
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: options.maxConnections ?? 10,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
      statement_timeout: options.statementTimeoutMs ?? 60_000,
      application_name: 'commerce-event-store',
    });
    const onIdleError = options.onIdleError;
    this.pool.on('error', (error) => onIdleError?.(error));
  }

  /** Connects, creates the schema when missing and answers the store. */
  static async open(options: PgEventStoreOptions): Promise<PgEventStore> {
    const store = new PgEventStore(options);
    try {
      await migrateEventSchema(store.pool, store.tables);
    } catch (error) {
      await store.pool.end().catch(() => undefined);
      throw error;
    }
    return store;
  }

  /** write transactions committed or attempted so far (group commit makes them fewer than appends) */
  get transactionCount(): number {
    return this.transactions;
  }

  /** Checkpoints in the store's schema, beside the events. */
  checkpointStore(): CheckpointStore {
    this.checkpointStoreInstance ??= new PgCheckpointStore(this.pool, this.tables, () => this.closed);
    return this.checkpointStoreInstance;
  }

  /** The log by event type, filtered by PostgreSQL. */
  logReader(): LogReader {
    return { readTypes: (options) => this.readTypes(options) };
  }

  append(
    streamId: string,
    events: readonly NewEvent[],
    expected: ExpectedRevision,
    options?: AppendOptions,
  ): Promise<AppendResult> {
    if (this.closed) return Promise.reject(new EventStoreClosedError());
    let serialized: SerializedEvent[];
    try {
      validateAppend(streamId, events, expected);
      serialized = events.map(serialize);
    } catch (error) {
      return Promise.reject(toError(error));
    }
    return new Promise<AppendResult>((resolve, reject) => {
      this.queue.push({ streamId, events: serialized, expected, commandId: options?.commandId, resolve, reject });
      this.flushing ??= this.flush().catch((error: unknown) => {
        // writeBatch settles every append itself; this is a bug's last resort, never an unhandled rejection
        for (const append of this.queue.splice(0)) append.reject(unavailableOr(error));
      });
    });
  }

  async readStream(streamId: string, options?: ReadStreamOptions): Promise<readonly RecordedEvent[]> {
    this.assertOpen();
    const { rows } = await this.pool
      .query<EventRow>(prepared(this.sql.readStream, [streamId, options?.fromRevision ?? 0]))
      .catch(rethrowUnavailable);
    return rows.map(toRecorded);
  }

  async readAll(options: ReadAllOptions): Promise<readonly RecordedEvent[]> {
    this.assertOpen();
    return this.readAfter(options.after, options.maxCount);
  }

  subscribeToAll(options: SubscribeOptions, handler: BatchHandler): Subscription {
    return this.subscribe(options, handler, (after, max) => this.readAfter(after, max));
  }

  subscribeToAllStored(options: SubscribeOptions, handler: StoredBatchHandler): Subscription {
    return this.subscribe(options, handler, (after, max) => this.readStoredAfter(after, max));
  }

  private subscribe<E extends Positioned>(
    options: SubscribeOptions,
    handler: (batch: readonly E[]) => Promise<void> | void,
    read: (after: number, max: number) => Promise<readonly E[]>,
  ): Subscription {
    const batchSize = options.batchSize ?? 500;
    const source = new PgLogSource(this, read, Math.max(batchSize, FETCH_PAGE));
    const subscription = new CatchUpSubscription(source, options.after, batchSize, handler);
    if (this.closed) {
      subscription.fail(new EventStoreClosedError());
      return subscription;
    }
    this.subscriptions.add(subscription);
    this.sources.add(source);
    this.startWatching();
    const forget = (): void => {
      this.subscriptions.delete(subscription);
      this.sources.delete(source);
      if (this.subscriptions.size === 0) this.stopWatching();
    };
    void subscription.done.then(forget, forget);
    subscription.start();
    return subscription;
  }

  async headPosition(): Promise<number> {
    this.assertOpen();
    const { rows } = await this.pool.query<{ position: string }>(prepared(this.sql.head)).catch(rethrowUnavailable);
    return Number(rows[0]?.position ?? 0);
  }

  async findCommand(commandId: string): Promise<(AppendResult & { readonly streamId: string }) | undefined> {
    this.assertOpen();
    const { rows } = await this.pool
      .query<{ stream_id: string; revision: string; position: string }>(prepared(this.sql.findCommand, [commandId]))
      .catch(rethrowUnavailable);
    const row = rows[0];
    if (row === undefined) return undefined;
    return { streamId: row.stream_id, revision: Number(row.revision), position: Number(row.position) };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // appends already accepted are written, not dropped
    while (this.flushing !== undefined) await this.flushing;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((subscription) => subscription.stop()));
    this.stopWatching();
    // checkpoint saves of consumers that stopped just now
    await this.checkpointStoreInstance?.drain();
    await this.pool.end();
  }

  /** @internal the next events after a position, in log order */
  async readAfter(after: number, maxCount: number): Promise<readonly RecordedEvent[]> {
    if (!Number.isSafeInteger(maxCount) || maxCount < 1) throw new RangeError(`invalid maxCount ${maxCount}`);
    const { rows } = await this.pool
      .query<EventRow>(prepared(this.sql.readAll, [after, maxCount]))
      .catch(rethrowUnavailable);
    return rows.map(toRecorded);
  }

  /** the next events after a position as stored: data and metadata as the server's JSON text */
  private async readStoredAfter(after: number, maxCount: number): Promise<readonly StoredEvent[]> {
    const { rows } = await this.pool
      .query<EventRowOf<string>>(prepared(this.sql.readAllStored, [after, maxCount]))
      .catch(rethrowUnavailable);
    return rows.map(toStored);
  }

  private async readTypes({ after, maxCount, types }: ReadTypesOptions): Promise<LogWindow> {
    this.assertOpen();
    if (!Number.isSafeInteger(maxCount) || maxCount < 1) throw new RangeError(`invalid maxCount ${maxCount}`);
    // one statement, one snapshot: the window's bounds and the wanted rows within them (none: one row of nulls)
    const { rows } = await this.pool
      .query<WindowRow>(prepared(this.sql.readTypes, [after, maxCount, [...types]]))
      .catch(rethrowUnavailable);
    const first = rows[0];
    if (first === undefined || first.through === null) return { events: [], through: after, examined: 0 };
    const events = rows.flatMap((row) => (row.position === null ? [] : [toRecorded(row as EventRow)]));
    return { events, through: Number(first.through), examined: Number(first.examined) };
  }

  private assertOpen(): void {
    if (this.closed) throw new EventStoreClosedError();
  }

  /** Writes what is queued, one transaction after the other, until the queue is empty. */
  private async flush(): Promise<void> {
    // let the appends of this turn of the event loop join the first transaction
    await new Promise<void>((resolve) => {
      setImmediate(resolve);
    });
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxAppends);
        await this.writeBatch(batch);
      }
    } finally {
      this.flushing = undefined;
    }
  }

  private async writeBatch(batch: readonly PendingAppend[]): Promise<void> {
    let outcomes: readonly Outcome[];
    try {
      outcomes = await this.decideAndWrite(batch);
    } catch (error) {
      if (batch.length === 1) {
        batch[0]?.reject(unavailableOr(error));
        return;
      }
      // one append the server refused (say, a string PostgreSQL cannot store) must not fail the others: each alone
      for (const append of batch) await this.writeBatch([append]);
      return;
    }
    this.wakeSources();
    batch.forEach((append, index) => {
      const outcome = outcomes[index];
      if (outcome === undefined) append.reject(new Error('an append answered no outcome'));
      else if (outcome.ok) append.resolve(outcome.result);
      else append.reject(outcome.error);
    });
  }

  /**
   * The quick path does not look up the event ids: an append that fits its expected revision cannot repeat an earlier
   * one (ADR 0024), and one that does not fit, or names a recorded command id, sends the batch to the careful path,
   * which tells a repeat (answered with the first result) from a conflict. An append with 'any' may repeat one
   * anywhere in its stream, so its batch goes the careful way at once.
   */
  private async decideAndWrite(batch: readonly PendingAppend[]): Promise<readonly Outcome[]> {
    if (batch.some((append) => append.expected === 'any')) return this.transaction(batch, true);
    const written = await this.writeUnlocked(batch);
    if (written !== undefined) return written;
    try {
      return await this.transaction(batch, false);
    } catch (error) {
      if (!(error instanceof RepeatSuspected) && !isUniqueViolation(error)) throw error;
      return this.transaction(batch, true);
    }
  }

  /**
   * The common case in one statement that holds the log head only while it runs: the stream heads and command ids are
   * looked up without the lock, and when every append fits and names no recorded command, one statement takes the
   * head (an UPDATE, which waits for the holder and then sees its latest position), writes the events at the positions
   * after it, the commands and the notification, and commits. Commits stay in position order, as the head is held
   * until the commit. If another writer got in between (a stream moved, a command id was stored), the unique
   * indexes refuse the statement, nothing is written, and the batch goes the locked way (undefined). Answers
   * undefined as well when the lookup alone shows that an append does not fit or may repeat.
   */
  private async writeUnlocked(batch: readonly PendingAppend[]): Promise<readonly Outcome[] | undefined> {
    const streams = [...new Set(batch.map((append) => append.streamId))];
    const commandIds = batch.flatMap((append) => (append.commandId === undefined ? [] : [append.commandId]));
    const { rows } = await this.pool
      .query<LookupRow>(prepared(this.sql.lookup, [streams, [], commandIds, [], [], [], []]))
      .catch(rethrowUnavailable);
    if (rows.some((row) => row.kind === 'c')) return undefined;
    const heads = new Map<string, number>();
    for (const row of rows) if (row.kind === 's') heads.set(row.key, Number(row.revision));
    const events = eventColumns();
    const commands = {
      commandId: [] as string[],
      streamId: [] as string[],
      revision: [] as number[],
      last: [] as number[],
    };
    /** per append: its last revision, and its last event's place in the statement (1-based) */
    const placed: { readonly revision: number; readonly last: number }[] = [];
    for (const { streamId, events: appended, expected, commandId } of batch) {
      const head = heads.get(streamId);
      if (!fitsHead(expected, head)) return undefined;
      let revision = head ?? -1;
      for (const event of appended) {
        revision += 1;
        addEvent(events, streamId, revision, event);
      }
      heads.set(streamId, revision);
      placed.push({ revision, last: events.streamId.length });
      if (commandId !== undefined) {
        commands.commandId.push(commandId);
        commands.streamId.push(streamId);
        commands.revision.push(revision);
        commands.last.push(events.streamId.length);
      }
    }
    const parameters = [
      events.streamId,
      events.revision,
      events.eventId,
      events.type,
      events.data,
      events.metadata,
      commands.commandId,
      commands.streamId,
      commands.revision,
      commands.last,
    ];
    let base: number;
    try {
      base = await this.unlockedStatement(parameters);
    } catch (error) {
      if (isUniqueViolation(error)) return undefined;
      throw unavailableOr(error);
    }
    this.transactions += 1;
    return placed.map(({ revision, last }) => ({ ok: true, result: { revision, position: base + last } }));
  }

  /** Runs the one-statement append; with the test hook, inside a transaction so the hook runs before the commit. */
  private async unlockedStatement(parameters: readonly unknown[]): Promise<number> {
    if (this.beforeCommit === undefined) {
      const { rows } = await this.pool.query<{ base: string }>(prepared(this.sql.writeUnlocked, parameters));
      return Number(rows[0]?.base);
    }
    const beforeCommit = this.beforeCommit;
    return this.inTransaction(async (client) => {
      await client.query('BEGIN');
      const { rows } = await client.query<{ base: string }>(prepared(this.sql.writeUnlocked, parameters));
      await beforeCommit(client);
      await client.query('COMMIT');
      return Number(rows[0]?.base);
    });
  }

  /**
   * Runs `work` on a checked-out client, which begins and commits its transaction; rolls back when it throws, and
   * does not reuse a connection that failed meanwhile (its state is unknown).
   */
  private async inTransaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    // a checked-out client's connection error is emitted as an event too (the pool listens only to idle ones): unheard,
    // it would end the process; the query under way rejects with it, and the client is released as broken
    const { client, release } = await checkOut(this.pool);
    let failed: Error | undefined;
    try {
      return await work(client);
    } catch (error) {
      failed = toError(error);
      await client.query('ROLLBACK').catch(() => undefined);
      throw failed;
    } finally {
      release(failed);
    }
  }

  /**
   * One transaction for a batch of appends: lock the head, look up stream heads and the ids already stored, decide
   * every append here (in order, each seeing the ones before it), write the events, the commands and the head in one
   * statement, commit. Appends that fail a check write nothing and do not disturb the others.
   */
  private async transaction(batch: readonly PendingAppend[], careful: boolean): Promise<readonly Outcome[]> {
    this.transactions += 1;
    return this.inTransaction(async (client) => {
      // simple protocol: both statements in one round trip; the lock is waited for before any lookup's snapshot
      const begun = (await client.query(this.sql.beginAndLock)) as unknown as pg.QueryResult<{ position: string }>[];
      const headRow = begun[1]?.rows[0];
      if (headRow === undefined) throw new Error(`${this.tables.head} has no row: the schema is damaged`);
      let position = Number(headRow.position);

      const streams = [...new Set(batch.map((append) => append.streamId))];
      const commandIds = batch.flatMap((append) => (append.commandId === undefined ? [] : [append.commandId]));
      const repeats = careful ? whereRepeatsWouldBe(batch) : undefined;
      const { rows } = await client.query<LookupRow>(
        prepared(this.sql.lookup, [
          streams,
          repeats?.at.eventId ?? [],
          commandIds,
          repeats?.at.streamId ?? [],
          repeats?.at.revision ?? [],
          repeats?.anywhere.eventId ?? [],
          repeats?.anywhere.streamId ?? [],
        ]),
      );
      const heads = new Map<string, number>();
      /** events by stream and id: found where a repeat would be, or written by this batch */
      const stored = new Map<string, Location>();
      const commands = new Map<string, Location>();
      for (const row of rows) {
        const location = { streamId: row.stream_id, revision: Number(row.revision), position: Number(row.position) };
        if (row.kind === 's') heads.set(row.key, location.revision);
        else if (row.kind === 'e') stored.set(inStream(row.stream_id, row.key), location);
        else commands.set(row.key, location);
      }

      const rowsOut = { position: [] as number[], ...eventColumns() };
      const commandsOut = {
        commandId: [] as string[],
        streamId: [] as string[],
        revision: [] as number[],
        position: [] as number[],
      };
      const recordCommand = (commandId: string | undefined, location: Location): void => {
        if (commandId === undefined) return;
        commands.set(commandId, location);
        commandsOut.commandId.push(commandId);
        commandsOut.streamId.push(location.streamId);
        commandsOut.revision.push(location.revision);
        commandsOut.position.push(location.position);
      };

      const outcomes = batch.map((append): Outcome => {
        const { streamId, events, expected, commandId } = append;
        const recorded = commandId === undefined ? undefined : commands.get(commandId);
        if (recorded !== undefined)
          return {
            ok: true,
            result: {
              revision: recorded.revision,
              position: recorded.position,
              repeated: { streamId: recorded.streamId },
            },
          };
        let repeat: Location | undefined;
        try {
          const first = firstRevision(expected);
          repeat = repeatedAppend(streamId, events, (eventId, index) => {
            const found = stored.get(inStream(streamId, eventId));
            return first === undefined || found?.revision === first + index ? found : undefined;
          });
        } catch (error) {
          return { ok: false, error: toError(error) };
        }
        if (repeat !== undefined) {
          recordCommand(commandId, repeat);
          return { ok: true, result: { revision: repeat.revision, position: repeat.position, repeated: { streamId } } };
        }
        const head = heads.get(streamId);
        const fits = fitsHead(expected, head);
        // a repeat of an earlier append also misses its expected revision: only the careful path tells them apart
        if (!fits && !careful) throw new RepeatSuspected();
        if (!fits) return { ok: false, error: new WrongExpectedRevisionError(streamId, expected, head ?? 'no_stream') };
        let revision = head ?? -1;
        for (const event of events) {
          revision += 1;
          position += 1;
          rowsOut.position.push(position);
          addEvent(rowsOut, streamId, revision, event);
          stored.set(inStream(streamId, event.eventId), { streamId, revision, position });
        }
        heads.set(streamId, revision);
        recordCommand(commandId, { streamId, revision, position });
        return { ok: true, result: { revision, position } };
      });

      if (rowsOut.position.length > 0 || commandsOut.commandId.length > 0) {
        await client.query(
          prepared(this.sql.write, [
            rowsOut.position,
            rowsOut.streamId,
            rowsOut.revision,
            rowsOut.eventId,
            rowsOut.type,
            rowsOut.data,
            rowsOut.metadata,
            commandsOut.commandId,
            commandsOut.streamId,
            commandsOut.revision,
            commandsOut.position,
            position,
            rowsOut.position.length > 0,
          ]),
        );
      }
      if (this.beforeCommit !== undefined) await this.beforeCommit(client);
      await client.query('COMMIT');
      return outcomes;
    });
  }

  /** Wakes every live subscription's source: the log may have grown. */
  wakeSources(): void {
    for (const source of this.sources) source.wake();
  }

  private startWatching(): void {
    if (this.pollTimer !== undefined) return;
    this.listening ??= this.listen();
    // the fallback: a lost listening connection (or a NOTIFY lost with it) delays a subscription, never stalls it
    this.pollTimer = setInterval(() => {
      void this.poll();
    }, this.pollIntervalMs);
    this.pollTimer.unref();
  }

  private stopWatching(): void {
    if (this.pollTimer !== undefined) clearInterval(this.pollTimer);
    this.pollTimer = undefined;
    const listener = this.listener;
    this.listener = undefined;
    this.listening = undefined;
    if (listener !== undefined) void listener.end().catch(() => undefined);
  }

  private async poll(): Promise<void> {
    if (this.closed || this.sources.size === 0) return;
    try {
      const head = await this.headPosition();
      if (head !== this.lastSeenHead) {
        this.lastSeenHead = head;
        this.wakeSources();
      }
      // listen again after the listening connection was lost
      if (this.listener === undefined && this.listening === undefined) this.listening = this.listen();
    } catch {
      // the server is away: the sources' own reads report it; the next tick tries again
    }
  }

  private async listen(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.pool.options.connectionString,
      connectionTimeoutMillis: 10_000,
      application_name: 'commerce-event-store-listener',
    });
    const lost = (): void => {
      if (this.listener === client) this.listener = undefined;
      this.listening = undefined;
      void client.end().catch(() => undefined);
    };
    client.on('error', lost);
    client.on('end', lost);
    client.on('notification', () => {
      this.wakeSources();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${quoteIdentifier(this.tables.channel)}`);
      if (this.pollTimer === undefined || this.closed) {
        await client.end();
        return;
      }
      this.listener = client;
      // appends may have committed between the sources' last read and LISTEN
      this.wakeSources();
    } catch {
      lost();
    }
  }
}

/**
 * Pages through the log for one catch-up subscription: `next` hands out what was fetched, and starts the next fetch
 * when the buffer is empty and the log may have grown (a notification, an append here, a poll, or a full page);
 * `wait` resolves when a fetch finished or the log may have grown.
 */
class PgLogSource<E extends Positioned> implements PullSource<E> {
  readonly emptyMeansHead = false;
  private buffer: E[] = [];
  private fetchedThrough = -1;
  private fetching = false;
  private mayHaveMore = true;
  private failure: Error | undefined;
  private waiter: (() => void) | undefined;

  constructor(
    private readonly store: PgEventStore,
    private readonly read: (after: number, max: number) => Promise<readonly E[]>,
    private readonly pageSize: number,
  ) {}

  head(): Promise<number> {
    return this.store.headPosition();
  }

  open(position: number): void {
    this.fetchedThrough = position;
  }

  next(position: number, max: number): readonly E[] | undefined {
    if (this.failure !== undefined) throw this.failure;
    if (this.fetchedThrough < position) {
      this.buffer = [];
      this.fetchedThrough = position;
    }
    let start = 0;
    while (start < this.buffer.length && (this.buffer[start]?.position ?? 0) <= position) start += 1;
    const batch = this.buffer.slice(start, start + max);
    this.buffer = this.buffer.slice(start + batch.length);
    if (this.buffer.length === 0 && this.mayHaveMore && !this.fetching) this.fetch();
    return batch;
  }

  wait(): { readonly promise: Promise<void>; readonly cancel: () => void } {
    let cancel = (): void => undefined;
    const promise = new Promise<void>((resolve) => {
      cancel = resolve;
      this.waiter = resolve;
    });
    return { promise, cancel };
  }

  /** the log may have grown */
  wake(): void {
    this.mayHaveMore = true;
    if (!this.fetching && this.buffer.length === 0) this.fetch();
  }

  private fetch(): void {
    this.fetching = true;
    this.mayHaveMore = false;
    const after = this.fetchedThrough;
    this.read(after, this.pageSize).then(
      (page) => {
        this.fetching = false;
        const last = page[page.length - 1];
        if (last !== undefined && after === this.fetchedThrough) {
          this.buffer.push(...page);
          this.fetchedThrough = last.position;
        }
        // a full page: more is probably there already
        if (page.length === this.pageSize) this.mayHaveMore = true;
        this.signal();
      },
      (error: unknown) => {
        this.fetching = false;
        this.failure = toError(error);
        this.signal();
      },
    );
  }

  private signal(): void {
    const waiter = this.waiter;
    this.waiter = undefined;
    waiter?.();
  }
}

/** Checkpoints in the event store's schema. */
export class PgCheckpointStore implements CheckpointStore {
  private readonly pending = new Set<Promise<unknown>>();

  constructor(
    private readonly pool: pg.Pool,
    private readonly tables: EventTables,
    private readonly isClosed: () => boolean,
  ) {}

  async load(name: string): Promise<number> {
    if (this.isClosed()) throw new EventStoreClosedError();
    const { rows } = await this.pool
      .query<{ position: string }>(prepared(`SELECT position FROM ${this.tables.checkpoints} WHERE name = $1`, [name]))
      .catch(rethrowUnavailable);
    return Number(rows[0]?.position ?? 0);
  }

  async save(name: string, position: number): Promise<void> {
    if (!Number.isSafeInteger(position) || position < 0) throw new RangeError(`invalid position ${position}`);
    if (this.isClosed()) throw new EventStoreClosedError();
    const saving = this.pool.query(
      `INSERT INTO ${this.tables.checkpoints} (name, position) VALUES ($1, $2)
       ON CONFLICT (name) DO UPDATE SET position = excluded.position`,
      [name, position],
    );
    this.pending.add(saving);
    try {
      await saving;
    } finally {
      this.pending.delete(saving);
    }
  }

  /** @internal waits for saves in flight (before the pool closes) */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }
}

const statements = (t: EventTables) => ({
  beginAndLock: `BEGIN; SELECT position FROM ${t.head} WHERE id = 1 FOR UPDATE`,
  lookup: `
    SELECT 's' AS kind, s.id AS key, s.id AS stream_id, last.revision, last.position
      FROM unnest($1::text[]) AS s(id)
      CROSS JOIN LATERAL (
        SELECT revision, position FROM ${t.events} WHERE stream_id = s.id ORDER BY revision DESC LIMIT 1
      ) AS last
    UNION ALL
    SELECT 'e', e.event_id, e.stream_id, e.revision, e.position
      FROM unnest($2::text[], $4::text[], $5::bigint[]) AS x(id, stream_id, revision)
      JOIN ${t.events} AS e ON e.stream_id = x.stream_id AND e.revision = x.revision AND e.event_id = x.id
    UNION ALL
    SELECT 'e', e.event_id, e.stream_id, e.revision, e.position
      FROM unnest($6::text[], $7::text[]) AS x(id, stream_id)
      JOIN ${t.events} AS e ON e.stream_id = x.stream_id AND e.event_id = x.id
    UNION ALL
    SELECT 'c', command_id, stream_id, revision, position FROM ${t.commands} WHERE command_id = ANY($3::text[])`,
  // one statement: the events, the commands, the head and the notification (delivered at commit)
  write: `
    WITH written AS (
      INSERT INTO ${t.events} (position, stream_id, revision, event_id, type, data, metadata)
      SELECT p, s, r, e, ty, d::json, m::json
        FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[])
          AS x(p, s, r, e, ty, d, m)
    ), commands AS (
      INSERT INTO ${t.commands} (command_id, stream_id, revision, position)
      SELECT * FROM unnest($8::text[], $9::text[], $10::bigint[], $11::bigint[])
    ), head AS (
      UPDATE ${t.head} SET position = $12 WHERE id = 1 AND $13::boolean
    )
    SELECT pg_notify('${t.channel}', $12::text) WHERE $13::boolean`,
  // the head is taken by the UPDATE, which after waiting for its holder works on the latest row
  writeUnlocked: `
    WITH head AS (
      UPDATE ${t.head} SET position = position + cardinality($1::text[]) WHERE id = 1
      RETURNING position - cardinality($1::text[]) AS base
    ), written AS (
      INSERT INTO ${t.events} (position, stream_id, revision, event_id, type, data, metadata)
      SELECT head.base + x.n, x.s, x.r, x.e, x.ty, x.d::json, x.m::json
        FROM head, unnest($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[], $6::text[])
          WITH ORDINALITY AS x(s, r, e, ty, d, m, n)
    ), commands AS (
      INSERT INTO ${t.commands} (command_id, stream_id, revision, position)
      SELECT c.id, c.s, c.r, head.base + c.k
        FROM head, unnest($7::text[], $8::text[], $9::bigint[], $10::bigint[]) AS c(id, s, r, k)
    )
    SELECT base, pg_notify('${t.channel}', (base + cardinality($1::text[]))::text) FROM head`,
  readStream: `SELECT ${EVENT_COLUMNS} FROM ${t.events} WHERE stream_id = $1 AND revision >= $2 ORDER BY revision`,
  readAll: `SELECT ${EVENT_COLUMNS} FROM ${t.events} WHERE position > $1 ORDER BY position LIMIT $2`,
  readAllStored: `SELECT position, stream_id, revision, event_id, type, data::text AS data, metadata::text AS metadata
    FROM ${t.events} WHERE position > $1 ORDER BY position LIMIT $2`,
  readTypes: `
    WITH window_ AS (
      SELECT position, type FROM ${t.events} WHERE position > $1 ORDER BY position LIMIT $2
    ), bounds AS (
      SELECT max(position) AS through, count(*) AS examined FROM window_
    )
    SELECT b.through, b.examined, ${EVENT_COLUMNS.split(', ')
      .map((column) => `e.${column}`)
      .join(', ')}
      FROM bounds AS b
      LEFT JOIN ${t.events} AS e
        ON e.position > $1 AND e.position <= b.through AND e.type = ANY($3::text[])
     ORDER BY e.position`,
  head: `SELECT position FROM ${t.head} WHERE id = 1`,
  findCommand: `SELECT stream_id, revision, position FROM ${t.commands} WHERE command_id = $1`,
});

const inStream = (streamId: string, eventId: string): string => `${streamId}\n${eventId}`;

/** The revision a repeat of an append would start at: right after the expected one; undefined for 'any' (anywhere). */
const firstRevision = (expected: ExpectedRevision): number | undefined =>
  expected === 'any' ? undefined : expected === 'no_stream' ? 0 : expected + 1;

/** What the careful lookup asks for (ADR 0024): each id at the revision a repeat would give it, or, for 'any', anywhere in its stream. */
const whereRepeatsWouldBe = (batch: readonly PendingAppend[]) => {
  const at = { eventId: [] as string[], streamId: [] as string[], revision: [] as number[] };
  const anywhere = { eventId: [] as string[], streamId: [] as string[] };
  for (const { streamId, events, expected } of batch) {
    const first = firstRevision(expected);
    events.forEach(({ eventId }, index) => {
      if (first === undefined) {
        anywhere.eventId.push(eventId);
        anywhere.streamId.push(streamId);
      } else {
        at.eventId.push(eventId);
        at.streamId.push(streamId);
        at.revision.push(first + index);
      }
    });
  }
  return { at, anywhere };
};

export const openPgEventStore = (options: PgEventStoreOptions): Promise<PgEventStore> => PgEventStore.open(options);
