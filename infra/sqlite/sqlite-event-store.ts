import {
  EventStoreClosedError,
  PartialDuplicateAppendError,
  repeatedAppend,
  serialize,
  validateAppend,
  type EventLocation,
  type SerializedEvent,
} from '../event-append';
import Database from 'better-sqlite3';
import { EVENT_COLUMNS, parseEventRows, storedEventRows, type EventRow } from './event-rows';
import { openWalDatabase, tuneForHotPages } from './database';
import { GroupCommit } from './group-commit';
import { CatchUpSubscription, SubscriptionEndedError, type Positioned } from '../subscriptions/catch-up';
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
  type SubscribeOptions,
  type Subscription,
} from '../../ports/event-store';

/**
 * Embedded event store on one SQLite file (better-sqlite3, WAL).
 *
 * Why readers never see a gap that fills later: positions come from `INTEGER PRIMARY KEY AUTOINCREMENT`, assigned
 * inside write transactions, and SQLite admits one writer at a time per file (across connections and processes:
 * `BEGIN IMMEDIATE` takes the file's write lock). So transactions commit in the order they allocated positions,
 * every committed position is above all earlier committed ones, and a WAL reader's snapshot is always a prefix of
 * the log. Rolled-back positions are either reused by the next writer or never appear: both are invisible.
 */

export type SqliteSynchronous = 'NORMAL' | 'FULL';

export interface SqliteEventStoreOptions {
  /** database file, or ':memory:' (tests); the caller's default is `./data/events.db` */
  readonly path: string;
  /** false: commits never checkpoint; a `WalCheckpointer` thread does (default true) */
  readonly autoCheckpoint?: boolean;
  /** NORMAL (default) survives process crashes; FULL also survives power loss, at an fsync per commit */
  readonly synchronous?: SqliteSynchronous;
  /** how long a writer waits for another connection's write lock before failing; default 5000 ms */
  readonly busyTimeoutMs?: number;
  /** how often live subscriptions look for commits made by other connections or processes; default 50 ms */
  readonly pollIntervalMs?: number;
  /**
   * Appends issued before the event loop's next turn are written in one transaction, each in its own savepoint
   * (default true). It pays off when commits cost I/O: see bench/event-store-append.ts. `false` writes every append
   * in its own transaction at once.
   */
  readonly groupCommit?: boolean;
  /**
   * Events of the log's tail kept in memory for live subscriptions (default 5,000; 0: none). Every in-process
   * subscriber (projections, saga runner, relay) follows the same tail: with the window, a page is read and parsed
   * once and the same RecordedEvent objects go to every subscriber, instead of once per subscriber.
   */
  readonly sharedReadWindow?: number;
}

const DEFAULT_SHARED_READ_WINDOW = 5_000;

export { EventStoreClosedError, PartialDuplicateAppendError };
export { SubscriptionEndedError };

export interface GroupCommitStats {
  /** write transactions committed or attempted */
  readonly transactions: number;
  /** appends handled in them */
  readonly appends: number;
}

/** 2: event ids are unique within their stream, not across the log (ADR 0024); 1 kept a unique index on them */
const SCHEMA_VERSION = 2;

const eventsTable = (name: string): string => `
    CREATE TABLE IF NOT EXISTS ${name} (
      position  INTEGER PRIMARY KEY AUTOINCREMENT,
      stream_id TEXT    NOT NULL,
      revision  INTEGER NOT NULL,
      event_id  TEXT    NOT NULL,
      type      TEXT    NOT NULL,
      data      TEXT    NOT NULL,
      metadata  TEXT    NOT NULL,
      UNIQUE (stream_id, revision)
    );`;

/**
 * Version 1 to 2: the events table again without the unique index on event ids (SQLite cannot drop the index of a
 * column constraint), every row copied with its position; the sequence goes with the table's name.
 */
const dropEventIdIndex = (db: Database.Database): void => {
  db.exec(`
    ${eventsTable('events_v2')}
    INSERT INTO events_v2 (position, stream_id, revision, event_id, type, data, metadata)
      SELECT position, stream_id, revision, event_id, type, data, metadata FROM events ORDER BY position;
    UPDATE sqlite_sequence SET seq = max(seq, coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0))
      WHERE name = 'events_v2';
    DROP TABLE events;
    ALTER TABLE events_v2 RENAME TO events;
  `);
};

