import type { ExpectedRevision, NewEvent } from '../ports/event-store';

/**
 * What the SQL event stores (SQLite, PostgreSQL) share about an append: its checks before any write, the rows it
 * becomes, and the errors a repeated or colliding append answers.
 */

/** Some, but not all, of an append's event ids are already in the stream (or not as the same consecutive run). */
export class PartialDuplicateAppendError extends Error {
  constructor(
    readonly streamId: string,
    readonly duplicateEventIds: readonly string[],
  ) {
    super(
      `stream ${streamId}: events ${duplicateEventIds.join(', ')} were appended before, but not as this exact ` +
        'sequence; a retried append must repeat the whole original append',
    );
    this.name = 'PartialDuplicateAppendError';
  }
}

export class EventStoreClosedError extends Error {
  constructor() {
    super('the event store is closed');
    this.name = 'EventStoreClosedError';
  }
}

/** An event as its row holds it: data and metadata as JSON text. */
export interface SerializedEvent {
  readonly eventId: string;
  readonly type: string;
  readonly data: string;
  readonly metadata: string;
}

/** The checks of the port before anything is written: a stream id, a valid expected revision, distinct ids. */
export const validateAppend = (streamId: string, events: readonly NewEvent[], expected: ExpectedRevision): void => {
  if (streamId.length === 0) throw new RangeError('stream id must not be empty');
  if (typeof expected === 'number' && (!Number.isSafeInteger(expected) || expected < 0)) {
    throw new RangeError(`invalid expected revision ${expected}`);
  }
  if (events.length === 0) throw new RangeError('an append needs at least one event');
  const ids = new Set<string>();
  for (const event of events) {
    if (event.eventId.length === 0 || event.type.length === 0) throw new RangeError('events need an id and a type');
    if (ids.has(event.eventId)) throw new RangeError(`event id ${event.eventId} appears twice in one append`);
    ids.add(event.eventId);
  }
};

/** Where a stored event is. */
export interface EventLocation {
  readonly streamId: string;
  readonly revision: number;
  readonly position: number;
}

/**
 * Whether an append repeats one stored before, as in EventStoreDB: when every event id is stored in this stream where a
 * repeat would put it, as one consecutive run in the same order, the append is a repeat and answers the original
 * result (its last event's location); some of them, or not as that run, is an error; none of them: not a repeat.
 * `locate` answers where the append's `index`-th id is stored in the stream, as far as a repeat can be (ADR 0024).
 */
export const repeatedAppend = (
  streamId: string,
  events: readonly { readonly eventId: string }[],
  locate: (eventId: string, index: number) => EventLocation | undefined,
): EventLocation | undefined => {
  let found: EventLocation | undefined;
  let previous: EventLocation | undefined;
  let consecutive = true;
  const duplicates: string[] = [];
  for (const [index, event] of events.entries()) {
    found = locate(event.eventId, index);
    if (found === undefined) {
      consecutive = false;
      continue;
    }
    duplicates.push(event.eventId);
    if (previous !== undefined && found.revision !== previous.revision + 1) consecutive = false;
    previous = found;
  }
  if (duplicates.length === 0) return undefined;
  if (duplicates.length < events.length || !consecutive || found === undefined) {
    throw new PartialDuplicateAppendError(streamId, duplicates);
  }
  return found;
};

export const serialize = (event: NewEvent): SerializedEvent => {
  // JSON.stringify answers undefined for undefined (typed as string); store null rather than fail NOT NULL
  const data = JSON.stringify(event.data) as string | undefined;
  return { eventId: event.eventId, type: event.type, data: data ?? 'null', metadata: JSON.stringify(event.metadata) };
};
