import { expect } from 'chai';
import { streamIdOfEvent } from '../domain/centres';
import type { DomainEvent, ProjectedEvent, Projection } from '../projections/projection';

/**
 * Given/when/then for projections, folding exactly as the worker does: per batch, group the events by the ids
 * `documentIds` answers, load each document once, fold its events in order with `evolve`, write it once. The
 * store holds JSON text, so a document that does not survive JSON (undefined, Date, Map, NaN) fails the spec.
 *
 *   givenProjection(ordersProjection)(...log(placed, confirmed)).thenDocument('o-1', (doc) => …)
 */
export interface ProjectionThen<Doc> {
  /** the document exists; the check sees it as a worker would read it back from the store */
  thenDocument(id: string, check: (doc: Doc) => void): Doc;
  thenNoDocument(id: string): void;
  /** every document written, by id */
  readonly documents: ReadonlyMap<string, Doc>;
}

const expectJsonSafe = (id: string, doc: unknown): void => {
  expect(JSON.parse(JSON.stringify(doc)), `document ${id} must be plain JSON`).to.deep.equal(doc);
};

/** Folds consecutive batches through a JSON document store; answers the stored documents, parsed. */
export const foldBatches = <Doc>(
  projection: Projection<Doc>,
  batches: readonly (readonly ProjectedEvent[])[],
): ReadonlyMap<string, Doc> => {
  const stored = new Map<string, string>();
  for (const batch of batches) {
    const touched = new Map<string, ProjectedEvent[]>();
    for (const e of batch) {
      for (const id of projection.documentIds(e)) touched.set(id, [...(touched.get(id) ?? []), e]);
    }
    for (const [id, events] of touched) {
      const text = stored.get(id);
      // what the store holds is what evolve wrote for this collection
      let doc = text === undefined ? null : (JSON.parse(text) as Doc);
      for (const e of events) doc = projection.evolve(doc, e, id);
      if (doc === null) continue;
      expectJsonSafe(id, doc);
      stored.set(id, JSON.stringify(doc));
    }
  }
  return new Map([...stored].map(([id, text]) => [id, JSON.parse(text) as Doc]));
};

export const givenProjection =
  <Doc>(projection: Projection<Doc>) =>
  (...events: ProjectedEvent[]): ProjectionThen<Doc> => {
    const documents = foldBatches(projection, [events]);
    return {
      documents,
      thenDocument(id, check) {
        const doc = documents.get(id);
        if (doc === undefined) return expect.fail(`expected document ${id}, got ${[...documents.keys()].join(', ')}`);
        check(doc);
        return doc;
      },
      thenNoDocument(id) {
        expect([...documents.keys()]).not.to.include(id);
      },
    };
  };

/** The stream a domain event is appended to, as the command handlers name them. */
export const streamOf = streamIdOfEvent;

/**
 * A store log for specs: each call records events in order, giving them the next global positions (from 1),
 * their stream's next revisions and metadata, and answers them as a worker receives them.
 *
 *   const log = eventLog();
 *   given(...log(placed, authorized), ...log(confirmed))
 */
export type EventLog = (...events: DomainEvent[]) => ProjectedEvent[];

export const eventLog = (): EventLog => {
  let position = 0;
  const revisions = new Map<string, number>();
  return (...events) =>
    events.map((event) => {
      position += 1;
      const streamId = streamOf(event);
      const revision = revisions.get(streamId) ?? 0;
      revisions.set(streamId, revision + 1);
      const commandId = `cmd-${position}`;
      return {
        event,
        streamId,
        revision,
        position,
        metadata: { commandId, causationId: commandId, correlationId: streamId, timestamp: event.at, schemaVersion: 1 },
      };
    });
};
