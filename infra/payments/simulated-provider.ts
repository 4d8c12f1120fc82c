import type { Money, OrderId } from '../../domain/shared';
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
import { seededRandom } from './seeded-random';

/** Stripe-like test tokens the simulated provider understands; any other token is declined as `invalid_token`. */
export const simulatedTokens = {
  /** approved */
  approve: 'tok_approve',
  /** approved, like Stripe's test card */
  visa: 'tok_visa',
  /** declined with `card_declined` */
  decline: 'tok_decline',
  /** a provider error; approved after `errorSucceedsAfter` failures for the order when that is set */
  error: 'tok_error',
  /** approved, but only after `slowResponseMs` */
  slow: 'tok_slow',
  /** approved; its refunds fail (after `errorSucceedsAfter` failures they succeed, when that is set) */
  refundFail: 'tok_refund_fail',
} as const;

export interface SimulatedProviderOptions {
  /** seeded PRNG in [0, 1) for latency and failures; never Math.random, so load runs reproduce */
  readonly random?: () => number;
  /** how the provider waits; tests pass one that resolves at once and records the delays */
  readonly sleep?: (ms: number) => Promise<void>;
  /** every call waits a random time in this range first */
  readonly latencyMs?: { readonly min: number; readonly max: number };
  /** chance that a call fails as a provider error whatever the token (an outage) */
  readonly failureRate?: number;
  /** `tok_error` (and `tok_refund_fail` refunds) fail this many times per order, then succeed; unset: always fail */
  readonly errorSucceedsAfter?: number;
  /** how long `tok_slow` takes to answer; set it at or above the saga's payment timeout */
  readonly slowResponseMs?: number;
  /** idempotency keys (and orders) remembered; the oldest are forgotten beyond this */
  readonly maxRememberedKeys?: number;
  /** a scheduled outage: every call fails as a provider error from `afterMs` after creation, for `forMs` */
  readonly outage?: { readonly afterMs: number; readonly forMs: number };
  /** ms on a monotonic clock, for the scheduled outage (tests inject one) */
  readonly now?: () => number;
}

export interface LedgerEntry {
  readonly kind: 'authorized' | 'captured' | 'voided' | 'refunded';
  readonly orderId: OrderId;
  readonly amount: Money;
  /** authorization id, or provider refund id */
  readonly reference: string;
}

interface Charge {
  readonly authorizationId: string;
  readonly amount: Money;
  readonly token: string;
  captured: number;
  refunded: number;
  voided: boolean;
}

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A map that forgets its oldest entries beyond `max`, so a long load run does not grow without bound. */
class BoundedMap<K, V> {
  private readonly entries = new Map<K, V>();
  constructor(private readonly max: number) {}
  get(key: K): V | undefined {
    return this.entries.get(key);
  }
  set(key: K, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    for (const oldest of this.entries.keys()) {
      if (this.entries.size <= this.max) break;
      this.entries.delete(oldest);
    }
  }
  get size(): number {
    return this.entries.size;
  }
}

interface Remembered<R> {
  readonly fingerprint: string;
  readonly answer: Promise<R>;
}

/**
 * The default payment provider adapter: in memory, deterministic for a given seed and call order. Answers are
 * remembered per idempotency key (the promise itself, so concurrent repeats share one call), which is what makes
 * a repeated call never charge or refund twice.
 */
export class SimulatedPaymentProvider implements PaymentProvider {
  private readonly random: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly latency: { readonly min: number; readonly max: number };
  private readonly failureRate: number;
  private readonly errorSucceedsAfter: number | undefined;
  private readonly slowResponseMs: number;
  private readonly authorizations: BoundedMap<string, Remembered<AuthorizeResult>>;
  private readonly captures: BoundedMap<string, Remembered<CaptureResult>>;
  private readonly voids: BoundedMap<string, Remembered<VoidResult>>;
  private readonly refunds: BoundedMap<string, Remembered<RefundResult>>;
  private readonly charges: BoundedMap<OrderId, Charge>;
  private readonly failures: BoundedMap<string, number>;
  private readonly entries: LedgerEntry[] = [];
  private readonly maxRemembered: number;
  private readonly down: { readonly from: number; readonly until: number } | undefined;
  private readonly now: () => number;
  private sequence = 0;

