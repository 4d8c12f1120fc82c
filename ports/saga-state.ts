import type { Deadline, SagaName } from '../domain/sagas';

/**
 * What the saga runner keeps besides the saga streams: a SQLite file of its own (embedded, one runner) or tables in
 * PostgreSQL that every saga runner of a group shares (distributed).
 * - Timers: the durable deadline table, keyed by (saga id, deadline id). It mirrors `saga.deadlines(state)` after the
 *   saga's last append, so it can be rebuilt from the streams at any time. Each write names the saga revision it was
 *   decided at, and a write decided at an older revision than the last one is dropped, so two runners stepping one
 *   saga cannot leave the older deadlines behind. A runner claims the timers it fires for a while (`claimDueTimers`),
 *   so a group fires each deadline once; one whose runner died is claimed again after the claim ran out (a second
 *   firing is harmless: the input's key dedupes it).
 * - The dispatch log: one row per saga step, written BEFORE the step's append ("saga events `first`..`last` may
 *   exist and their commands may not be sent"), removed once its commands were sent. So a crash anywhere between the
 *   append and the end of the dispatch leaves a row behind, and whoever finds it re-sends the outbox of the events in
 *   its range that exist. Rows are per step, not per saga, so runners stepping one saga never claim each other's work.
 *   A runner keeps the rows of the steps it is working on young (`touchSteps`), however slow they are; a row nobody
 *   kept young for the takeover time (its runner died, or its step failed half way) is claimed by any runner's sweep;
 *   re-sending is safe, because commands are idempotent by id.
 *
 * The SQLite adapter queues the writes that may land late (timers after an append, finished dispatches, fired timers)
 * and writes them in one transaction per turn of the event loop; every read sees them. A crash loses at most those
 * writes, which are either re-derived (timers of every saga with a dispatch row) or harmless (a dispatch re-sent, a
 * timer firing twice).
 */
export interface Timer {
  readonly saga: SagaName;
  readonly sagaId: string;
  readonly deadlineId: string;
  readonly kind: string;
  readonly dueAt: string;
  readonly dueMs: number;
}

export interface PendingDispatch {
  /** the row's identity, to finish it */
  readonly id: string;
  readonly saga: SagaName;
  readonly sagaId: string;
  /** the first revision the step may have appended */
  readonly first: number;
  /** the last revision the step may have appended */
  readonly last: number;
}

export interface SagaStateStore {
  /**
   * True when this runner is the store's only user (a local file): everything in it at start was left by an earlier
   * run. False for a store a group of runners shares, where a row is only taken over once it is stale.
   */
  readonly exclusive: boolean;

  /** makes the saga's timers exactly `deadlines`, as decided at `revision`; dropped when a later revision wrote */
  replaceTimers(saga: SagaName, sagaId: string, revision: number, deadlines: readonly Deadline[]): Promise<void>;
  /** timers due by `nowMs`, not claimed by another runner, now claimed by this one until `nowMs + claimMs` */
  claimDueTimers(nowMs: number, limit: number, claimMs: number): Promise<readonly Timer[]>;
  /** drops a timer that fired, unless it was set again with another due time meanwhile */
  removeTimer(sagaId: string, deadlineId: string, dueMs: number): Promise<void>;
  timersOf(sagaId: string): Promise<readonly Timer[]>;
  timerCount(): Promise<number>;

  /**
   * Before an append that may write `first`..`last`: resolves with the row's id once the row is durable, so the
   * caller appends only then (SQLite: announcements of one turn share a commit).
   */
  announceStep(saga: SagaName, sagaId: string, first: number, last: number): Promise<string>;
  /** the step's commands were all sent, or its append wrote nothing */
  finishStep(id: string): Promise<void>;
  /**
   * Steps announced (or last touched) before `announcedBeforeMs` and not finished, oldest first, each claimed by
   * setting its age to `nowMs`, so the other runners' sweeps leave it alone meanwhile.
   */
  claimStaleSteps(announcedBeforeMs: number, limit: number, nowMs: number): Promise<readonly PendingDispatch[]>;
  /** the runner is still working on these steps: their age starts again, so no sweep takes them meanwhile */
  touchSteps(ids: readonly string[], nowMs: number): Promise<void>;
  pendingSteps(): Promise<number>;

  /** false until the first start finished: a fresh store next to an old event store must be rebuilt */
  isInitialized(): Promise<boolean>;
  markInitialized(): Promise<void>;
  close(): Promise<void>;
}
