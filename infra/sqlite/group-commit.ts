import type Database from 'better-sqlite3';

type Outcome<R> = { readonly ok: true; readonly result: R } | { readonly ok: false; readonly error: Error };

/** A write in the queue: a caller waits for it (`submit`), or nobody does (`enqueue`). */
type Pending<T, R> =
  | { readonly item: T; readonly resolve: (result: R) => void; readonly reject: (error: Error) => void }
  | { readonly item: T; readonly resolve?: undefined; readonly reject?: undefined };

const toError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));

/**
 * Group commit on one SQLite connection, the one way this codebase batches writes (event store appends, read-store
 * puts, checkpoints, saga bookkeeping): what callers submit during one turn of the event loop is written on the
 * next turn (setImmediate, not a microtask, so that continuations of the previous batch join in) in one IMMEDIATE
 * transaction — the write lock up front, so a file another process is writing is waited for (without blocking the
 * loop, see `scheduledFlush`) instead of failing mid-way — and an item that fails rolls back alone: in its own
 * savepoint, or, with `failsBeforeWriting`, by failing before it wrote. Every caller hears back only after the commit: whoever moves
 * a checkpoint once its write resolved never claims a write that is not durable.
 *
 * Writes that may land late (`enqueue`) ride along with the next commit; when a whole transaction fails they stay
 * queued for the next one, while the callers waiting on theirs hear the failure.
 */
const LOCK_TAKEN = Symbol('write lock taken');
type LockTaken = typeof LOCK_TAKEN;

const isBusy = (error: unknown): boolean =>
  error instanceof Error && 'code' in error && (error.code === 'SQLITE_BUSY' || error.code === 'SQLITE_BUSY_SNAPSHOT');

/** An item failed after writing part of itself: the whole transaction is rolled back and run again with savepoints. */
class NeedsSavepoints extends Error {}

type WriteAll<T, R> = Database.Transaction<(batch: readonly Pending<T, R>[], last?: T) => Outcome<R>[]>;

export interface GroupCommitOptions {
  /**
   * Failures a write reports before it wrote anything (a wrong expected revision, say). Transactions run their items
   * without a savepoint each (SAVEPOINT and RELEASE per item cost as much as a small write); such a failure is that
   * item's alone, and any other failure rolls the transaction back and runs it again with a savepoint per item.
   * Default: none, so any failing item costs that rerun.
   */
  readonly failsBeforeWriting?: (error: unknown) => boolean;
}

export class GroupCommit<T, R> {
  private queue: Pending<T, R>[] = [];
  private scheduled = false;
  private readonly writeAll: WriteAll<T, R>;
  private readonly writeAllUnguarded: WriteAll<T, R>;
  /** the connection's busy timeout: how long a write may wait for another connection's lock in all */
  private readonly busyTimeoutMs: number;
  /** since when the scheduled commit keeps finding the write lock taken */
  private busySince: number | undefined;

  constructor(
    private readonly db: Database.Database,
    private readonly writeOne: (item: T) => R,
    /** after each commit (or failed transaction), with the items it held */
    private readonly afterCommit: (items: readonly T[]) => void = () => undefined,
    options: GroupCommitOptions = {},
  ) {
    const failsBeforeWriting = options.failsBeforeWriting ?? (() => false);
    this.busyTimeoutMs = Number(db.pragma('busy_timeout', { simple: true }));
    this.writeAllUnguarded = db.transaction((batch: readonly Pending<T, R>[], last?: T) => {
      const outcomes = batch.map(({ item }): Outcome<R> => {
        try {
          return { ok: true, result: writeOne(item) };
        } catch (error) {
          if (failsBeforeWriting(error)) return { ok: false, error: toError(error) };
          throw new NeedsSavepoints();
        }
      });
      if (last !== undefined) outcomes.push({ ok: true, result: this.writeOne(last) });
      return outcomes;
    });
    // nested better-sqlite3 transactions run as SAVEPOINTs
    const savepoint = db.transaction(writeOne);
    this.writeAll = db.transaction((batch: readonly Pending<T, R>[], last?: T) => {
      const outcomes = batch.map(({ item }): Outcome<R> => {
        try {
          return { ok: true, result: savepoint(item) };
        } catch (error) {
          // without an open transaction the failure took everything down: fail the whole batch
          if (!db.inTransaction) throw error;
          return { ok: false, error: toError(error) };
        }
      });
      // written outside a savepoint: its failure fails the transaction, and its caller hears it
      if (last !== undefined) outcomes.push({ ok: true, result: this.writeOne(last) });
      return outcomes;
    });
  }

