import type { Deadline, SagaName } from '../domain/sagas';

/**
 * What the saga runner keeps besides the saga streams, in one SQLite file:
 * - `saga_timers`: the durable deadline table, keyed by (saga id, deadline id). It always mirrors
 *   `saga.deadlines(state)` after the saga's last append, so it can be rebuilt from the streams at any time.
 * - `saga_dispatch`: the dispatch log. A row says "saga events up to `appended` may exist, and those up to
 *   `dispatched` had their commands sent". It is written BEFORE the append, so a crash anywhere between the append
 *   and the end of the dispatch leaves a row behind, and the next start re-sends the outbox of every event past
 *   `dispatched`. A row disappears once everything it announced was dispatched, so the table only holds sagas with
 *   work in flight.
 *
 * Writes that may land late are queued and written together (GroupCommit), in one transaction per turn of the event loop (the
 * saga runner makes several per saga step, each its own commit otherwise): timers set after an append, dispatch
 * progress, fired timers. Everything that must be durable before the caller goes on — the announcement written
 * before an append — commits synchronously together with what is queued, and every read sees the queued writes.
 * A crash loses at most the queued writes, which are either re-derived (timers from the streams, for every saga
 * with a dispatch row) or harmless (a dispatch re-sent: commands are idempotent; a timer firing twice: its input
 * key dedupes it).
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
  readonly saga: SagaName;
  readonly sagaId: string;
  /** highest revision an append may have written */
  readonly appended: number;
  /** every event up to this revision had its commands sent (-1: none) */
  readonly dispatched: number;
}

export interface SagaStateStore {
  /** makes the saga's timers exactly `deadlines` */
  replaceTimers(saga: SagaName, sagaId: string, deadlines: readonly Deadline[]): void;
  dueTimers(nowMs: number, limit: number): readonly Timer[];
  /** drops a timer that fired, unless it was set again with another due time meanwhile */
  removeTimer(sagaId: string, deadlineId: string, dueMs: number): void;
  timersOf(sagaId: string): readonly Timer[];
  timerCount(): number;

  /** before an append that may write up to `upTo`; `current` is the saga's revision before it */
  announceAppend(saga: SagaName, sagaId: string, current: number, upTo: number): void;
  /**
   * The same announcement, written together with the others of this turn of the event loop (one commit for the
   * sagas stepping at once); resolves once it is durable, so the caller appends only then.
   */
  announceAppendSoon(saga: SagaName, sagaId: string, current: number, upTo: number): Promise<void>;
  markDispatched(sagaId: string, upTo: number): void;
  pendingDispatches(): readonly PendingDispatch[];
  /** forget a saga's row after recovery dispatched everything there is */
  clearDispatch(sagaId: string): void;

  /** false until the first start finished: a fresh file next to an old event store must be rebuilt */
  isInitialized(): boolean;
  markInitialized(): void;
  close(): void;
}
