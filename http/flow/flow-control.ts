import { Counter, Gauge, type Registry } from 'prom-client';
import { KeyedBuckets, TokenBucket } from './token-bucket';
import type { FlowRules, RateLimit } from './rules';

/** What admission looks at in a request; the HTTP edge fills it in. */
export interface FlowRequest {
  /** the request's operationId; requests outside the API (health, metrics) are never limited */
  readonly operation: string;
  /** the API key that made it (`key:<n>`), or the client address on an engine without keys */
  readonly client: string;
  /** the customer of a placement */
  readonly customerId?: string;
  /** the SKUs of a placement (each once) */
  readonly skus?: readonly string[];
}

/** How far behind the engine is, sampled a few times a second (see `PressureSampler`). */
export interface Pressure {
  /** events appended but not yet handled by the sagas or every projection */
  readonly backlog: number;
  /** how long ago the oldest of those was appended (0: none waits); the lag the consumers run behind */
  readonly lagMs: number;
  /** the event loop's delay that lasted: the lowest p99 of the sample windows in the last second */
  readonly eventLoopDelayMs: number;
}

export interface Refusal {
  readonly admitted: false;
  /** 429: a limit of the rules; 503: the engine sheds load */
  readonly status: 429 | 503;
  /** the rule that refused, as in the metrics: `operation:placeOrder`, `concurrent:placeOrder`, `hotSku`, … */
  readonly rule: string;
  readonly retryAfterSeconds: number;
  readonly detail: string;
}

export interface Admitted {
  readonly admitted: true;
  /** call once the answer is sent (frees the concurrency slot) */
  release(): void;
}

export type Admission = Admitted | Refusal;

/** Totals since the process started, for the dashboard (it turns them into rates). */
export interface FlowTotals {
  readonly admitted: number;
  /** refusals by rule */
  readonly refused: Readonly<Record<string, number>>;
  readonly pressure: Pressure | undefined;
}

export interface FlowControlOptions {
  readonly rules: FlowRules;
  /** ms; injected by tests */
  readonly now?: () => number;
  readonly pressure?: () => Pressure;
  readonly registry?: Registry;
}

interface Limiters {
  readonly operations: ReadonlyMap<string, { readonly rate?: TokenBucket; readonly concurrent?: number }>;
  readonly perKey?: KeyedBuckets;
  readonly perCustomer?: KeyedBuckets;
  readonly hotSku?: KeyedBuckets;
  readonly shed: ReadonlySet<string>;
}

const burstOf = (limit: { readonly perSecond: number; readonly burst?: number }): number =>
  limit.burst ?? limit.perSecond;

const keyed = (limit: RateLimit | undefined, now: number): KeyedBuckets | undefined =>
  limit === undefined ? undefined : new KeyedBuckets(limit.perSecond, burstOf(limit), now);

const limitersOf = (rules: FlowRules, now: number): Limiters => ({
  operations: new Map(
    (rules.operations ?? []).map((rule) => [
      rule.operation,
      {
        ...(rule.perSecond === undefined
          ? {}
          : { rate: new TokenBucket(rule.perSecond, rule.burst ?? rule.perSecond, now) }),
        ...(rule.concurrent === undefined ? {} : { concurrent: rule.concurrent }),
      },
    ]),
  ),
  perKey: keyed(rules.perKey, now),
  perCustomer: keyed(rules.perCustomer, now),
  hotSku: keyed(rules.hotSku, now),
  shed: new Set(rules.shedding?.operations ?? ['placeOrder']),
});

const secondsOf = (ms: number): number => Math.max(1, Math.ceil(ms / 1000));

interface FlowMetrics {
  readonly decisions: Counter<'rule' | 'outcome'>;
  /** the in-flight counts the gauge reads: the latest flow control on this registry */
  inFlight: ReadonlyMap<string, number>;
}

// one set per registry: a second flow control on the same registry (tests, a restarted server) reuses it
const perRegistry = new WeakMap<Registry, FlowMetrics>();

const flowMetrics = (registry: Registry, inFlight: ReadonlyMap<string, number>): Counter<'rule' | 'outcome'> => {
  const known = perRegistry.get(registry);
  if (known !== undefined) {
    known.inFlight = inFlight;
    return known.decisions;
  }
  const metrics: FlowMetrics = {
    decisions: new Counter({
      name: 'flow_decisions_total',
      help: 'Requests each flow-control rule let pass or blocked',
      labelNames: ['rule', 'outcome'],
      registers: [registry],
    }),
    inFlight,
  };
  new Gauge({
    name: 'flow_in_flight',
    help: 'Requests in flight per operation with a concurrency rule',
    labelNames: ['operation'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [operation, n] of metrics.inFlight) this.set({ operation }, n);
    },
  });
  perRegistry.set(registry, metrics);
  return metrics.decisions;
};

/**
 * Admission at the API edge, Sentinel-style: per-operation rates and concurrency, rates per API key, per customer
 * and per SKU of a placement (the hot parameter), and adaptive shedding of the operations marked sheddable while the
 * engine falls behind. A request is checked against every rule before any token is taken, so a refused request
 * costs no rule a token; refusals happen before the command runs, so nothing is appended for them.
 */
