import type { RecordedEvent, StoredEvent } from '../../ports/event-store';

/**
 * The columns of a recorded event, selected plainly: SQLite building one JSON document per batch (json_object +
 * json()) re-parses every data column and costs more than parsing data and metadata per row here.
 */
export const EVENT_COLUMNS = 'position, stream_id, revision, event_id, type, data, metadata';

/** position, stream id, revision, event id, type, data, metadata (`.raw()` rows: arrays, no key lookups) */
export type EventRow = [number, string, number, string, string, string, string];

/** A row as an event, its data and metadata read by `json`. */
const fromRow =
  <Json>(json: (text: string) => Json) =>
  ([position, streamId, revision, eventId, type, data, metadata]: EventRow) => ({
    position,
    streamId,
    revision,
    eventId,
    type,
    data: json(data),
    metadata: json(metadata),
  });

const parsed = fromRow((text) => JSON.parse(text) as RecordedEvent['metadata']);

/** The rows were written by the SQLite event store from NewEvent values; decoding `data` is the domain codecs' job. */
export const parseEventRows = (rows: readonly EventRow[]): readonly RecordedEvent[] => rows.map(parsed);

const asStored = fromRow((text) => text);

/** The rows as stored: data and metadata stay JSON text (see `StoredEvent`). */
export const storedEventRows = (rows: readonly EventRow[]): readonly StoredEvent[] => rows.map(asStored);
