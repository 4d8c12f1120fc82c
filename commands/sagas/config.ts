import { resolve } from 'node:path';
import type { FulfilmentConfig, RefundConfig } from '../../domain/sagas';
import { defaultBreakerSettings, type BreakerSettings } from './circuit-breaker';

/** Saga runner and payment-provider settings from environment variables; every problem is reported at once. */
export interface SagaSettings {
  /** from placement until the order must be paid (PAYMENT_TIMEOUT_MS) */
  readonly paymentTimeoutMs: number;
  /** reservation lifetime; must exceed the payment timeout (RESERVATION_TTL_MS) */
  readonly reservationTtlMs: number;
  /** provider retries after the first attempt (PROVIDER_RETRIES) */
  readonly providerRetries: number;
  /** wait before retry 1, 2, …; the last value repeats (PROVIDER_BACKOFF_MS, comma-separated) */
  readonly providerBackoffMs: readonly number[];
  readonly simulator: SimulatorSettings;
  /** how often the scheduler looks for due deadlines (SAGA_TICK_MS) */
  readonly tickIntervalMs: number;
  /**
   * How long a runner's unfinished dispatch step or claimed timer is left to it before another runner takes it over
   * (SAGA_TAKEOVER_MS): with runners sharing saga state, the longest a dead runner's outbox waits (plus a third)
   */
  readonly takeoverMs: number;
  /** saga instances processed at once; one saga's inputs always run one after another (SAGA_CONCURRENCY) */
  readonly concurrency: number;
  /** attempts at one saga input before it goes to the dead letters (SAGA_INPUT_ATTEMPTS) */
  readonly inputAttempts: number;
  /** SQLite file for deadline timers and the dispatch log (SAGA_DB_PATH) */
  readonly statePath: string;
  /** SQLite file for dead letters, shared by the saga runner, projections and `commerce dlq` (DEAD_LETTER_DB_PATH) */
  readonly deadLetterPath: string;
  /** the circuit breaker around the payment provider (PROVIDER_BREAKER_*); undefined: PROVIDER_BREAKER=off */
  readonly breaker: BreakerSettings | undefined;
  /** where the payment provider answers (PAYMENT_PROVIDER_*); without a URL, each process runs its own simulator */
  readonly paymentProvider: PaymentProviderSettings;
}

export interface PaymentProviderSettings {
  /**
   * PAYMENT_PROVIDER_URL: the base URL of one provider every saga runner shares (`commerce payment-simulator`, or a
   * real provider's adapter), without a trailing slash; undefined: the in-process simulator
   */
  readonly url: string | undefined;
  /** PAYMENT_PROVIDER_KEY: sent as `Authorization: Bearer <key>` when set */
  readonly apiKey: string | undefined;
  /** PAYMENT_PROVIDER_TIMEOUT_MS: a call without an answer in this time is a provider error (retried) */
  readonly timeoutMs: number;
}

export interface SimulatorSettings {
  /** SIM_LATENCY_MS: `50` or `20-80` */
  readonly latencyMs: { readonly min: number; readonly max: number };
  /** SIM_FAILURE_RATE in 0..1 */
  readonly failureRate: number;
  /** SIM_SEED */
  readonly seed: number;
  /** SIM_ERROR_SUCCEEDS_AFTER: `tok_error` fails this many times per order, then succeeds; unset: always fails */
  readonly errorSucceedsAfter: number | undefined;
  /** SIM_SLOW_MS: how long `tok_slow` takes; defaults to 5 minutes past the payment timeout */
  readonly slowMs: number;
  /** SIM_OUTAGE: `30s` (from the start) or `30s@10s` (after 10 s): every call fails as a provider error meanwhile */
  readonly outage: { readonly afterMs: number; readonly forMs: number } | undefined;
}

