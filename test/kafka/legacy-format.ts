import type { Message } from 'kafkajs';
import type { RecordedEvent } from '../../ports/event-store';

/**
 * Format 1 of the Kafka event messages, as relays before format 2 wrote them: every field in its own header, the
 * value = JSON of the event's data only. Frozen here on purpose (not derived from the codec): topics written then
 * must stay readable by consumers and by the relay's tail check.
 */
export const legacyMessage = (event: RecordedEvent): Message => ({
  key: event.streamId,
  // format 1 wrote null for undefined data (JSON.stringify answers undefined for it)
  value: event.data === undefined ? 'null' : JSON.stringify(event.data),
  headers: {
    'event-type': event.type,
    'event-id': event.eventId,
    'stream-id': event.streamId,
    revision: String(event.revision),
    position: String(event.position),
    'command-id': event.metadata.commandId,
    'causation-id': event.metadata.causationId,
    'correlation-id': event.metadata.correlationId,
    timestamp: event.metadata.timestamp,
    'schema-version': String(event.metadata.schemaVersion),
  },
});