const createSchema = (db: Database.Database): void => {
  db.exec(`
    ${eventsTable('events')}
    CREATE TABLE IF NOT EXISTS commands (
      command_id TEXT    PRIMARY KEY,
      stream_id  TEXT    NOT NULL,
      revision   INTEGER NOT NULL,
      position   INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS checkpoints (
      name     TEXT    PRIMARY KEY,
      position INTEGER NOT NULL
    ) WITHOUT ROWID;
  `);
};

/** Creates or checks the schema; safe when several processes open the same file at once. */
const migrate = (db: Database.Database): void => {
  const run = db.transaction(() => {
    const version = Number(db.pragma('user_version', { simple: true }));
    if (version > SCHEMA_VERSION) {
      throw new Error(`event store schema version ${version} is newer than this code (${SCHEMA_VERSION})`);
    }
    if (version < SCHEMA_VERSION) {
      if (version === 1) dropEventIdIndex(db);
      createSchema(db);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
    }
  });
  run.immediate();
};

/**
 * Checkpoints kept in the event store's database, so a consumer can save them next to what it wrote. Saves ride the
 * event store's group commit: those of one turn of the event loop (every in-process consumer saves after each batch)
 * share the transaction of that turn's appends; each `save` resolves once its position is committed.
 */
export class SqliteCheckpointStore implements CheckpointStore {
  private readonly loadStmt: Database.Statement<[string], number>;

  constructor(
    private readonly db: Database.Database,
    private readonly writer: GroupCommit<PendingWrite, AppendResult | null>,
  ) {
    this.loadStmt = db.prepare<[string], number>('SELECT position FROM checkpoints WHERE name = ?').pluck();
  }

  load(name: string): Promise<number> {
    try {
      if (!this.db.open) throw new EventStoreClosedError();
      this.writer.flush();
      return Promise.resolve(this.loadStmt.get(name) ?? 0);
    } catch (error) {
      return Promise.reject(toError(error));
    }
  }

  save(name: string, position: number): Promise<void> {
    if (!Number.isSafeInteger(position) || position < 0) {
      return Promise.reject(new RangeError(`invalid position ${position}`));
    }
    if (!this.db.open) return Promise.reject(new EventStoreClosedError());
    return this.writer.submit({ checkpoint: name, position }).then(() => undefined);
  }
}

/** A checkpoint save, written with the appends of its turn. */
interface PendingCheckpoint {
  readonly checkpoint: string;
  readonly position: number;
}

type PendingWrite = PendingAppend | PendingCheckpoint;

const isCheckpoint = (write: PendingWrite): write is PendingCheckpoint => 'checkpoint' in write;

interface PendingAppend {
  readonly streamId: string;
  readonly events: readonly SerializedEvent[];
  readonly expected: ExpectedRevision;
  readonly commandId: string | undefined;
  /** look for an earlier identical append before writing (after the quick path met an id already stored) */
  readonly checkRepeats?: boolean;
}

/**
 * The quick path of an append met an event id or command id that is stored already: its savepoint is rolled back and
 * the append runs again on the careful path, which tells a repeat (answered with the first result) from a conflict.
 */
class RepeatSuspected extends Error {}

const failsBeforeWriting = (error: unknown): boolean =>
  error instanceof WrongExpectedRevisionError || error instanceof PartialDuplicateAppendError;

const isUniqueViolation = (error: unknown): boolean =>
  error instanceof Error &&
  'code' in error &&
  (error.code === 'SQLITE_CONSTRAINT_UNIQUE' || error.code === 'SQLITE_CONSTRAINT_PRIMARYKEY');

interface StreamHead {
  readonly revision: number;
  readonly position: number;
}

interface CommandRow {
  readonly streamId: string;
  readonly revision: number;
  readonly position: number;
}

export class SqliteEventStore implements EventStore {
  private readonly db: Database.Database;
  private readonly pollIntervalMs: number;
  private readonly groupCommit: boolean;

  private readonly streamHeadStmt: Database.Statement<[string], StreamHead>;
  private readonly storedRunStmt: Database.Statement<[string, number, number], EventLocation & { eventId: string }>;
  private readonly storedIdsStmt: Database.Statement<[string, string], EventLocation & { eventId: string }>;
  private readonly insertEventStmt: Database.Statement<[string, number, string, string, string, string]>;
  private readonly commandStmt: Database.Statement<[string], CommandRow>;
  private readonly insertCommandStmt: Database.Statement<[string, string, number, number]>;
  private readonly readStreamStmt: Database.Statement<[string, number], EventRow>;
  private readonly readAllStmt: Database.Statement<[number, number], EventRow>;
  private readonly headStmt: Database.Statement<[], number>;
  private readonly dataVersionStmt: Database.Statement<[], number>;