export class SagaConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid saga configuration: ${problems.join('; ')}`);
    this.name = 'SagaConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

const DAY_MS = 24 * 60 * 60_000;

const given = (env: Env, name: string): string | undefined => {
  const raw = env[name]?.trim();
  return raw === undefined || raw === '' ? undefined : raw;
};

const wholeNumber = (
  env: Env,
  name: string,
  fallback: number,
  min: number,
  max: number,
  problems: string[],
): number => {
  const raw = given(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min || value > max) {
    problems.push(`${name}: expected a whole number in ${min}..${max}, got "${raw}"`);
    return fallback;
  }
  return value;
};

const msList = (env: Env, name: string, fallback: readonly number[], problems: string[]): readonly number[] => {
  const raw = given(env, name);
  if (raw === undefined) return fallback;
  const parts = raw.split(',').map((p) => p.trim());
  if (parts.some((p) => !/^\d{1,9}$/.test(p))) {
    problems.push(`${name}: expected comma-separated milliseconds such as "1000,5000,15000", got "${raw}"`);
    return fallback;
  }
  return parts.map(Number);
};

const latency = (env: Env, problems: string[]): { readonly min: number; readonly max: number } => {
  const raw = given(env, 'SIM_LATENCY_MS');
  if (raw === undefined) return { min: 0, max: 0 };
  const match = /^(\d{1,6})(?:\s*-\s*(\d{1,6}))?$/.exec(raw);
  const min = Number(match?.[1]);
  const max = match?.[2] === undefined ? min : Number(match[2]);
  if (match === null || max < min) {
    problems.push(`SIM_LATENCY_MS: expected milliseconds "50" or a range "20-80" (min ≤ max), got "${raw}"`);
    return { min: 0, max: 0 };
  }
  return { min, max };
};

const rate = (env: Env, name: string, problems: string[]): number => {
  const raw = given(env, name);
  if (raw === undefined) return 0;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0 || value > 1) {
    problems.push(`${name}: expected a number in 0..1, got "${raw}"`);
    return 0;
  }
  return value;
};

const optionalWholeNumber = (env: Env, name: string, max: number, problems: string[]): number | undefined =>
  given(env, name) === undefined ? undefined : wholeNumber(env, name, 0, 0, max, problems);

export interface SagaSettingsDefaults {
  /** where the SQLite files go unless SAGA_DB_PATH / DEAD_LETTER_DB_PATH say otherwise */
  readonly dataDir: string;
  /** `:memory:` event store: keep saga state in memory too */
  readonly inMemory?: boolean;
}

const DURATION = /^(\d+)(ms|s)?$/;
const durationMs = (text: string): number | undefined => {
  const match = DURATION.exec(text);
  if (match === null) return undefined;
  const value = Number(match[1]);
  return match[2] === 'ms' ? value : value * 1_000;
};

/** SIM_OUTAGE=`<for>[@<after>]`, each `30s`, `500ms` or seconds without a unit. */
const outageOf = (env: Env, problems: string[]): SimulatorSettings['outage'] => {
  const raw = given(env, 'SIM_OUTAGE');
  if (raw === undefined) return undefined;
  const [length = '', after = '0'] = raw.split('@');
  const forMs = durationMs(length);
  const afterMs = durationMs(after);
  if (forMs === undefined || afterMs === undefined || forMs === 0) {
    problems.push(`SIM_OUTAGE: expected "<duration>[@<after>]" such as "30s" or "30s@10s", got "${raw}"`);
    return undefined;
  }
  return { afterMs, forMs };
};

/** PROVIDER_BREAKER=on|off and its knobs; the defaults are `defaultBreakerSettings`. */
const breakerOf = (env: Env, problems: string[]): BreakerSettings | undefined => {
  const mode = given(env, 'PROVIDER_BREAKER') ?? 'on';
  if (mode !== 'on' && mode !== 'off') problems.push(`PROVIDER_BREAKER: expected on|off, got "${mode}"`);
  if (mode === 'off') return undefined;
  const d = defaultBreakerSettings;
  return {
    ...d,
    windowMs: wholeNumber(env, 'PROVIDER_BREAKER_WINDOW_MS', d.windowMs, 100, DAY_MS, problems),
    minCalls: wholeNumber(env, 'PROVIDER_BREAKER_MIN_CALLS', d.minCalls, 1, 1_000_000, problems),
    errorRatio:
      given(env, 'PROVIDER_BREAKER_ERROR_RATIO') === undefined
        ? d.errorRatio
        : rate(env, 'PROVIDER_BREAKER_ERROR_RATIO', problems),
    slowCallMs: wholeNumber(env, 'PROVIDER_BREAKER_SLOW_MS', d.slowCallMs, 1, DAY_MS, problems),
    openMs: wholeNumber(env, 'PROVIDER_BREAKER_OPEN_MS', d.openMs, 10, DAY_MS, problems),
  };
};

/** PAYMENT_PROVIDER_URL: http(s), no credentials (PAYMENT_PROVIDER_KEY carries the key), no query or fragment. */
const providerUrlOf = (env: Env, problems: string[]): string | undefined => {
  const raw = given(env, 'PAYMENT_PROVIDER_URL');
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    // the value is not echoed, here or below: it may hold a password
    problems.push('PAYMENT_PROVIDER_URL: expected an http(s) URL such as "http://payment-simulator:3003"');
    return undefined;
  }
  const why =
    url.protocol !== 'http:' && url.protocol !== 'https:'
      ? `expected http: or https:, got ${url.protocol}`
      : url.username !== '' || url.password !== ''
        ? 'must not carry credentials (set PAYMENT_PROVIDER_KEY)'
        : url.search !== '' || url.hash !== ''
          ? 'must not have a query or a fragment'
          : undefined;
  if (why !== undefined) {
    problems.push(`PAYMENT_PROVIDER_URL: ${why}`);
    return undefined;
  }
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
};

const paymentProviderOf = (env: Env, problems: string[]): PaymentProviderSettings => {
  const apiKey = given(env, 'PAYMENT_PROVIDER_KEY');
  if (apiKey !== undefined && !/^[\x21-\x7e]+$/.test(apiKey)) {
    problems.push('PAYMENT_PROVIDER_KEY: expected printable ASCII without spaces');
  }
  return {
    url: providerUrlOf(env, problems),
    apiKey,
    timeoutMs: wholeNumber(env, 'PAYMENT_PROVIDER_TIMEOUT_MS', 10_000, 1, 10 * 60_000, problems),
  };
};

export const loadSagaSettings = (env: Env, defaults: SagaSettingsDefaults): SagaSettings => {
  const problems: string[] = [];
  const paymentTimeoutMs = wholeNumber(env, 'PAYMENT_TIMEOUT_MS', 15 * 60_000, 1, 7 * DAY_MS, problems);
  // twice the timeout by default, so stock never lapses under an order that is still being paid
  const reservationTtlMs = wholeNumber(
    env,
    'RESERVATION_TTL_MS',
    Math.max(2 * paymentTimeoutMs, 30 * 60_000),
    1,
    30 * DAY_MS,
    problems,
  );
  if (given(env, 'RESERVATION_TTL_MS') !== undefined && reservationTtlMs <= paymentTimeoutMs) {
    problems.push(
      `RESERVATION_TTL_MS (${reservationTtlMs}) must exceed PAYMENT_TIMEOUT_MS (${paymentTimeoutMs}), ` +
        'or stock could lapse under an order that is still being paid',
    );
  }
  const providerBackoffMs = msList(env, 'PROVIDER_BACKOFF_MS', [1_000, 5_000, 15_000], problems);
  const memory = defaults.inMemory === true;
  const settings: SagaSettings = {
    paymentTimeoutMs,
    reservationTtlMs,
    providerRetries: wholeNumber(env, 'PROVIDER_RETRIES', 3, 0, 20, problems),
    providerBackoffMs,
    simulator: {
      latencyMs: latency(env, problems),
      failureRate: rate(env, 'SIM_FAILURE_RATE', problems),
      seed: wholeNumber(env, 'SIM_SEED', 1, 0, 2 ** 32 - 1, problems),
      errorSucceedsAfter: optionalWholeNumber(env, 'SIM_ERROR_SUCCEEDS_AFTER', 1_000, problems),
      slowMs: wholeNumber(env, 'SIM_SLOW_MS', paymentTimeoutMs + 5 * 60_000, 0, 7 * DAY_MS, problems),
      outage: outageOf(env, problems),
    },
    tickIntervalMs: wholeNumber(env, 'SAGA_TICK_MS', 1_000, 10, 60_000, problems),
    takeoverMs: wholeNumber(env, 'SAGA_TAKEOVER_MS', 15_000, 100, DAY_MS, problems),
    concurrency: wholeNumber(env, 'SAGA_CONCURRENCY', 32, 1, 1_000, problems),
    inputAttempts: wholeNumber(env, 'SAGA_INPUT_ATTEMPTS', 3, 1, 20, problems),
    statePath: memory ? ':memory:' : resolve(given(env, 'SAGA_DB_PATH') ?? `${defaults.dataDir}/sagas.db`),
    deadLetterPath: memory
      ? ':memory:'
      : resolve(given(env, 'DEAD_LETTER_DB_PATH') ?? `${defaults.dataDir}/dead-letters.db`),
    breaker: breakerOf(env, problems),
    paymentProvider: paymentProviderOf(env, problems),
  };
  if (problems.length > 0) throw new SagaConfigError(problems);
  return settings;
};

export const fulfilmentConfigOf = (settings: SagaSettings): FulfilmentConfig => ({
  paymentTimeoutMs: settings.paymentTimeoutMs,
  reservationTtlMs: settings.reservationTtlMs,
  maxProviderRetries: settings.providerRetries,
  retryBackoffMs: settings.providerBackoffMs,
});

export const refundConfigOf = (settings: SagaSettings): RefundConfig => ({
  maxProviderRetries: settings.providerRetries,
  retryBackoffMs: settings.providerBackoffMs,
});
