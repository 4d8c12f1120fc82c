import * as t from 'io-ts';
import { Timestamp, isAtOrAfter, timestamp, type Money, type OrderId, type RefundId } from '../shared';
import type { InventoryCommand } from '../inventory';
import type { CouponCommand } from '../pricing';
import type { OrderCommand } from '../order';
import type {
  AuthorizationOutcome,
  AuthorizePayment,
  ChargePart,
  PaymentCommand,
  RefundOutcome,
  RefundPayment,
} from '../payment';

/**
 * A saga (process manager) is a decider whose inputs are facts — domain events of the centres, timer firings and
 * command rejections — and whose outputs are its own events. Each saga event says what the saga decided; the
 * commands to send and the deadlines to set or cancel are derived from it by `outbox`, so a runner that crashed
 * after recording an event can derive and send the same commands again. Every command id is deterministic
 * (saga id + step), and the command layer dedupes by command id, so a re-send never reserves, charges or refunds
 * twice.
 */
export interface SagaDecider<I, S, Ev> {
  readonly initialState: S;
  readonly evolve: (state: S, event: Ev) => S;
  /** no errors: an input that does not apply now (a duplicate, a late or foreign fact) yields no events */
  readonly react: (input: I, state: S) => readonly Ev[];
  readonly outbox: (event: Ev) => SagaEffects;
  /** deadlines still pending in a state, so a restarted runner can re-arm its timers from the folded state */
  readonly deadlines: (state: S) => readonly Deadline[];
}

export interface Deadline<K extends string = string> {
  /** unique within its saga; the runner keys timers by (saga id, deadline id) */
  readonly deadlineId: string;
  readonly dueAt: Timestamp;
  readonly kind: K;
}

export const deadlineCodec = <K extends string>(kind: t.Type<K>, name: string) =>
  t.readonly(t.strict({ deadlineId: t.string, dueAt: Timestamp, kind }), name);

/** Asked of the payment provider by the runner, which then sends the AuthorizePayment carrying the outcome. */
export interface AuthorizePaymentRequest {
  readonly type: 'AuthorizePaymentRequest';
  readonly orderId: OrderId;
  readonly amount: Money;
  readonly token: string;
  /** a pre-sale's deposit or balance (absent: the order's single charge) */
  readonly part?: ChargePart;
  readonly at: Timestamp;
}

/** Asked of the payment provider by the runner, which then sends the RefundPayment carrying the outcome. */
export interface RefundPaymentRequest {
  readonly type: 'RefundPaymentRequest';
  readonly orderId: OrderId;
  readonly refundId: RefundId;
  readonly amount: Money;
  readonly at: Timestamp;
}

export type PaymentRequest = AuthorizePaymentRequest | RefundPaymentRequest;

export type OutgoingCommand =
  | { readonly target: 'order'; readonly commandId: string; readonly command: OrderCommand }
  | { readonly target: 'inventory'; readonly commandId: string; readonly command: InventoryCommand }
  | { readonly target: 'coupon'; readonly commandId: string; readonly command: CouponCommand }
  | { readonly target: 'payment'; readonly commandId: string; readonly command: PaymentCommand | PaymentRequest };

export interface SagaEffects {
  readonly commands: readonly OutgoingCommand[];
  readonly schedule: readonly Deadline[];
  /** deadline ids to drop; cancelling one that already fired or never existed is harmless */
  readonly cancel: readonly string[];
}

export const noEffects: SagaEffects = { commands: [], schedule: [], cancel: [] };

export const effects = (parts: Partial<SagaEffects>): SagaEffects => ({ ...noEffects, ...parts });

export const mergeEffects = (all: readonly SagaEffects[]): SagaEffects => ({
  commands: all.flatMap((e) => e.commands),
  schedule: all.flatMap((e) => e.schedule),
  cancel: all.flatMap((e) => e.cancel),
});

/** A timer the saga scheduled has fired; `now` is when, as read by the runner's clock. */
export interface DeadlineReached {
  readonly type: 'DeadlineReached';
  readonly deadlineId: string;
  readonly now: Timestamp;
}