  /** Written with the others of this turn; resolves after the commit. */
  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** Written with the next commit; nobody waits for it, and a failure of its own is dropped. */
  enqueue(item: T): void {
    this.queue.push({ item });
    this.schedule();
  }

  /** Written alone, now (no group commit). */
  submitNow(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.commit([{ item, resolve, reject }]);
    });
  }

  /** Written now, in one transaction with what is queued; throws when it could not be committed. */
  writeNow(item: T): R {
    const batch = this.take();
    const outcomes = this.commit(batch, item);
    if (outcomes instanceof Error) throw outcomes;
    if (outcomes === LOCK_TAKEN) throw new Error('write lock taken');
    const own = outcomes[batch.length];
    if (own === undefined) throw new Error('write outcome missing');
    if (!own.ok) throw own.error;
    return own.result;
  }

  /** Writes what is queued now: before a read that must see it, a schema change, or closing. */
  readonly flush = (): void => {
    this.scheduled = false;
    this.busySince = undefined;
    const batch = this.take();
    if (batch.length > 0) this.commit(batch);
  };

  /**
   * The commit the queue scheduled. When another connection (another process) holds the write lock it does not wait
   * in SQLite's busy handler, which sleeps the whole event loop in steps of 1, 2, 5, 10… ms, but gives the loop back
   * and tries again a millisecond later, with what arrived meanwhile; after the connection's busy timeout it waits
   * as a plain write would.
   */
  private readonly scheduledFlush = (): void => {
    this.scheduled = false;
    const batch = this.take();
    if (batch.length === 0) return;
    const now = performance.now();
    const waitMore = this.busySince === undefined || now - this.busySince < this.busyTimeoutMs;
    if (this.commit(batch, undefined, waitMore) !== LOCK_TAKEN) {
      this.busySince = undefined;
      return;
    }
    this.busySince ??= now;
    this.queue = [...batch, ...this.queue];
    this.scheduled = true;
    setTimeout(this.scheduledFlush, 1);
  };

  /** Fails every caller still waiting (the connection is closing without them); late writes are dropped. */
  abandon(error: Error): void {
    for (const pending of this.take()) pending.reject?.(error);
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.scheduledFlush);
  }

  private take(): Pending<T, R>[] {
    const batch = this.queue;
    this.queue = [];
    return batch;
  }

  /** Without savepoints; when an item failed half-way, everything again with them (the first attempt rolled back). */
  private unguarded(batch: readonly Pending<T, R>[], last?: T): Outcome<R>[] {
    try {
      return this.writeAllUnguarded.immediate(batch, last);
    } catch (error) {
      if (!(error instanceof NeedsSavepoints)) throw error;
      return this.writeAll.immediate(batch, last);
    }
  }

  /**
   * Commits a batch (and `last`, if given); answers the outcomes, or the error that failed the transaction. With
   * `unlessLocked`, a write lock held elsewhere answers LOCK_TAKEN at once, and the batch is left as it was.
   */
  private commit(batch: readonly Pending<T, R>[], last?: T, unlessLocked = false): Outcome<R>[] | Error | LockTaken {
    let outcomes: Outcome<R>[];
    try {
      // not a prepared statement: SQLite applies this pragma when it is prepared
      if (unlessLocked) this.db.pragma('busy_timeout = 0');
      try {
        outcomes = this.unguarded(batch, last);
      } finally {
        if (unlessLocked) this.db.pragma(`busy_timeout = ${this.busyTimeoutMs}`);
      }
    } catch (error) {
      // in WAL mode only BEGIN IMMEDIATE waits for a lock: nothing of the batch ran
      if (unlessLocked && isBusy(error)) return LOCK_TAKEN;
      const failure = toError(error);
      for (const pending of batch) pending.reject?.(failure);
      // late writes wait for the next commit (the next write or flush), ahead of what arrived meanwhile
      const late = batch.filter((pending) => pending.resolve === undefined);
      if (this.db.open) this.queue = [...late, ...this.queue];
      this.afterCommit(batch.map((pending) => pending.item));
      return failure;
    }
    batch.forEach((pending, index) => {
      const outcome = outcomes[index];
      if (outcome === undefined) pending.reject?.(new Error('write outcome missing'));
      else if (outcome.ok) pending.resolve?.(outcome.result);
      else pending.reject?.(outcome.error);
    });
    this.afterCommit(batch.map((pending) => pending.item));
    return outcomes;
  }
}