  private readonly writer: GroupCommit<PendingWrite, AppendResult | null>;

  private closed = false;
  private transactions = 0;
  private appends = 0;

  private readonly subscriptions = new Set<Subscription>();
  private wakeups: (() => void)[] = [];
  private pollTimer: NodeJS.Timeout | undefined;
  private lastDataVersion = 0;
  private checkpointStoreInstance: SqliteCheckpointStore | undefined;
  private readonly window: LogWindow;

  constructor(options: SqliteEventStoreOptions) {
    this.window = new LogWindow(options.sharedReadWindow ?? DEFAULT_SHARED_READ_WINDOW);
    this.pollIntervalMs = options.pollIntervalMs ?? 50;
    this.groupCommit = options.groupCommit ?? true;
    this.db = openWalDatabase(options.path, options, (db) => {
      // every append dirties pages spread over the unique indexes (stream ids and command ids are random)
      tuneForHotPages(db);
      migrate(db);
    });

    const db = this.db;
    this.streamHeadStmt = db.prepare<[string], StreamHead>(
      'SELECT revision, position FROM events WHERE stream_id = ? ORDER BY revision DESC LIMIT 1',
    );
    const located =
      'SELECT event_id AS eventId, stream_id AS streamId, revision, position FROM events WHERE stream_id = ?';
    this.storedRunStmt = db.prepare(`${located} AND revision >= ? ORDER BY revision LIMIT ?`);
    // 'any' names no revision: the stream's rows are searched for the ids
    this.storedIdsStmt = db.prepare(`${located} AND event_id IN (SELECT value FROM json_each(?))`);
    this.insertEventStmt = db.prepare(
      'INSERT INTO events (stream_id, revision, event_id, type, data, metadata) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.commandStmt = db.prepare<[string], CommandRow>(
      'SELECT stream_id AS streamId, revision, position FROM commands WHERE command_id = ?',
    );
    this.insertCommandStmt = db.prepare(
      'INSERT INTO commands (command_id, stream_id, revision, position) VALUES (?, ?, ?, ?)',
    );
    this.readStreamStmt = db
      .prepare<[string, number], EventRow>(
        `SELECT ${EVENT_COLUMNS} FROM events WHERE stream_id = ? AND revision >= ? ORDER BY revision`,
      )
      .raw();
    this.readAllStmt = db
      .prepare<[number, number], EventRow>(
        `SELECT ${EVENT_COLUMNS} FROM events WHERE position > ? ORDER BY position LIMIT ?`,
      )
      .raw();
    this.headStmt = db.prepare<[], number>('SELECT coalesce(max(position), 0) FROM events').pluck();
    this.dataVersionStmt = db.prepare<[], number>('PRAGMA data_version').pluck();

    const saveCheckpointStmt = db.prepare<[string, number]>(
      'INSERT INTO checkpoints (name, position) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET position = excluded.position',
    );
    this.writer = new GroupCommit<PendingWrite, AppendResult | null>(
      db,
      (write) => {
        if (!isCheckpoint(write)) return this.write(write);
        saveCheckpointStmt.run(write.checkpoint, write.position);
        return null;
      },
      (writes) => {
        this.transactions += 1;
        this.appends += writes.filter((write) => !isCheckpoint(write)).length;
        this.wakeSubscriptions();
      },
      // these are thrown before the append wrote anything; a suspected repeat is thrown after its inserts
      { failsBeforeWriting: failsBeforeWriting },
    );
  }

  get groupCommitStats(): GroupCommitStats {
    return { transactions: this.transactions, appends: this.appends };
  }

