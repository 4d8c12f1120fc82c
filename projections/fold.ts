import * as E from 'fp-ts/Either';
import type { EventStore, RecordedEvent } from '../ports/event-store';
import { decodeDomainEvent } from './events';
import type { Projection } from './projection';

/** The reference answer for a read model: every document folded from the events in log order, in memory. */
export const foldRecorded = <Doc>(projection: Projection<Doc>, events: readonly RecordedEvent[]): Map<string, Doc> => {
  const docs = new Map<string, Doc>();
  for (const recorded of events) {
    const decoded = decodeDomainEvent(recorded);
    if (E.isLeft(decoded)) continue;
    for (const id of projection.documentIds(decoded.right)) {
      docs.set(id, projection.evolve(docs.get(id) ?? null, decoded.right, id));
    }
  }
  return docs;
};

/** Reads the whole global log and folds it (verification and tests; memory grows with the read model). */
export const foldStore = async <Doc>(
  projection: Projection<Doc>,
  store: EventStore,
  pageSize = 5_000,
): Promise<Map<string, Doc>> => {
  const events: RecordedEvent[] = [];
  let after = 0;
  for (;;) {
    const page = await store.readAll({ after, maxCount: pageSize });
    const last = page[page.length - 1];
    if (!last) break;
    events.push(...page);
    after = last.position;
  }
  return foldRecorded(projection, events);
};
