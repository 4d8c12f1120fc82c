import { describeError, type DeadLetter, type DeadLetterFilter, type DeadLetterStore } from '../../ports/dead-letters';
import { SAGA_CONSUMER, SAGA_DISPATCH_CONSUMER, type SagaRunner } from './runner';

/** Handles one dead letter again for its consumer; throws when it still fails. */
export type Retryer = (letter: DeadLetter) => Promise<void>;

/** Picks the retryer for a consumer name (`saga-runner`, `projection:orders`, …), if this process knows it. */
export type RetryerFor = (consumer: string) => Retryer | undefined;

export interface RetryOutcome {
  /** letters handled and removed, in order: the one asked for, then those of its key parked behind it */
  readonly retried: readonly number[];
  /** the letter that failed again, if one did (it stays, with the new error) */
  readonly failed?: { readonly id: number; readonly error: string };
}

/** Why a dead letter could not be handled: the CLI prints the message, the HTTP API maps the reason to a status. */
export type DeadLetterErrorReason =
  /** no letter has this id (never had, or already retried or discarded) */
  | 'not-found'
  /** an older letter of the same key must be retried first */
  | 'parked'
  /** this process knows no retry for the letter's consumer */
  | 'no-retryer';

export class DeadLetterError extends Error {
  constructor(
    message: string,
    readonly reason: DeadLetterErrorReason,
  ) {
    super(message);
    this.name = 'DeadLetterError';
  }
}

/** A letter as the CLI (`--json`) and the HTTP API show it: the same fields in both. */
export const deadLetterJson = (letter: DeadLetter) => ({
  id: letter.id,
  consumer: letter.consumer,
  key: letter.key,
  event: letter.event,
  error: letter.error,
  attempts: letter.attempts,
  firstFailedAt: letter.firstFailedAt,
  lastFailedAt: letter.lastFailedAt,
});

/** The saga runner's consumers: inputs go through the saga again, outbox letters are dispatched again. */
export const sagaRetryers =
  (runner: SagaRunner): RetryerFor =>
  (consumer) => {
    switch (consumer) {
      case SAGA_CONSUMER:
        return (letter) => runner.retryInput(letter.event, letter.key);
      case SAGA_DISPATCH_CONSUMER:
        return async (letter) => {
          if (letter.event.revision === null) throw new Error(`letter ${letter.id} names no saga event`);
          await runner.retryDispatch(letter.key, letter.event.revision);
        };
      default:
        return undefined;
    }
  };

export const combineRetryers =
  (...all: readonly RetryerFor[]): RetryerFor =>
  (consumer) => {
    for (const pick of all) {
      const found = pick(consumer);
      if (found) return found;
    }
    return undefined;
  };

export const listDeadLetters = (
  store: DeadLetterStore,
  filter: DeadLetterFilter = {},
): Promise<readonly DeadLetter[]> => store.list(filter);

/**
 * Retries a dead letter and then the letters of the same key parked behind it, in their original order, until
 * one fails again or none is left. Only the oldest letter of a key can be retried: the others wait behind it.
 */
export const retryDeadLetter = async (
  store: DeadLetterStore,
  id: number,
  retryerFor: RetryerFor,
): Promise<RetryOutcome> => {
  const letter = await store.get(id);
  if (letter === undefined) throw new DeadLetterError(`no dead letter ${id}`, 'not-found');
  const oldest = await store.oldest(letter.consumer, letter.key);
  if (oldest !== undefined && oldest.id !== id) {
    throw new DeadLetterError(
      `dead letter ${id} waits behind ${oldest.id} of the same key (${letter.key}): retry ${oldest.id} first`,
      'parked',
    );
  }
  const retry = retryerFor(letter.consumer);
  if (retry === undefined)
    throw new DeadLetterError(`no retry is known here for consumer ${letter.consumer}`, 'no-retryer');
  const retried: number[] = [];
  // new letters may be parked behind the key while we work: go round until none is left (bounded)
  for (let round = 0; round < 100; round++) {
    const next = await store.oldest(letter.consumer, letter.key);
    if (next === undefined) break;
    try {
      await retry(next);
    } catch (error) {
      const message = describeError(error);
      await store.failedAgain(next.id, message);
      return { retried, failed: { id: next.id, error: message } };
    }
    await store.remove(next.id);
    retried.push(next.id);
  }
  return { retried };
};

/** Drops a letter for good (the operator decided the input needs no handling). */
export const discardDeadLetter = async (store: DeadLetterStore, id: number): Promise<DeadLetter> => {
  const letter = await store.get(id);
  if (letter === undefined || !(await store.remove(id))) throw new DeadLetterError(`no dead letter ${id}`, 'not-found');
  return letter;
};
