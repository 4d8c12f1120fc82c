import * as E from 'fp-ts/Either';
import { pipe } from 'fp-ts/function';
import { centres, domainEventTypesOf, inventoryCentre, orderCentre, paymentCentre } from '../domain/centres';
import { fulfilmentEvents, refundSagaEvents } from '../domain/sagas';
import type { EventRegistry } from '../domain/shared';
import type { RecordedEvent } from '../ports/event-store';
import type { ReadModelEvent, Recorded } from './input';
import type { DomainEvent, ProjectedEvent } from './projection';

type Decoder<Ev extends ReadModelEvent> = Pick<EventRegistry<Ev>, 'handles' | 'decode' | 'readableTypes'>;

/** Only the decoding half: a registry's `encode` accepts just its own centre's events. */
const domainDecoders: readonly Decoder<DomainEvent>[] = centres.map((centre) => centre.events);

/** The domain events' registries and the sagas' (no stored type name is in two of them). */
const decoders: readonly Decoder<ReadModelEvent>[] = [...domainDecoders, fulfilmentEvents, refundSagaEvents];

const decodeWith =
  <Ev extends ReadModelEvent>(registries: readonly Decoder<Ev>[]) =>
  (recorded: RecordedEvent): E.Either<string, Recorded<Ev>> => {
    const decoder = registries.find((d) => d.handles(recorded.type));
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

/**
 * A stored event as domain read-model input, or why it is not one: a type no centre registers (saga bookkeeping,
 * markers) or data its codec rejects.
 */
export const decodeDomainEvent: (recorded: RecordedEvent) => E.Either<string, ProjectedEvent> =
  decodeWith(domainDecoders);

/** A stored event as input of any read model (a domain or a saga event), or why it is not one. */
export const decodeReadModelEvent: (recorded: RecordedEvent) => E.Either<string, Recorded<ReadModelEvent>> =
  decodeWith(decoders);

/** Every domain event type of each centre. */
export const orderEventTypes = domainEventTypesOf(orderCentre);
export const inventoryEventTypes = domainEventTypesOf(inventoryCentre);
export const paymentEventTypes = domainEventTypesOf(paymentCentre);

/** The stored type names (every version the registries read) of these event types. */
export const storedTypesOf = (types: readonly ReadModelEvent['type'][]): ReadonlySet<string> => {
  const wanted = new Set<string>(types);
  const stored = new Set<string>();
  for (const { readableTypes } of decoders) {
    for (const [storedType, type] of readableTypes) if (wanted.has(type)) stored.add(storedType);
  }
  return stored;
};