  /** A checkpoint store on this store's connection. */
  checkpointStore(): CheckpointStore {
    this.checkpointStoreInstance ??= new SqliteCheckpointStore(this.db, this.writer);
    return this.checkpointStoreInstance;
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
      // Serialised before queueing: a value JSON cannot hold fails this append only, outside the write lock.
      serialized = events.map(serialize);
    } catch (error) {
      return Promise.reject(toError(error));
    }
    const pending: PendingAppend = { streamId, events: serialized, expected, commandId: options?.commandId };
    const submit = async (item: PendingAppend): Promise<AppendResult> => {
      const result = await (this.groupCommit ? this.writer.submit(item) : this.writer.submitNow(item));
      if (result === null) throw new Error('an append answered no result');
      return result;
    };
    return submit(pending).catch((error: unknown) => {
      if (!(error instanceof RepeatSuspected)) throw error;
      return submit({ ...pending, checkRepeats: true });
    });
  }

  readStream(streamId: string, options?: ReadStreamOptions): Promise<readonly RecordedEvent[]> {
    try {
      this.assertOpen();
      return Promise.resolve(parseEventRows(this.readStreamStmt.all(streamId, options?.fromRevision ?? 0)));
    } catch (error) {
      return Promise.reject(toError(error));
    }
  }

  readAll(options: ReadAllOptions): Promise<readonly RecordedEvent[]> {
    try {
      this.assertOpen();
      // a one-off read (a gap, a fold, flow control's look at the oldest unhandled event) leaves the shared window
      // where the subscriptions keep it
      return Promise.resolve(this.readAfter(options.after, options.maxCount, false));
    } catch (error) {
      return Promise.reject(toError(error));
    }
  }

  subscribeToAll(options: SubscribeOptions, handler: BatchHandler): Subscription {
    return this.subscribe(options, handler, (after, max) => this.readAfter(after, max));
  }

  /** Read from the file, past the shared window: the relay, its only user, is the one reader in its process. */
  subscribeToAllStored(options: SubscribeOptions, handler: StoredBatchHandler): Subscription {
    return this.subscribe(options, handler, (after, max) => storedEventRows(this.pageAfter(after, max)));
  }

  headPosition(): Promise<number> {
    try {
      this.assertOpen();
      return Promise.resolve(this.headStmt.get() ?? 0);
    } catch (error) {
      return Promise.reject(toError(error));
    }
  }

  findCommand(commandId: string): Promise<(AppendResult & { readonly streamId: string }) | undefined> {
    try {
      this.assertOpen();
      return Promise.resolve(this.commandStmt.get(commandId));
    } catch (error) {
      return Promise.reject(toError(error));
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    // Appends already accepted are written, not dropped.
    this.writer.flush();
    this.closed = true;
    await Promise.all([...this.subscriptions].map((subscription) => subscription.stop()));
    this.stopPolling();
    try {
      // checkpoint saves of consumers that stopped just now
      this.writer.flush();
    } finally {
      this.db.close();
    }
  }

  /** Pages through history, then sleeps until an append (here or, by polling, in another process) wakes it. */
  private subscribe<E extends Positioned>(
    options: SubscribeOptions,
    handler: (batch: readonly E[]) => Promise<void> | void,
    next: (after: number, max: number) => readonly E[],
  ): Subscription {
    const source = {
      head: () => this.currentHead(),
      next,
      wait: () => this.waitForAppend(),
      emptyMeansHead: true,
    };
    const subscription = new CatchUpSubscription(source, options.after, options.batchSize ?? 500, handler);
    if (this.closed) {
      subscription.fail(new EventStoreClosedError());
      return subscription;
    }
    this.subscriptions.add(subscription);
    this.startPolling();
    const forget = (): void => {
      this.forget(subscription);
    };
    void subscription.done.then(forget, forget);
    subscription.start();
    return subscription;
  }

  /**
   * @internal the next events after a position, for subscriptions: from the shared window of the log's tail when it
   * covers `after`, else from the file (and, unless `follow` is false, the window follows the reader that moved past
   * it).
   */
  readAfter(after: number, maxCount: number, follow = true): readonly RecordedEvent[] {
    if (!Number.isSafeInteger(maxCount) || maxCount < 1) throw new RangeError(`invalid maxCount ${maxCount}`);
    const window = this.window;
    if (!window.covers(after)) {
      const page = parseEventRows(this.pageAfter(after, maxCount));
      if (!follow) return page;
      // not known to reach the end of the log: the next reader past it looks at the file
      window.stale();
      window.restartAfter(after, page);
      return page;
    }
    const cached = window.after(after, maxCount);
    // nothing committed since the window last looked past its end (a commit here or elsewhere marks it stale)
    if (cached.length === maxCount || window.current) return cached;
    const wanted = maxCount - cached.length;
    const fresh = parseEventRows(this.readAllStmt.all(window.end, wanted));
    window.extend(fresh);
    // a short page reached the end of the log: until the next commit, the file has nothing past the window
    if (fresh.length < wanted) window.checked();
    return cached.length === 0 ? fresh : [...cached, ...fresh];
  }

  /** the rows after a position, from the file */
  private pageAfter(after: number, maxCount: number): EventRow[] {
    return this.readAllStmt.all(after, maxCount);
  }

  /** @internal */
  currentHead(): number {
    return this.headStmt.get() ?? 0;
  }

  /** @internal resolves at the next append through this instance, commit seen from elsewhere, or `cancel` */
  waitForAppend(): { readonly promise: Promise<void>; readonly cancel: () => void } {
    let wake = (): void => undefined;
    const promise = new Promise<void>((resolve) => {
      wake = resolve;
      this.wakeups.push(resolve);
    });
    return { promise, cancel: wake };
  }

  private assertOpen(): void {
    if (this.closed) throw new EventStoreClosedError();
  }

  /**
   * Runs inside the batch transaction, in its own savepoint. The quick path (the expected revision fits) writes at
   * once and leaves finding repeats to the unique indexes on event and command ids; only an append that does not fit,
   * or that met a stored id, looks for an earlier identical append first.
   */
  private write(append: PendingAppend): AppendResult {
    const { streamId, events, expected, commandId } = append;
    const head = this.streamHeadStmt.get(streamId);
    const fits =
      expected === 'any' ||
      (expected === 'no_stream' ? head === undefined : head !== undefined && head.revision === expected);
    // an append that fits a revision cannot repeat one that moved the stream past it (ADR 0024); 'any' always can
    if (append.checkRepeats === true || !fits || expected === 'any') {
      const earlier = this.findEarlier(append);
      if (earlier !== undefined) return earlier;
      if (!fits) throw new WrongExpectedRevisionError(streamId, expected, head?.revision ?? 'no_stream');
    }

    let revision = head?.revision ?? -1;
    let position = head?.position ?? 0;
    try {
      for (const event of events) {
        revision += 1;
        const info = this.insertEventStmt.run(
          streamId,
          revision,
          event.eventId,
          event.type,
          event.data,
          event.metadata,
        );
        position = Number(info.lastInsertRowid);
      }
      if (commandId !== undefined) this.insertCommandStmt.run(commandId, streamId, revision, position);
    } catch (error) {
      // the write lock is held since the head was read, so only an id stored before can collide
      if (append.checkRepeats !== true && isUniqueViolation(error)) throw new RepeatSuspected(streamId);
      throw error;
    }
    return { revision, position };
  }

  /** The result of an earlier append of the same command, or of the same events: a repeat answers it again. */
  private findEarlier({ streamId, events, expected, commandId }: PendingAppend): AppendResult | undefined {
    if (commandId !== undefined) {
      const recorded = this.commandStmt.get(commandId);
      if (recorded !== undefined) {
        return { revision: recorded.revision, position: recorded.position, repeated: { streamId: recorded.streamId } };
      }
    }
    const repeated = this.findRepeatedAppend(streamId, events, expected);
    if (repeated === undefined) return undefined;
    if (commandId !== undefined) this.insertCommandStmt.run(commandId, streamId, repeated.revision, repeated.position);
    return { ...repeated, repeated: { streamId } };
  }

  /**
   * An earlier append of the same events, where a repeat of it can be (ADR 0024): at the revisions after the expected
   * one, each id at its own (a retry expects what the original expected), or, for 'any', anywhere in the stream.
   */
  private findRepeatedAppend(
    streamId: string,
    events: readonly SerializedEvent[],
    expected: ExpectedRevision,
  ): AppendResult | undefined {
    let locate: (eventId: string, index: number) => EventLocation | undefined;
    if (expected === 'any') {
      const stored = this.storedIdsStmt.all(streamId, JSON.stringify(events.map((event) => event.eventId)));
      const locations = new Map(stored.map((row) => [row.eventId, row]));
      locate = (eventId) => locations.get(eventId);
    } else {
      const run = this.storedRunStmt.all(streamId, expected === 'no_stream' ? 0 : expected + 1, events.length);
      locate = (eventId, index) => (run[index]?.eventId === eventId ? run[index] : undefined);
    }
    const found = repeatedAppend(streamId, events, locate);
    return found === undefined ? undefined : { revision: found.revision, position: found.position };
  }

  private wakeSubscriptions(): void {
    // the log may have grown: the shared window must look at the file again
    this.window.stale();
    if (this.wakeups.length === 0) return;
    const wakeups = this.wakeups;
    this.wakeups = [];
    for (const wake of wakeups) wake();
  }

  private startPolling(): void {
    if (this.pollTimer !== undefined) return;
    this.lastDataVersion = this.dataVersionStmt.get() ?? 0;
    // data_version changes only when another connection commits: a cheap check that reads no table.
    this.pollTimer = setInterval(() => {
      if (this.closed) return;
      const version = this.dataVersionStmt.get() ?? 0;
      if (version === this.lastDataVersion) return;
      this.lastDataVersion = version;
      this.wakeSubscriptions();
    }, this.pollIntervalMs);
    this.pollTimer.unref();
  }

  private stopPolling(): void {
    if (this.pollTimer === undefined) return;
    clearInterval(this.pollTimer);
    this.pollTimer = undefined;
  }

  private forget(subscription: Subscription): void {
    this.subscriptions.delete(subscription);
    if (this.subscriptions.size === 0) this.stopPolling();
  }
}

