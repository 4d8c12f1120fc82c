import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { Gauge, type Registry } from 'prom-client';
import type { Pressure } from './flow-control';

export interface Backlog {
  /** events appended but not yet handled by every consumer */
  readonly events: number;
  /** ms since the oldest of them was appended; undefined where the source cannot tell */
  readonly lagMs?: number;
}

export interface PressureSamplerOptions {
  /** what waits for the sagas or projections (lagMs where known); undefined while unknown */
  readonly backlog: () => Promise<Backlog | undefined>;
  readonly everyMs?: number;
  /** read the backlog at most this often (default: every sample); for a backlog that costs the servers to read */
  readonly backlogEveryMs?: number;
  readonly now?: () => number;
  readonly registry?: Registry;
}

/** windows of `everyMs` (200 ms by default) a lag must last through before it counts: a second */
const SUSTAINED_WINDOWS = 5;

/**
 * Samples how far behind the engine is a few times a second, off the request path: admission reads the last sample,
 * so a refusal costs no query. The event-loop delay is the p99 of Node's own histogram over each window.
 *
 * The backlog is read only while someone asks (admission read a sample since the last read) or while it is not yet
 * drained: an idle process asks its servers nothing, and its `engine_backlog_events` stays at the last value read
 * (0 once drained).
 */
export class PressureSampler {
  private last: Pressure = { backlog: 0, lagMs: 0, eventLoopDelayMs: 0 };
  /** the p99 of each of the last windows: the delay reported is the lowest, so only a sustained lag counts */
  private readonly delays: number[] = [];
  private readonly histogram: IntervalHistogram;
  private readonly timer: NodeJS.Timeout;
  private sampling = false;
  private asked = false;
  private backlogReadAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: PressureSamplerOptions) {
    this.histogram = monitorEventLoopDelay({ resolution: 10 });
    this.histogram.enable();
    this.timer = setInterval(() => {
      void this.sample();
    }, options.everyMs ?? 200);
    this.timer.unref();
    if (options.registry !== undefined) this.gauges(options.registry);
  }

  current(): Pressure {
    this.asked = true;
    return this.last;
  }

  stop(): void {
    clearInterval(this.timer);
    this.histogram.disable();
  }

  /** One sample now (the timer takes one every `everyMs`); a sample still running makes this one a no-op. */
  async sample(): Promise<void> {
    if (this.sampling) return;
    this.sampling = true;
    try {
      this.delays.push(this.histogram.count > 0 ? this.histogram.percentile(99) / 1e6 : 0);
      this.histogram.reset();
      if (this.delays.length > SUSTAINED_WINDOWS) this.delays.shift();
      // one garbage collection or one long batch is no overload: the loop must lag in every window of the last second
      const eventLoopDelayMs = Math.min(...this.delays);
      const backlog = this.backlogDue()
        ? await this.readBacklog()
        : { events: this.last.backlog, lagMs: this.last.lagMs };
      this.last = {
        backlog: backlog?.events ?? this.last.backlog,
        lagMs: backlog === undefined ? this.last.lagMs : (backlog.lagMs ?? 0),
        eventLoopDelayMs,
      };
    } finally {
      this.sampling = false;
    }
  }

  private backlogDue(): boolean {
    const now = (this.options.now ?? Date.now)();
    if (!this.asked && this.last.backlog === 0 && this.last.lagMs === 0) return false;
    return now - this.backlogReadAt >= (this.options.backlogEveryMs ?? 0);
  }

  private readBacklog(): Promise<Backlog | undefined> {
    this.asked = false;
    this.backlogReadAt = (this.options.now ?? Date.now)();
    return this.options.backlog().catch(() => undefined);
  }

  private gauges(registry: Registry): void {
    const read = (): Pressure => this.last;
    for (const [name, help, value] of [
      ['engine_backlog_events', 'Events appended but not yet handled by the sagas or every projection', 'backlog'],
      ['engine_lag_ms', 'How long ago the oldest event not yet handled by every consumer was appended', 'lagMs'],
      [
        'event_loop_delay_p99_ms',
        'The serving event loop’s delay, p99 over the last sample window',
        'eventLoopDelayMs',
      ],
    ] as const) {
      if (registry.getSingleMetric(name) !== undefined) registry.removeSingleMetric(name);
      new Gauge({
        name,
        help,
        registers: [registry],
        collect() {
          this.set(read()[value]);
        },
      });
    }
  }
}
