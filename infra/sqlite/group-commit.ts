import type Database from 'better-sqlite3';

type Outcome<R> = { readonly ok: true; readonly result: R } | { readonly ok: false; readonly error: Error };

interface Pending<T, R> {
  readonly item: T;
  readonly resolve: (result: R) => void;
  readonly reject: (error: Error) => void;
}

const toError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));

/**
 * Group commit on one SQLite connection: what callers submit during one turn of the event loop is written on the
 * next turn (setImmediate, not a microtask, so that continuations of the previous batch join in) in one IMMEDIATE
 * transaction — the write lock up front, so a busy file waits (busy_timeout) instead of failing mid-way — each item in
 * its own savepoint, so one that fails rolls back alone. Every caller hears back only after the commit: whoever moves
 * a checkpoint once its write resolved never claims a write that is not durable.
 */
export class GroupCommit<T, R> {
  private queue: Pending<T, R>[] = [];
  private scheduled = false;
  private readonly writeAll: Database.Transaction<(batch: readonly Pending<T, R>[]) => Outcome<R>[]>;

  constructor(
    db: Database.Database,
    writeOne: (item: T) => R,
    /** after each commit (or failed transaction), with how many items it held */
    private readonly afterCommit: (items: number) => void = () => undefined,
  ) {
    // nested better-sqlite3 transactions run as SAVEPOINTs
    const savepoint = db.transaction(writeOne);
    this.writeAll = db.transaction((batch: readonly Pending<T, R>[]) =>
      batch.map(({ item }): Outcome<R> => {
        try {
          return { ok: true, result: savepoint(item) };
        } catch (error) {
          // without an open transaction the failure took everything down: fail the whole batch
          if (!db.inTransaction) throw error;
          return { ok: false, error: toError(error) };
        }
      }),
    );
  }

  /** Written with the others of this turn; resolves after the commit. */
  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      if (this.scheduled) return;
      this.scheduled = true;
      setImmediate(this.flush);
    });
  }

  /** Written alone, now (no group commit). */
  submitNow(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.commit([{ item, resolve, reject }]);
    });
  }

  /** Writes what is queued now: before a read that must see it, a schema change, or closing. */
  readonly flush = (): void => {
    this.scheduled = false;
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    this.commit(batch);
  };

  private commit(batch: readonly Pending<T, R>[]): void {
    let outcomes: Outcome<R>[];
    try {
      outcomes = this.writeAll.immediate(batch);
    } catch (error) {
      const failure = toError(error);
      for (const pending of batch) pending.reject(failure);
      this.afterCommit(batch.length);
      return;
    }
    batch.forEach((pending, index) => {
      const outcome = outcomes[index];
      if (outcome === undefined) pending.reject(new Error('write outcome missing'));
      else if (outcome.ok) pending.resolve(outcome.result);
      else pending.reject(outcome.error);
    });
    this.afterCommit(batch.length);
  }
}