export class FlowControl {
  private current: FlowRules;
  private limiters: Limiters;
  private readonly inFlight = new Map<string, number>();
  private readonly now: () => number;
  private readonly pressure: (() => Pressure) | undefined;
  private readonly decisions: Counter<'rule' | 'outcome'> | undefined;
  private admittedTotal = 0;
  private readonly refusedTotal = new Map<string, number>();

  constructor(options: FlowControlOptions) {
    this.now = options.now ?? Date.now;
    this.pressure = options.pressure;
    this.current = options.rules;
    this.limiters = limitersOf(options.rules, this.now());
    this.decisions = options.registry === undefined ? undefined : flowMetrics(options.registry, this.inFlight);
  }

  get rules(): FlowRules {
    return this.current;
  }

  totals(): FlowTotals {
    return {
      admitted: this.admittedTotal,
      refused: Object.fromEntries(this.refusedTotal),
      pressure: this.pressure?.(),
    };
  }

  /** New rules apply to the next request; buckets start full, requests in flight keep their slots. */
  replace(rules: FlowRules): void {
    this.current = rules;
    this.limiters = limitersOf(rules, this.now());
  }

  admit(request: FlowRequest): Admission {
    const now = this.now();
    const { operation } = request;
    const limits = this.limiters;
    const shed = this.shedding(operation);
    if (shed !== undefined) return shed;

    const buckets: { readonly rule: string; readonly bucket: TokenBucket; readonly what?: string }[] = [];
    const own = limits.operations.get(operation);
    if (own?.rate !== undefined) buckets.push({ rule: `operation:${operation}`, bucket: own.rate });
    if (limits.perKey !== undefined) buckets.push({ rule: 'perKey', bucket: limits.perKey.get(request.client, now) });
    if (limits.perCustomer !== undefined && request.customerId !== undefined) {
      buckets.push({ rule: 'perCustomer', bucket: limits.perCustomer.get(request.customerId, now) });
    }
    if (limits.hotSku !== undefined) {
      for (const sku of request.skus ?? []) {
        buckets.push({ rule: 'hotSku', bucket: limits.hotSku.get(sku, now), what: ` for SKU ${sku}` });
      }
    }
    for (const { rule, bucket, what = '' } of buckets) {
      const waitMs = bucket.waitMs(now);
      if (waitMs > 0) {
        return this.refuse(
          429,
          rule,
          secondsOf(waitMs),
          `${operation}: over the ${rule} limit of ${bucket.perSecond}/s${what}`,
        );
      }
    }
    const concurrent = own?.concurrent;
    const running = this.inFlight.get(operation) ?? 0;
    if (concurrent !== undefined && running >= concurrent) {
      return this.refuse(
        429,
        `concurrent:${operation}`,
        1,
        `${operation}: ${running} requests in flight, at most ${concurrent}`,
      );
    }
    for (const { rule, bucket } of buckets) {
      bucket.take(now);
      this.decisions?.inc({ rule, outcome: 'passed' });
    }
    this.admittedTotal += 1;
    if (concurrent === undefined) return { admitted: true, release: () => undefined };
    this.inFlight.set(operation, running + 1);
    this.decisions?.inc({ rule: `concurrent:${operation}`, outcome: 'passed' });
    let released = false;
    return {
      admitted: true,
      release: () => {
        if (released) return;
        released = true;
        this.inFlight.set(operation, (this.inFlight.get(operation) ?? 1) - 1);
      },
    };
  }

  private shedding(operation: string): Refusal | undefined {
    const rule = this.current.shedding;
    if (this.pressure === undefined || !this.limiters.shed.has(operation)) return undefined;
    const { backlog, lagMs, eventLoopDelayMs } = this.pressure();
    const retry = rule?.retryAfterSeconds ?? 1;
    const maxLag = rule?.maxLagMs;
    if (maxLag !== undefined && lagMs > maxLag) {
      return this.refuse(
        503,
        'shedding:lag',
        retry,
        `the engine is behind: the sagas or projections run ${Math.round(lagMs)} ms behind (limit ${maxLag}); ${operation} is refused until they catch up`,
      );
    }
    const maxBacklog = rule?.maxBacklog;
    const maxDelay = rule?.maxEventLoopDelayMs;
    if (maxBacklog !== undefined && backlog > maxBacklog) {
      return this.refuse(
        503,
        'shedding:backlog',
        retry,
        `the engine is behind: ${backlog} events wait for the sagas or projections (limit ${maxBacklog}); ${operation} is refused until they catch up`,
      );
    }
    if (maxDelay !== undefined && eventLoopDelayMs > maxDelay) {
      return this.refuse(
        503,
        'shedding:eventLoopDelay',
        retry,
        `the engine is overloaded: its event loop lags ${Math.round(eventLoopDelayMs)} ms (limit ${maxDelay}); ${operation} is refused until it recovers`,
      );
    }
    return undefined;
  }

  private refuse(status: 429 | 503, rule: string, retryAfterSeconds: number, detail: string): Refusal {
    this.decisions?.inc({ rule, outcome: 'blocked' });
    this.refusedTotal.set(rule, (this.refusedTotal.get(rule) ?? 0) + 1);
    return { admitted: false, status, rule, retryAfterSeconds, detail };
  }
}
