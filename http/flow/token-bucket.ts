/**
 * A token bucket: `perSecond` tokens flow in continuously up to `burst`; a request takes one. Pure over the times it
 * is given (ms), so limits are tested with an injected clock.
 */
export class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(
    readonly perSecond: number,
    readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.at = now;
  }

  /** ms until one token is available (0: one is available now). */
  waitMs(now: number): number {
    this.refill(now);
    // less a hair: float residue must not round a wait of exactly 1 ms up to 2
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) * 1000) / this.perSecond - 1e-9);
  }

  /** Takes one token; call after `waitMs` answered 0. */
  take(now: number): void {
    this.refill(now);
    this.tokens -= 1;
  }

  /** Full again (no request for a whole burst's time): nothing is lost by forgetting the bucket. */
  idle(now: number): boolean {
    this.refill(now);
    return this.tokens >= this.burst;
  }

  private refill(now: number): void {
    if (now <= this.at) return;
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) * this.perSecond) / 1000);
    this.at = now;
  }
}

/**
 * Buckets by key (an API key, a customer, a SKU), created on first use. Full buckets are swept now and then, so a
 * million one-off customers do not stay in memory: a full bucket behaves exactly like a new one.
 */
export class KeyedBuckets {
  private readonly buckets = new Map<string, TokenBucket>();
  private sweptAt: number;

  constructor(
    readonly perSecond: number,
    readonly burst: number,
    now: number,
    private readonly sweepEveryMs = 10_000,
  ) {
    this.sweptAt = now;
  }

  get(key: string, now: number): TokenBucket {
    if (now - this.sweptAt >= this.sweepEveryMs) this.sweep(now);
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      bucket = new TokenBucket(this.perSecond, this.burst, now);
      this.buckets.set(key, bucket);
    }
    return bucket;
  }

  get size(): number {
    return this.buckets.size;
  }

  private sweep(now: number): void {
    this.sweptAt = now;
    for (const [key, bucket] of this.buckets) if (bucket.idle(now)) this.buckets.delete(key);
  }
}
