import type { Logger } from '../../ports/logger';
import type { Clock } from '../../ports/clock';
import type { Submitted } from './runner';
import type { SagaStateStore, Timer } from '../../ports/saga-state';

export interface SagaSchedulerOptions {
  readonly state: SagaStateStore;
  readonly clock: Clock;
  readonly logger: Logger;
  /** feeds one due timer to its saga and drops it from the table */
  readonly fire: (timer: Timer) => Promise<Submitted>;
  /** timers fired per round; a tick keeps going round while timers are due */
  readonly batchSize?: number;
  /** how long a timer this scheduler fires stays claimed: another runner fires it after that if this one died */
  readonly claimMs?: number;
}

export interface TickResult {
  /** timers fed to their sagas */
  readonly fired: number;
  /** resolves once the commands of the saga events those firings caused were sent */
  readonly dispatched: Promise<void>;
}

/**
 * Fires saga deadlines from the durable timer table by the injected clock. A deadline fires at most once
 * effectively: the saga ignores an early or stale firing, and the timer row goes once its firing was handled. The
 * timers a tick fires are claimed, so the schedulers of other runners sharing the table leave them alone.
 * `tick()` is what the production interval calls, and what tests call after moving a ManualClock.
 */
export class SagaScheduler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<TickResult> | undefined;
  private stopped = false;

  constructor(private readonly options: SagaSchedulerOptions) {}

  /** Ticks every `intervalMs` on real time (the clock decides what is due). */
  start(intervalMs: number): void {
    if (this.timer !== undefined || this.stopped) return;
    this.timer = setInterval(() => {
      this.tick().catch((error: unknown) => {
        this.options.logger.error({ err: error }, 'saga scheduler: tick failed');
      });
    }, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Fires every timer due by the clock's now; one tick at a time (a tick asked for meanwhile joins it). */
  tick(): Promise<TickResult> {
    if (this.stopped) return Promise.resolve({ fired: 0, dispatched: Promise.resolve() });
    this.running ??= this.fireDue().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async fireDue(): Promise<TickResult> {
    const batchSize = this.options.batchSize ?? 500;
    const dispatched: Promise<void>[] = [];
    let fired = 0;
    // a firing can set a deadline that is due at once (a zero backoff): go round while there are due timers
    for (let round = 0; round < 100 && !this.stopped; round++) {
      const now = this.options.clock.now().getTime();
      const due = await this.options.state.claimDueTimers(now, batchSize, this.options.claimMs ?? 15_000);
      if (due.length === 0) break;
      const submitted = await Promise.all(due.map((timer) => this.options.fire(timer)));
      fired += due.length;
      dispatched.push(...submitted.map((s) => s.dispatched));
    }
    return { fired, dispatched: Promise.all(dispatched).then(() => undefined) };
  }
}
