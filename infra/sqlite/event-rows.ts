import type { RecordedEvent, StoredEvent } from '../../ports/event-store';

/**
 * The columns of a recorded event, selected plainly: SQLite building one JSON document per batch (json_object +
 * json()) re-parses every data column and costs more than parsing data and metadata per row here.
 */
export const EVENT_COLUMNS = 'position, stream_id, revision, event_id, type, data, metadata';

/** position, stream id, revision, event id, type, data, metadata (`.raw()` rows: arrays, no key lookups) */
export type EventRow = [number, string, number, string, string, string, string];

/** The rows were written by the SQLite event store from NewEvent values; decoding `data` is the domain codecs' job. */
export const parseEventRows = (rows: readonly EventRow[]): readonly RecordedEvent[] =>
  rows.map(([position, streamId, revision, eventId, type, data, metadata]) => ({
    position,
    streamId,
    revision,
    eventId,
    type,
    data: JSON.parse(data) as RecordedEvent['data'],
    metadata: JSON.parse(metadata) as RecordedEvent['metadata'],
  }));

/** The rows as stored: data and metadata stay JSON text (see `StoredEvent`). */
export const storedEventRows = (rows: readonly EventRow[]): readonly StoredEvent[] =>
  rows.map(([position, streamId, revision, eventId, type, data, metadata]) => ({
    position,
    streamId,
    revision,
    eventId,
    type,
    data,
    metadata,
  }));
