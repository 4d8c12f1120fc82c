/**
 * kafkajs 2.2.4, its last release, keeps every connection's request queue spinning: after each check of its pending
 * requests it schedules the next check, and with nothing pending and no throttling the delay is negative, so
 * `setTimeout` runs it again after 1 ms, forever (tulios/kafkajs#1556, #1704; the fix proposed in #1667 was never
 * released). Every connection of every client (producer, consumer, admin) wakes its process about a thousand times
 * a second while idle (busy connections far less: under load the measured difference is within noise). ADR 0026.
 *
 * This sets the queue's scheduling right in place: a check is scheduled only while requests wait in the queue (for
 * the throttle to end, or 10 ms as before). Nothing else needs one: a request pushed while the queue may send is sent
 * at once, one pushed while it may not is queued and schedules its own check, and an answered request checks the
 * queue itself.
 */

/** The parts of kafkajs's internal `RequestQueue` this fix relies on. */
export interface RequestQueueInternals {
  pending: unknown[];
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  scheduleCheckPendingRequests: (this: RequestQueueInternals) => void;
  checkPendingRequests: (this: RequestQueueInternals) => void;
}

export interface RequestQueueClass {
  new (options: Record<string, unknown>): RequestQueueInternals;
  prototype: RequestQueueInternals;
}

const PATCHED = Symbol.for('commerce.kafkajs.requestQueue.idleFix');

/** kafkajs's request queue class, as loaded by kafkajs itself (the same module instance). */
export const kafkaRequestQueue = (): RequestQueueClass =>
  require('kafkajs/src/network/requestQueue') as RequestQueueClass;

/** Applies the fix once per process; throws if kafkajs no longer has the method it replaces (an upgrade: re-check). */
export const fixIdleRequestQueues = (): void => {
  const prototype = kafkaRequestQueue().prototype as RequestQueueInternals & { [PATCHED]?: true };
  if (prototype[PATCHED] === true) return;
  const schedule = prototype.scheduleCheckPendingRequests;
  if (typeof schedule !== 'function' || typeof prototype.checkPendingRequests !== 'function') {
    throw new Error('kafkajs changed its request queue: re-check infra/kafka/request-queue-fix.ts (ADR 0026)');
  }
  prototype.scheduleCheckPendingRequests = function scheduleWhilePending(this: RequestQueueInternals): void {
    if (this.pending.length === 0) return;
    schedule.call(this);
  };
  prototype[PATCHED] = true;
};
