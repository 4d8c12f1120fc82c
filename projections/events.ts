import * as E from 'fp-ts/Either';
import { pipe } from 'fp-ts/function';
import { centres, domainEventTypesOf, inventoryCentre, orderCentre, paymentCentre } from '../domain/centres';
import type { EventRegistry } from '../domain/shared';
import type { RecordedEvent } from '../ports/event-store';
import type { DomainEvent, ProjectedEvent } from './projection';

type Decoder = Pick<EventRegistry<DomainEvent>, 'handles' | 'decode'>;

/** Only the decoding half: a registry's `encode` accepts just its own centre's events. */
const decoders: readonly Decoder[] = centres.map((centre) => centre.events);

/**
 * A stored event as projection input, or why it is not one: a type no centre registers (saga bookkeeping,
 * markers) or data its codec rejects.
 */
export const decodeDomainEvent = (recorded: RecordedEvent): E.Either<string, ProjectedEvent> => {
  const decoder = decoders.find((d) => d.handles(recorded.type));
  if (decoder === undefined) return E.left(`unknown event type ${recorded.type}`);
  return pipe(
    decoder.decode({ type: recorded.type, data: recorded.data }),
    E.map((event) => ({
      event,
      streamId: recorded.streamId,
      revision: recorded.revision,
      position: recorded.position,
      metadata: recorded.metadata,
    })),
  );
};

/** Every domain event type of each centre. */
export const orderEventTypes = domainEventTypesOf(orderCentre);
export const inventoryEventTypes = domainEventTypesOf(inventoryCentre);
export const paymentEventTypes = domainEventTypesOf(paymentCentre);

/** The stored type names (every version the registries read) of these domain event types. */
export const storedTypesOf = (types: readonly DomainEvent['type'][]): ReadonlySet<string> => {
  const wanted = new Set<string>(types);
  const stored = new Set<string>();
  for (const { events } of centres) {
    for (const [storedType, type] of events.readableTypes) if (wanted.has(type)) stored.add(storedType);
  }
  return stored;
};
