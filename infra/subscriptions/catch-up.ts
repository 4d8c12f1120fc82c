import type { RecordedEvent, Subscription } from '../../ports/event-store';

/** Settles `caughtUp` of a subscription that ended before it delivered the history. */
export class SubscriptionEndedError extends Error {
  constructor() {
    super('the subscription ended before it caught up');
    this.name = 'SubscriptionEndedError';
  }
}

const toError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));

/**
 * The lifecycle every subscription and consumer shares: `caughtUp` settles once (resolves, or rejects when the
 * subscription ends or fails first); `done` resolves when it stopped and rejects when it failed. Callers may await
 * only one of the two, so an unobserved rejection must not crash the process.
 */
export class Lifecycle {
  readonly caughtUp: Promise<void>;
  readonly done: Promise<void>;
  private resolveCaughtUp: () => void = () => undefined;
  private rejectCaughtUp: (error: Error) => void = () => undefined;
  private resolveDone: () => void = () => undefined;
  private rejectDone: (error: Error) => void = () => undefined;
  private caughtUpSettled = false;
  private doneSettled = false;

  constructor() {
    this.caughtUp = new Promise<void>((resolve, reject) => {
      this.resolveCaughtUp = resolve;
      this.rejectCaughtUp = reject;
    });
    this.done = new Promise<void>((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
    this.caughtUp.catch(() => undefined);
    this.done.catch(() => undefined);
  }

  /** true once `done` settled */
  get over(): boolean {
    return this.doneSettled;
  }

  markCaughtUp(): void {
    if (this.caughtUpSettled) return;
    this.caughtUpSettled = true;
    this.resolveCaughtUp();
  }

  /** stopped normally; `caughtUp` rejects with `early` if it had not settled */
  end(early: Error): void {
    this.settleCaughtUp(early);
    if (this.doneSettled) return;
    this.doneSettled = true;
    this.resolveDone();
  }

  /** failed: both reject (false when it had already ended) */
  fail(error: Error): boolean {
    if (this.doneSettled) return false;
    this.doneSettled = true;
    this.settleCaughtUp(error);
    this.rejectDone(error);
    return true;
  }

  private settleCaughtUp(error: Error): void {
    if (this.caughtUpSettled) return;
    this.caughtUpSettled = true;
    this.rejectCaughtUp(error);
  }
}

/** What a store gives a catch-up subscription: a head, batches after a position, and a way to wait for more. */
/** What a subscription delivers: recorded events, or events as stored (anything with a log position). */
export interface Positioned {
  readonly position: number;
}

export interface PullSource<E extends Positioned = RecordedEvent> {
  /** the log's head when the subscription starts: it is caught up once it delivered up to there */
  head(): number | Promise<number>;
  /** starts reading after `position` (e.g. opens a server stream); optional */
  open?(position: number): void | Promise<void>;
  /** up to `max` events after `position`, in log order; empty when none is there now; undefined once it ended */
  next(position: number, max: number): readonly E[] | undefined;
  /** resolves when `next` may have more; `cancel` resolves it at once */
  wait(): { readonly promise: Promise<void>; readonly cancel: () => void };
  /** true when an empty `next` means the head was reached (a store read), false when it only means "not yet" */
  readonly emptyMeansHead: boolean;
  close?(): Promise<void>;
}

/**
 * The one catch-up subscription of the codebase: history after the checkpoint in batches, then live events as the
 * source signals them, each batch handled before the next is read (back-pressure), a turn of the event loop between
 * batches so a long replay does not starve appends and `stop()`.
 */
export class CatchUpSubscription<E extends Positioned = RecordedEvent> implements Subscription {
  private readonly lifecycle = new Lifecycle();
  readonly caughtUp = this.lifecycle.caughtUp;
  readonly done = this.lifecycle.done;
  private stopped = false;
  private cancelWait: (() => void) | undefined;

  constructor(
    private readonly source: PullSource<E>,
    private position: number,
    private readonly batchSize: number,
    private readonly handler: (batch: readonly E[]) => Promise<void> | void,
  ) {}

  start(): void {
    this.run().then(
      () => {
        this.lifecycle.end(new SubscriptionEndedError());
      },
      (error: unknown) => {
        this.fail(toError(error));
      },
    );
  }

  fail(error: Error): void {
    this.stopped = true;
    this.cancelWait?.();
    this.lifecycle.fail(error);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.cancelWait?.();
    await this.done.catch(() => undefined);
  }

  // A method, not the field: the checker would otherwise keep `stopped` narrowed across awaits.
  private running(): boolean {
    return !this.stopped;
  }

  private async run(): Promise<void> {
    if (!Number.isSafeInteger(this.batchSize) || this.batchSize < 1) {
      throw new RangeError(`invalid batchSize ${this.batchSize}`);
    }
    const target = await this.source.head();
    if (target <= this.position) this.lifecycle.markCaughtUp();
    if (!this.running()) return;
    await this.source.open?.(this.position);
    try {
      while (this.running()) {
        const batch = this.source.next(this.position, this.batchSize);
        if (batch === undefined) return;
        const last = batch[batch.length - 1];
        if (last === undefined) {
          if (this.source.emptyMeansHead) this.lifecycle.markCaughtUp();
          const wait = this.source.wait();
          this.cancelWait = wait.cancel;
          await wait.promise;
          this.cancelWait = undefined;
          continue;
        }
        await this.handler(batch);
        this.position = last.position;
        if (this.position >= target) this.lifecycle.markCaughtUp();
        await nextTurn();
      }
    } finally {
      await this.source.close?.();
    }
  }
}

const nextTurn = (): Promise<void> =>
  new Promise((resolve) => {
    setImmediate(resolve);
  });