/**
 * A command the saga sent was rejected by its centre. A rejection appends no event, so without this input the
 * saga would never hear of it; the runner feeds the domain error's code back with its own clock's time.
 */
/** What every saga remembers of a rejected command: it is never re-sent, and the reason shows as the last error. */
export const withRejection = <S extends { readonly rejectedCommands: readonly string[] }>(
  state: S,
  rejection: { readonly commandId: string; readonly code: string },
  lastError = `command ${rejection.commandId} rejected: ${rejection.code}`,
): S & { readonly lastError: string } => ({
  ...state,
  rejectedCommands: [...state.rejectedCommands, rejection.commandId],
  lastError,
});

export interface CommandRejected {
  readonly type: 'CommandRejected';
  readonly commandId: string;
  readonly code: string;
  readonly at: Timestamp;
}

export const foldSaga = <I, S, Ev>(
  saga: SagaDecider<I, S, Ev>,
  events: readonly Ev[],
  from: S = saga.initialState,
): S => events.reduce(saga.evolve, from);

export interface SagaStep<S, Ev> {
  readonly events: readonly Ev[];
  readonly state: S;
  readonly effects: SagaEffects;
}

/** One input through a saga: the events to append, the state after them and what to send and schedule. */
export const stepSaga = <I, S, Ev>(saga: SagaDecider<I, S, Ev>, state: S, input: I): SagaStep<S, Ev> => {
  const events = saga.react(input, state);
  return { events, state: foldSaga(saga, events, state), effects: mergeEffects(events.map(saga.outbox)) };
};

/** The saga's decision about one pending deadline, checked so an early or stale firing changes nothing. */
export const dueDeadline = <K extends string>(
  pending: readonly Deadline<K>[],
  input: DeadlineReached,
): Deadline<K> | undefined => {
  const deadline = pending.find((d) => d.deadlineId === input.deadlineId);
  return deadline !== undefined && isAtOrAfter(input.now, deadline.dueAt) ? deadline : undefined;
};

/** Instant arithmetic on an input's time: pure, since both operands come from outside the saga. */
export const plusMs = (at: Timestamp, ms: number): Timestamp => timestamp(new Date(Date.parse(at) + ms).toISOString());

/** Backoff before retry number `retry` (1-based); the last configured step repeats. */
export const backoffFor = (steps: readonly number[], retry: number): number =>
  steps[Math.min(retry, steps.length) - 1] ?? 0;

export interface RetryPolicy {
  /** retries after the first attempt; 3 means at most 4 attempts */
  readonly maxProviderRetries: number;
  /** wait before retry 1, 2, …; the last value repeats */
  readonly retryBackoffMs: readonly number[];
}

export const checkRetryPolicy = (policy: RetryPolicy): void => {
  if (!Number.isSafeInteger(policy.maxProviderRetries) || policy.maxProviderRetries < 0) {
    throw new TypeError(`maxProviderRetries must be a whole number ≥ 0, got ${policy.maxProviderRetries}`);
  }
  if (policy.retryBackoffMs.length === 0 || policy.retryBackoffMs.some((ms) => !Number.isSafeInteger(ms) || ms < 0)) {
    throw new TypeError('retryBackoffMs needs at least one whole number of milliseconds ≥ 0');
  }
};

/** Builds the payment command from a request and the provider's answer; the command id stays the request's. */
export const authorizePaymentCommand = (
  request: AuthorizePaymentRequest,
  outcome: AuthorizationOutcome,
): AuthorizePayment => ({
  type: 'AuthorizePayment',
  orderId: request.orderId,
  amount: request.amount,
  token: request.token,
  outcome,
  ...(request.part === undefined ? {} : { part: request.part }),
  at: request.at,
});

export const refundPaymentCommand = (request: RefundPaymentRequest, outcome: RefundOutcome): RefundPayment => ({
  type: 'RefundPayment',
  orderId: request.orderId,
  refundId: request.refundId,
  amount: request.amount,
  outcome,
  at: request.at,
});
