import { randomUUID } from 'node:crypto';
import { centres, streamIdOfEvent, type DomainEvent } from '../../domain/centres';
import type { EventStore, RecordedEvent } from '../../ports/event-store';

/** The stored type and data of any centre's event, through the registry of the centre that declares its type. */
const encode = (event: DomainEvent): { readonly type: string; readonly data: unknown } => {
  const centre = centres.find((c) => [...c.events.readableTypes.values()].some((type) => type === event.type));
  if (centre === undefined) throw new Error(`no centre declares ${event.type}`);
  // sound: this centre's registry declares the event's type
  const encodeOf = centre.events.encode as (e: DomainEvent) => { readonly type: string; readonly data: unknown };
  return encodeOf(event);
};

/**
 * Appends domain events as their centres store them, each to its own stream, in the order given: for histories the
 * command API cannot write (yet), such as pricing breakdowns and coupon traffic the sagas would record. Answers the
 * position of the last one.
 */
export const appendEvents = async (store: EventStore, ...events: readonly DomainEvent[]): Promise<number> => {
  let position = 0;
  for (const event of events) {
    const stored = encode(event);
    const commandId = randomUUID();
    const result = await store.append(
      streamIdOfEvent(event),
      [
        {
          eventId: randomUUID(),
          type: stored.type,
          data: stored.data,
          metadata: {
            commandId,
            causationId: commandId,
            correlationId: streamIdOfEvent(event),
            timestamp: event.at,
            schemaVersion: Number(stored.type.split('.v')[1] ?? 1),
          },
        },
      ],
      'any',
    );
    position = result.position;
  }
  return position;
};

/** The events as a store records them, at positions 1, 2, … in the order given (what a worker is delivered). */
export const recordedEvents = (...events: readonly DomainEvent[]): RecordedEvent[] => {
  const revisions = new Map<string, number>();
  return events.map((event, i) => {
    const stored = encode(event);
    const streamId = streamIdOfEvent(event);
    const revision = revisions.get(streamId) ?? 0;
    revisions.set(streamId, revision + 1);
    const commandId = `cmd-${i + 1}`;
    return {
      eventId: randomUUID(),
      type: stored.type,
      data: stored.data,
      metadata: {
        commandId,
        causationId: commandId,
        correlationId: streamId,
        timestamp: event.at,
        schemaVersion: Number(stored.type.split('.v')[1] ?? 1),
      },
      streamId,
      revision,
      position: i + 1,
    };
  });
};
