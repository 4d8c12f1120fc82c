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

/** Collection holding a projection's documents for one version (blue/green rebuilds write a new one). */
export const collectionName = (projection: { readonly name: string; readonly version: number }): string =>
  `${projection.name}_v${projection.version}`;