  constructor(options: SimulatedProviderOptions = {}) {
    this.random = options.random ?? seededRandom(1);
    this.sleep = options.sleep ?? realSleep;
    this.latency = options.latencyMs ?? { min: 0, max: 0 };
    this.failureRate = options.failureRate ?? 0;
    this.errorSucceedsAfter = options.errorSucceedsAfter;
    this.slowResponseMs = options.slowResponseMs ?? 20 * 60_000;
    this.maxRemembered = options.maxRememberedKeys ?? 100_000;
    this.now = options.now ?? (() => performance.now());
    const started = this.now();
    this.down =
      options.outage === undefined
        ? undefined
        : { from: started + options.outage.afterMs, until: started + options.outage.afterMs + options.outage.forMs };
    if (this.latency.min < 0 || this.latency.max < this.latency.min) {
      throw new RangeError(`latencyMs needs 0 ≤ min ≤ max, got ${this.latency.min}..${this.latency.max}`);
    }
    if (this.failureRate < 0 || this.failureRate > 1) throw new RangeError('failureRate must be within 0..1');
    if (this.maxRemembered < 1) throw new RangeError('maxRememberedKeys must be at least 1');
    this.authorizations = new BoundedMap(this.maxRemembered);
    this.captures = new BoundedMap(this.maxRemembered);
    this.voids = new BoundedMap(this.maxRemembered);
    this.refunds = new BoundedMap(this.maxRemembered);
    this.charges = new BoundedMap(this.maxRemembered);
    this.failures = new BoundedMap(this.maxRemembered);
  }

  /** Money the provider actually moved, oldest first (bounded like the keys): a repeat adds nothing here. */
  ledger(): readonly LedgerEntry[] {
    return [...this.entries];
  }

  authorize(request: AuthorizeRequest): Promise<AuthorizeResult> {
    const { idempotencyKey, ...parameters } = request;
    return this.once(this.authorizations, idempotencyKey, parameters, () => this.decideAuthorization(request), {
      result: 'provider_error',
      message: `idempotency key ${idempotencyKey} was used for a different authorization`,
    });
  }

  capture(request: CaptureRequest): Promise<CaptureResult> {
    const { idempotencyKey, ...parameters } = request;
    return this.once(this.captures, idempotencyKey, parameters, () => this.decideCapture(request), {
      result: 'provider_error',
      message: `idempotency key ${idempotencyKey} was used for a different capture`,
    });
  }

  void(request: VoidRequest): Promise<VoidResult> {
    const { idempotencyKey, ...parameters } = request;
    return this.once(this.voids, idempotencyKey, parameters, () => this.decideVoid(request), {
      result: 'provider_error',
      message: `idempotency key ${idempotencyKey} was used for a different void`,
    });
  }

  refund(request: RefundRequest): Promise<RefundResult> {
    const { idempotencyKey, ...parameters } = request;
    return this.once(this.refunds, idempotencyKey, parameters, () => this.decideRefund(request), {
      result: 'failed',
      message: `idempotency key ${idempotencyKey} was used for a different refund`,
    });
  }

  private once<R>(
    remembered: BoundedMap<string, Remembered<R>>,
    key: string,
    parameters: unknown,
    call: () => Promise<R>,
    reused: R,
  ): Promise<R> {
    const fingerprint = JSON.stringify(parameters);
    const known = remembered.get(key);
    if (known) return known.fingerprint === fingerprint ? known.answer : Promise.resolve(reused);
    const answer = call();
    remembered.set(key, { fingerprint, answer });
    return answer;
  }

  private async wait(): Promise<void> {
    const { min, max } = this.latency;
    if (max === 0) return;
    await this.sleep(min + Math.floor(this.random() * (max - min + 1)));
  }

  private outage(): boolean {
    if (this.down !== undefined) {
      const now = this.now();
      if (now >= this.down.from && now < this.down.until) return true;
    }
    return this.failureRate > 0 && this.random() < this.failureRate;
  }

  /** Counts a failure for `subject`; true once the configured number of failures has been served. */
  private recovers(subject: string): boolean {
    const failedSoFar = this.failures.get(subject) ?? 0;
    if (this.errorSucceedsAfter !== undefined && failedSoFar >= this.errorSucceedsAfter) return true;
    this.failures.set(subject, failedSoFar + 1);
    return false;
  }

  private record(entry: LedgerEntry): void {
    this.entries.push(entry);
    if (this.entries.length > this.maxRemembered) this.entries.splice(0, this.entries.length - this.maxRemembered);
  }

