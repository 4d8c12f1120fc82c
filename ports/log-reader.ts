import type { EventStore, RecordedEvent } from './event-store';

/**
 * Reading the global log for some event types only: a rebuild of a read model that uses a quarter of the event types
 * need not parse the other three quarters. One contract suite runs against every adapter.
 */
export interface LogWindow {
  /** the events of the wanted types in the window, in log order */
  readonly events: readonly RecordedEvent[];
  /** every event up to and including this position was examined; `after` when the window was empty (the head) */
  readonly through: number;
  /** how many events were examined (matching or not); 0 at the head */
  readonly examined: number;
}

export interface ReadTypesOptions {
  /** examine events strictly after this position */
  readonly after: number;
  /** examine at most this many events (matching or not) */
  readonly maxCount: number;
  /** stored type names, e.g. `OrderPlaced.v1` */
  readonly types: ReadonlySet<string>;
}

export interface LogReader {
  readTypes(options: ReadTypesOptions): Promise<LogWindow>;
}

/** Any event store: read the window through the port and keep the wanted types (EventStoreDB, tests). */
export const filteringLogReader = (store: Pick<EventStore, 'readAll'>): LogReader => ({
  readTypes: async ({ after, maxCount, types }) => {
    const page = await store.readAll({ after, maxCount });
    return {
      events: page.filter((event) => types.has(event.type)),
      through: page.at(-1)?.position ?? after,
      examined: page.length,
    };
  },
});
