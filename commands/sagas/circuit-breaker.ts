import type {
  AuthorizeRequest,
  AuthorizeResult,
  CaptureRequest,
  CaptureResult,
  PaymentProvider,
  RefundRequest,
  RefundResult,
  VoidRequest,
  VoidResult,
} from '../../ports/payment-provider';

export type BreakerState = 'closed' | 'open' | 'half_open';

export interface BreakerSettings {
  /** the window calls are judged over */
  readonly windowMs: number;
  /** calls the window must hold before it can open the breaker (a few early errors are no outage) */
  readonly minCalls: number;
  /** share of failed calls (provider errors, exceptions) in the window that opens it, 0..1 */
  readonly errorRatio: number;
  /** a call slower than this counts as slow */
  readonly slowCallMs: number;
  /** share of slow calls in the window that opens it, 0..1 */
  readonly slowRatio: number;
  /** how long it stays open before letting probes through */
  readonly openMs: number;
  /** calls let through at once while half open; all must succeed to close it */
  readonly probes: number;
}

/** A short window, so an outage opens it within a second or two even after a long run of good calls. */
export const defaultBreakerSettings: BreakerSettings = {
  windowMs: 2_000,
  minCalls: 10,
  errorRatio: 0.5,
  slowCallMs: 2_000,
  slowRatio: 0.8,
  openMs: 5_000,
  probes: 3,
};

export type CallOutcome = 'ok' | 'error';

export type Permit =
  | { readonly go: true; done(outcome: CallOutcome, elapsedMs: number): void }
  | { readonly go: false; readonly waitMs: number };

interface Call {
  readonly at: number;
  readonly failed: boolean;
  readonly slow: boolean;
}

/**
 * A circuit breaker (closed → open → half open → closed), on the clock it is given:
 * - closed: every call goes; once the window holds `minCalls` and the error or slow-call share passes its ratio,
 *   it opens;
 * - open: no call goes for `openMs`; callers are told how long to wait;
 * - half open: `probes` calls go; one failure opens it again, all succeeding close it with a fresh window.
 */
export class CircuitBreaker {
  private current: BreakerState = 'closed';
  /** the window's calls from `first` on (older ones are dropped in bulk), with running counts of the bad ones */
  private calls: Call[] = [];
  private first = 0;
  private failedCalls = 0;
  private slowCalls = 0;
  private openedAt = 0;
  private probesOut = 0;
  private probesPassed = 0;

  constructor(
    readonly settings: BreakerSettings,
    private readonly now: () => number,
    private readonly onChange: (from: BreakerState, to: BreakerState) => void = () => undefined,
  ) {}

  get state(): BreakerState {
    if (this.current === 'open' && this.now() - this.openedAt >= this.settings.openMs) this.move('half_open');
    return this.current;
  }

  permit(): Permit {
    switch (this.state) {
      case 'open':
        return { go: false, waitMs: Math.max(1, this.settings.openMs - (this.now() - this.openedAt)) };
      case 'half_open': {
        if (this.probesOut >= this.settings.probes)
          return { go: false, waitMs: Math.max(50, this.settings.openMs / 10) };
        this.probesOut += 1;
        return {
          go: true,
          done: (outcome, elapsedMs) => {
            this.probed(outcome, elapsedMs);
          },
        };
      }
      case 'closed':
        return {
          go: true,
          done: (outcome, elapsedMs) => {
            this.record(outcome, elapsedMs);
          },
        };
    }
  }

  private record(outcome: CallOutcome, elapsedMs: number): void {
    const now = this.now();
    if (this.current !== 'closed') return;
    const call: Call = { at: now, failed: outcome === 'error', slow: elapsedMs >= this.settings.slowCallMs };
    this.calls.push(call);
    if (call.failed) this.failedCalls += 1;
    if (call.slow) this.slowCalls += 1;
    // O(1) per call, however many calls the window holds (thousands per window at peak rates)
    const from = now - this.settings.windowMs;
    for (let old = this.calls[this.first]; old !== undefined && old.at < from; old = this.calls[this.first]) {
      if (old.failed) this.failedCalls -= 1;
      if (old.slow) this.slowCalls -= 1;
      this.first += 1;
    }
    if (this.first > 1_024 && this.first * 2 > this.calls.length) {
      this.calls = this.calls.slice(this.first);
      this.first = 0;
    }
    const length = this.calls.length - this.first;
    if (length < this.settings.minCalls) return;
    if (this.failedCalls / length >= this.settings.errorRatio || this.slowCalls / length >= this.settings.slowRatio)
      this.open();
  }

  private clearWindow(): void {
    this.calls = [];
    this.first = 0;
    this.failedCalls = 0;
    this.slowCalls = 0;
  }

  private probed(outcome: CallOutcome, elapsedMs: number): void {
    if (this.current !== 'half_open') return;
    if (outcome === 'error' || elapsedMs >= this.settings.slowCallMs) {
      this.open();
      return;
    }
    this.probesPassed += 1;
    if (this.probesPassed >= this.settings.probes) {
      this.clearWindow();
      this.move('closed');
    }
  }

  private open(): void {
    this.openedAt = this.now();
    this.move('open');
  }

  private move(to: BreakerState): void {
    const from = this.current;
    if (from === to) return;
    this.current = to;
    this.probesOut = 0;
    this.probesPassed = 0;
    this.onChange(from, to);
  }
}

/**
 * The payment provider behind a breaker: while it is open, a call waits (with `pause`, which rejects when the saga
 * runner stops) until the breaker lets it through, instead of calling a provider that is down. Provider errors and
 * exceptions count as failures; declines and failed refunds are answers, not failures.
 */
export const guardedProvider = (
  provider: PaymentProvider,
  breaker: CircuitBreaker,
  pause: (ms: number) => Promise<void>,
  now: () => number,
): PaymentProvider => {
  const call = async <R>(run: () => Promise<R>, failed: (result: R) => boolean): Promise<R> => {
    for (;;) {
      const permit = breaker.permit();
      if (!permit.go) {
        await pause(permit.waitMs);
        continue;
      }
      const started = now();
      try {
        const result = await run();
        permit.done(failed(result) ? 'error' : 'ok', now() - started);
        return result;
      } catch (error) {
        permit.done('error', now() - started);
        throw error;
      }
    }
  };
  const providerError = (result: { readonly result: string }): boolean => result.result === 'provider_error';
  return {
    authorize: (request: AuthorizeRequest): Promise<AuthorizeResult> =>
      call(() => provider.authorize(request), providerError),
    capture: (request: CaptureRequest): Promise<CaptureResult> => call(() => provider.capture(request), providerError),
    void: (request: VoidRequest): Promise<VoidResult> => call(() => provider.void(request), providerError),
    refund: (request: RefundRequest): Promise<RefundResult> =>
      call(
        () => provider.refund(request),
        () => false,
      ),
  };
};
