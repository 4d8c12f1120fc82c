import type { DomainEvent } from '../domain/centres';
import type { EventMetadata } from '../ports/event-store';

/** Every domain event a projection may see: the centres' (domain/centres.ts). */
export type { DomainEvent };

/** A decoded event with where it sits in the store. */
export interface ProjectedEvent {
  readonly event: DomainEvent;
  readonly streamId: string;
  readonly revision: number;
  readonly position: number;
  readonly metadata: EventMetadata;
}

/**
 * A read model: a pure fold from (document or nothing, event) to document, per document id.
 * The worker batches: it loads every document a batch touches, folds in memory, writes each once.
 */
export interface Projection<Doc> {
  /** stable name used by the CLI and the read API, e.g. `orders` */
  readonly name: string;
  /** bump when `evolve` changes meaning: running workers then report that a rebuild is due */
  readonly version: number;
  /** body fields the read API filters or sorts on */
  readonly indexes: readonly string[];
  /**
   * The event types this projection reads; `documentIds` answers none for every other type (a rebuild reads only
   * these types from the log, so one missing here would be missing from the rebuilt model).
   */
  readonly eventTypes: readonly DomainEvent['type'][];
  /** ids of the documents this event changes (none if the projection ignores it) */
  readonly documentIds: (e: ProjectedEvent) => readonly string[];
  readonly evolve: (doc: Doc | null, e: ProjectedEvent, id: string) => Doc;
}

/** The consumer a projection's dead letters are recorded under (the same in every mode and group prefix). */
export const projectionConsumer = (name: string): string => `projection:${name}`;

/** Collection holding a projection's documents for one version (blue/green rebuilds write a new one). */
export const collectionName = (projection: { readonly name: string; readonly version: number }): string =>
  `${projection.name}_v${projection.version}`;

/** The domain event of one type. */
export type EventOfType<T extends DomainEvent['type']> = Extract<DomainEvent, { readonly type: T }>;

/** A decoded event of one kind, with where it sits in the store. */
export type Projected<Ev extends DomainEvent> = Omit<ProjectedEvent, 'event'> & { readonly event: Ev };

/** What a projection does with one kind of event: which documents it changes, and how. */
export interface On<Doc, Ev extends DomainEvent> {
  readonly ids: (e: Projected<Ev>) => readonly string[];
  readonly evolve: (doc: Doc | null, e: Projected<Ev>, id: string) => Doc;
}

/** A handler per event type the projection reads; the types it lists are all it declares (`eventTypes`). */
export type Handlers<Doc> = { readonly [T in DomainEvent['type']]?: On<Doc, EventOfType<T>> };

/**
 * Builds a projection from handlers per event type (as Emmett's `canHandle` or Eventuous's `On<T>`): its event
 * types follow from the handlers, and an event of any other type changes no document.
 */
export const defineProjection = <Doc>(spec: {
  readonly name: string;
  readonly version: number;
  readonly indexes: readonly string[];
  readonly on: Handlers<Doc>;
}): Projection<Doc> => {
  // sound: `on` maps each event type to a handler of events of that type
  const handlerOf = (e: ProjectedEvent): On<Doc, DomainEvent> | undefined =>
    spec.on[e.event.type] as On<Doc, DomainEvent> | undefined;
  return {
    name: spec.name,
    version: spec.version,
    indexes: spec.indexes,
    eventTypes: Object.keys(spec.on) as DomainEvent['type'][],
    documentIds: (e) => handlerOf(e)?.ids(e) ?? [],
    evolve: (doc, e, id) => {
      const handler = handlerOf(e);
      if (handler === undefined) throw new Error(`projection ${spec.name} has no handler for ${e.event.type}`);
      return handler.evolve(doc, e, id);
    },
  };
};
