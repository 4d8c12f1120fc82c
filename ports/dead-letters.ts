import { StoreUnavailableError } from './event-store';
import type { Delivery } from './message-bus';

/**
 * Dead letters: inputs a consumer (the saga runner, a projection) could not handle after bounded retries. They are
 * kept with the event and the last error so an operator can retry or discard them (`commerce dlq`), while the
 * consumer goes on with everything else.
 *
 * `key` is the consumer's ordering unit (a saga id, a read-model document): once a key has a dead letter, later
 * inputs of the same key are parked behind it, so a retry replays them in their original order.
 */
export interface DeadLetterEvent {
  readonly eventId: string;
  readonly streamId: string;
  /** null for inputs that are not stored events (a timer firing, a fed-back rejection) */
  readonly revision: number | null;
  readonly position: number | null;
  readonly type: string;
  readonly data: unknown;
  readonly metadata: unknown;
  /** where the bus delivered it from, so a retry can hand it over exactly as delivered */
  readonly source: string | null;
  readonly sequence: number | null;
}

export interface NewDeadLetter {
  readonly consumer: string;
  readonly key: string;
  readonly event: DeadLetterEvent;
  readonly error: string;
  /** attempts made by this failure (added to earlier ones for the same event) */
  readonly attempts: number;
}

export interface DeadLetter extends NewDeadLetter {
  readonly id: number;
  readonly firstFailedAt: string;
  readonly lastFailedAt: string;
}

export interface DeadLetterFilter {
  readonly consumer?: string;
  readonly key?: string;
  readonly limit?: number;
}

export interface DeadLetterStore {
  /** records a failure; the same (consumer, key, event) again counts as more attempts on the same letter */
  record(letter: NewDeadLetter): Promise<DeadLetter>;
  get(id: number): Promise<DeadLetter | undefined>;
  list(filter?: DeadLetterFilter): Promise<readonly DeadLetter[]>;
  /** the oldest letter of a key, which every later one of the key waits behind */
  oldest(consumer: string, key: string): Promise<DeadLetter | undefined>;
  /** true when the key has a letter, so its new inputs must wait behind it */
  isParked(consumer: string, key: string): Promise<boolean>;
  /**
   * Records `letter` only if its key already has a letter (in one statement, so a concurrent retry that empties
   * the key either sees this letter or lets the input through); undefined when the key was not parked.
   */
  parkBehind(letter: NewDeadLetter): Promise<DeadLetter | undefined>;
  /** records another failed retry */
  failedAgain(id: number, error: string): Promise<void>;
  remove(id: number): Promise<boolean>;
  countByConsumer(): Promise<ReadonlyMap<string, number>>;
  close(): Promise<void>;
}

export const describeError = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);

/** A delivered event as a dead letter's payload. */
export const deadLetterEventOf = (delivery: Delivery): DeadLetterEvent => ({
  eventId: delivery.event.eventId,
  streamId: delivery.event.streamId,
  revision: delivery.event.revision,
  position: delivery.event.position,
  type: delivery.event.type,
  data: delivery.event.data,
  metadata: delivery.event.metadata,
  source: delivery.source,
  sequence: delivery.sequence,
});

export interface DeadLetterPolicy {
  /** consumer name recorded with the letter, e.g. `projection:orders` */
  readonly consumer: string;
  readonly store: DeadLetterStore;
  /** attempts per batch, and again per single delivery once the batch kept failing */
  readonly attempts: number;
  /** the ordering unit: later deliveries of a key with a letter are parked behind it */
  readonly keyOf: (delivery: Delivery) => string;
  /** waits between attempts; defaults to none (a retry right away still catches a transient conflict) */
  readonly pause?: (attempt: number) => Promise<void>;
  readonly onDeadLetter?: (letter: DeadLetter) => void;
}

/**
 * For a batch consumer such as a projection worker: try the batch a bounded number of times; if it keeps failing,
 * go through it one delivery at a time, so only the deliveries that really fail (and those of the same key after
 * them) become dead letters, and everything else is applied. Resolves once the batch is fully dealt with, so the
 * bus may advance.
 */
export const handleWithDeadLetters = async (
  batch: readonly Delivery[],
  handle: (batch: readonly Delivery[]) => Promise<void>,
  policy: DeadLetterPolicy,
): Promise<void> => {
  let anyParked = false;
  for (const d of batch) if (!anyParked) anyParked = await policy.store.isParked(policy.consumer, policy.keyOf(d));
  if (!anyParked && (await attempt(() => handle(batch), policy)) === undefined) return;
  for (const delivery of batch) {
    const key = policy.keyOf(delivery);
    const parked = await policy.store.parkBehind({
      consumer: policy.consumer,
      key,
      event: deadLetterEventOf(delivery),
      error: `parked behind an earlier dead letter of ${key}`,
      attempts: 0,
    });
    if (parked !== undefined) {
      policy.onDeadLetter?.(parked);
      continue;
    }
    const error = await attempt(() => handle([delivery]), policy);
    if (error === undefined) continue;
    const letter = await policy.store.record({
      consumer: policy.consumer,
      key,
      event: deadLetterEventOf(delivery),
      error,
      attempts: policy.attempts,
    });
    policy.onDeadLetter?.(letter);
  }
};

/** undefined on success, else the last error */
const attempt = async (run: () => Promise<void>, policy: DeadLetterPolicy): Promise<string | undefined> => {
  let last = 'no attempt made';
  for (let n = 1; n <= Math.max(1, policy.attempts); n++) {
    try {
      await run();
      return undefined;
    } catch (error) {
      // a store that is down is not the event's fault: the batch fails and comes again, nothing is dead-lettered
      if (error instanceof StoreUnavailableError) throw error;
      last = describeError(error);
      if (n < policy.attempts) await policy.pause?.(n);
    }
  }
  return last;
};
