import type { NewDeadLetter } from '../ports/dead-letters';

/**
 * A new dead letter as the row values both stores insert, in their column order: consumer, key, event id, stream id,
 * revision, position, type, data and metadata (JSON text), source, sequence, error, attempts, first and last failure.
 * `error` is the letter's error as the store can keep it (bounded, and without what the store cannot hold).
 */
export const deadLetterValues = (letter: NewDeadLetter, error: string, now: string): unknown[] => {
  const { event } = letter;
  return [
    letter.consumer,
    letter.key,
    event.eventId,
    event.streamId,
    event.revision,
    event.position,
    event.type,
    JSON.stringify(event.data ?? null),
    JSON.stringify(event.metadata ?? null),
    event.source,
    event.sequence,
    error,
    letter.attempts,
    now,
    now,
  ];
};