/**
 * A gap-free run of the log, (start, end], exactly as the file holds it: every page put in was read with
 * `position > x ORDER BY position LIMIT n` on a WAL snapshot, which is a prefix of the log, so no event in the run's
 * range can commit later. Readers inside the run are answered from memory; whoever reads past its end extends it.
 */
class LogWindow {
  private events: RecordedEvent[] = [];
  private startAfter = 0;
  private endAt = -1;
  private upToDate = false;

  constructor(private readonly capacity: number) {}

  /** the last position the window is known complete through (meaningful when it covers a reader) */
  get end(): number {
    return this.endAt;
  }

  /** true while no commit can have happened since the file was last read past the window's end */
  get current(): boolean {
    return this.upToDate;
  }

  /** the file was just read to its end past the window: only a commit makes the window stale again */
  checked(): void {
    this.upToDate = true;
  }

  /** a commit here, or one seen from another connection */
  stale(): void {
    this.upToDate = false;
  }

  covers(after: number): boolean {
    return this.capacity > 0 && after >= this.startAfter && after <= this.endAt;
  }

  /** up to `maxCount` events after `after` (which the window covers) */
  after(after: number, maxCount: number): RecordedEvent[] {
    const events = this.events;
    let lo = 0;
    let hi = events.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((events[mid]?.position ?? 0) <= after) lo = mid + 1;
      else hi = mid;
    }
    return events.slice(lo, lo + maxCount);
  }

  /** a page read after `end` */
  extend(page: readonly RecordedEvent[]): void {
    const last = page[page.length - 1];
    if (last === undefined) return;
    for (const event of page) this.events.push(event);
    this.endAt = last.position;
    this.trim();
  }

  /** a page read after a position the window did not cover: joined to the window when they touch, else restarts it */
  restartAfter(after: number, page: readonly RecordedEvent[]): void {
    if (this.capacity === 0) return;
    const last = page[page.length - 1]?.position ?? after;
    if (after > this.endAt) {
      // a reader ahead of the window (or the first one): the window starts over where it reads
      this.events = [...page];
      this.startAfter = after;
      this.endAt = last;
    } else if (last >= this.startAfter) {
      // a reader catching up into the window: (after, last] and (start, end] make one run
      const rest = last >= this.endAt ? [] : this.after(last, this.events.length);
      this.events = [...page, ...rest];
      this.startAfter = after;
      this.endAt = Math.max(this.endAt, last);
    } else return; // history well behind the window: read by one subscriber catching up, not worth keeping
    this.trim();
  }

  private trim(): void {
    // in chunks, so the copy is paid once per `capacity / 2` events
    if (this.events.length <= this.capacity) return;
    const drop = this.events.length - Math.floor(this.capacity / 2);
    this.startAfter = this.events[drop - 1]?.position ?? this.startAfter;
    this.events = this.events.slice(drop);
  }
}

export const openSqliteEventStore = (options: SqliteEventStoreOptions): SqliteEventStore =>
  new SqliteEventStore(options);

const toError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));