  private approve(request: AuthorizeRequest): AuthorizeResult {
    this.sequence += 1;
    const authorizationId = `auth_sim_${this.sequence}`;
    this.charges.set(request.orderId, {
      authorizationId,
      amount: request.amount,
      token: request.token,
      captured: 0,
      refunded: 0,
      voided: false,
    });
    this.record({ kind: 'authorized', orderId: request.orderId, amount: request.amount, reference: authorizationId });
    return { result: 'approved', authorizationId };
  }

  private async decideAuthorization(request: AuthorizeRequest): Promise<AuthorizeResult> {
    await this.wait();
    if (this.outage()) return { result: 'provider_error', message: 'simulated provider outage' };
    switch (request.token) {
      case simulatedTokens.approve:
      case simulatedTokens.visa:
      case simulatedTokens.refundFail:
        return this.approve(request);
      case simulatedTokens.decline:
        return { result: 'declined', declineCode: 'card_declined' };
      case simulatedTokens.error:
        return this.recovers(`authorize/${request.orderId}`)
          ? this.approve(request)
          : { result: 'provider_error', message: 'simulated provider error' };
      case simulatedTokens.slow:
        await this.sleep(this.slowResponseMs);
        return this.approve(request);
      default:
        return { result: 'declined', declineCode: 'invalid_token' };
    }
  }

  private async decideCapture(request: CaptureRequest): Promise<CaptureResult> {
    await this.wait();
    if (this.outage()) return { result: 'provider_error', message: 'simulated provider outage' };
    const charge = this.charges.get(request.orderId);
    if (charge?.authorizationId !== request.authorizationId) {
      return {
        result: 'provider_error',
        message: `no authorization ${request.authorizationId} for order ${request.orderId}`,
      };
    }
    if (charge.voided) return { result: 'provider_error', message: 'the authorization was voided' };
    if (charge.captured > 0) return { result: 'provider_error', message: 'the authorization was already captured' };
    if (request.amount.currency !== charge.amount.currency || request.amount.amount > charge.amount.amount) {
      return { result: 'provider_error', message: 'the capture exceeds the authorization' };
    }
    charge.captured = request.amount.amount;
    this.record({
      kind: 'captured',
      orderId: request.orderId,
      amount: request.amount,
      reference: charge.authorizationId,
    });
    return { result: 'captured' };
  }

  private async decideVoid(request: VoidRequest): Promise<VoidResult> {
    await this.wait();
    if (this.outage()) return { result: 'provider_error', message: 'simulated provider outage' };
    const charge = this.charges.get(request.orderId);
    if (charge?.authorizationId !== request.authorizationId) {
      return {
        result: 'provider_error',
        message: `no authorization ${request.authorizationId} for order ${request.orderId}`,
      };
    }
    if (charge.captured > 0) return { result: 'provider_error', message: 'the authorization was already captured' };
    if (!charge.voided) {
      charge.voided = true;
      this.record({
        kind: 'voided',
        orderId: request.orderId,
        amount: charge.amount,
        reference: charge.authorizationId,
      });
    }
    return { result: 'voided' };
  }

  private async decideRefund(request: RefundRequest): Promise<RefundResult> {
    await this.wait();
    if (this.outage()) return { result: 'failed', message: 'simulated provider outage' };
    const charge = this.charges.get(request.orderId);
    if (charge === undefined || charge.voided)
      return { result: 'failed', message: `no charge to refund for order ${request.orderId}` };
    // the simulator does not insist on a capture first: the payment centre already enforces that rule
    const left = charge.amount.amount - charge.refunded;
    if (request.amount.currency !== charge.amount.currency || request.amount.amount > left) {
      return {
        result: 'failed',
        message: `the refund exceeds the ${left} ${charge.amount.currency} left on the charge`,
      };
    }
    if (
      charge.token === simulatedTokens.refundFail &&
      !this.recovers(`refund/${request.orderId}/${request.refundId}`)
    ) {
      return { result: 'failed', message: 'simulated refund failure' };
    }
    charge.refunded += request.amount.amount;
    this.sequence += 1;
    const providerRefundId = `re_sim_${this.sequence}`;
    this.record({ kind: 'refunded', orderId: request.orderId, amount: request.amount, reference: providerRefundId });
    return { result: 'refunded', providerRefundId };
  }
}
