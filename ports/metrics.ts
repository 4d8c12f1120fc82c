import type { Counter, Histogram, Registry } from 'prom-client';

/** Prometheus metrics of one process. Each process owns one registry (no global state, test-friendly). */
export interface Metrics {
  readonly registry: Registry;
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: Histogram<'method' | 'route'>;
  readonly eventsAppended: Counter<'stream_type'>;
  readonly appendConflicts: Counter<'stream_type'>;
  readonly commands: Counter<'command' | 'outcome'>;
}
