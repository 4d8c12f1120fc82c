import type { DomainEvent } from '../domain/centres';
import type { FulfilmentEvent, RefundSagaEvent } from '../domain/sagas';
import type { EventMetadata } from '../ports/event-store';

/** The sagas' own events (streams `saga-<saga>-…`): what a read model of saga progress reads. */
export type SagaEvent = FulfilmentEvent | RefundSagaEvent;

/** Every event a read model may read: the centres' domain events or the sagas' events. */
export type ReadModelEvent = DomainEvent | SagaEvent;

/** A decoded event with where it sits in the store (`ProjectedEvent` is the one of domain events). */
export interface Recorded<Ev extends ReadModelEvent> {
  readonly event: Ev;
  readonly streamId: string;
  readonly revision: number;
  readonly position: number;
  readonly metadata: EventMetadata;
}

/**
 * A read model over one kind of input event; `Projection<Doc>` (projection.ts) is the one over domain events.
 * See `Projection` for what each member means.
 */
export interface ProjectionOf<Doc, Ev extends ReadModelEvent> {
  readonly name: string;
  readonly version: number;
  readonly indexes: readonly string[];
  readonly eventTypes: readonly Ev['type'][];
  readonly documentIds: (e: Recorded<Ev>) => readonly string[];
  readonly evolve: (doc: Doc | null, e: Recorded<Ev>, id: string) => Doc;
}

/**
 * Any read model, whatever events it reads: what the worker, the runner and the rebuilds hold. Its input type is
 * hidden (its functions take `never`); `overEveryEvent` is the one place that hands them events, of its types only.
 */
export interface AnyProjection<Doc = unknown> {
  readonly name: string;
  readonly version: number;
  readonly indexes: readonly string[];
  readonly eventTypes: readonly ReadModelEvent['type'][];
  readonly documentIds: (e: never) => readonly string[];
  readonly evolve: (doc: Doc | null, e: never, id: string) => Doc;
}

/** A read model over every event: those of types it does not declare change no document of it. */
export const overEveryEvent = <Doc>(projection: AnyProjection<Doc>): ProjectionOf<Doc, ReadModelEvent> => {
  const declared = new Set<string>(projection.eventTypes);
  // sound: a read model's functions take the events of the types it declares, and only those pass `declared`
  const documentIds = projection.documentIds as (e: Recorded<ReadModelEvent>) => readonly string[];
  const evolve = projection.evolve as (doc: Doc | null, e: Recorded<ReadModelEvent>, id: string) => Doc;
  return {
    name: projection.name,
    version: projection.version,
    indexes: projection.indexes,
    eventTypes: projection.eventTypes,
    documentIds: (e) => (declared.has(e.event.type) ? documentIds(e) : []),
    evolve: (doc, e, id) => {
      if (!declared.has(e.event.type)) throw new Error(`projection ${projection.name} does not read ${e.event.type}`);
      return evolve(doc, e, id);
    },
  };
};
