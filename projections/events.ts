import * as E from 'fp-ts/Either';
import { pipe } from 'fp-ts/function';
import { inventoryEvents } from '../domain/inventory';
import { orderEvents } from '../domain/order';
import { paymentEvents } from '../domain/payment';
import type { EventRegistry } from '../domain/shared';
import type { RecordedEvent } from '../ports/event-store';
import type { DomainEvent, ProjectedEvent } from './projection';

type Decoder = Pick<EventRegistry<DomainEvent>, 'handles' | 'decode'>;

/** Only the decoding half: a registry's `encode` accepts just its own centre's events. */
const decoders: readonly Decoder[] = [orderEvents, inventoryEvents, paymentEvents];

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

const typesOf = <Type extends string>(registry: { readonly readableTypes: ReadonlyMap<string, Type> }): Type[] => [
  ...new Set(registry.readableTypes.values()),
];

/** Every domain event type of each centre. */
export const orderEventTypes = typesOf(orderEvents);
export const inventoryEventTypes = typesOf(inventoryEvents);
export const paymentEventTypes = typesOf(paymentEvents);

/** The stored type names (every version the registries read) of these domain event types. */
export const storedTypesOf = (types: readonly DomainEvent['type'][]): ReadonlySet<string> => {
  const wanted = new Set<string>(types);
  const stored = new Set<string>();
  for (const registry of [orderEvents, inventoryEvents, paymentEvents]) {
    for (const [storedType, type] of registry.readableTypes) if (wanted.has(type)) stored.add(storedType);
  }
  return stored;
};
