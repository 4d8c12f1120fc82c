import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Metrics } from '../../ports/metrics';

export const createMetrics = (withDefaults = true): Metrics => {
  const registry = new Registry();
  if (withDefaults) collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpRequests: new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests by method, route and status',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request latency',
      labelNames: ['method', 'route'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    eventsAppended: new Counter({
      name: 'events_appended_total',
      help: 'Events appended to the event store',
      labelNames: ['stream_type'],
      registers: [registry],
    }),
    appendConflicts: new Counter({
      name: 'append_conflicts_total',
      help: 'Optimistic concurrency conflicts on append (each retry counts)',
      labelNames: ['stream_type'],
      registers: [registry],
    }),
    commands: new Counter({
      name: 'commands_total',
      help: 'Commands handled by outcome (accepted, duplicate, rejected, conflict)',
      labelNames: ['command', 'outcome'],
      registers: [registry],
    }),
  };
};
