import { absurd, reason, type Money, type OrderId, type Reason, type RefundId, type Timestamp } from '../shared';
import type { RefundLine, RefundRequested } from '../order';
import type { PaymentRefunded, PaymentRefundFailed } from '../payment';
import {
  backoffFor,
  checkRetryPolicy,
  dueDeadline,
  effects,
  noEffects,
  plusMs,
  type CommandRejected,
  type DeadlineReached,
  type OutgoingCommand,
  type RetryPolicy,
  type SagaDecider,
  type SagaEffects,
  withRejection,
} from './saga';
import type { RefundDeadline, RefundSagaEvent, ReturnedPurchases } from './refund-events';

export type RefundConfig = RetryPolicy;

export const defaultRefundConfig: RefundConfig = { maxProviderRetries: 3, retryBackoffMs: [1_000, 5_000, 15_000] };

export type RefundInput = RefundRequested | PaymentRefunded | PaymentRefundFailed | DeadlineReached | CommandRejected;

/**
 * Refund ids are unique within their order (the order and payment centres key refunds per order), so the saga id
 * names both; `/` cannot occur in either id, which keeps the pair unambiguous.
 */
export const refundSagaId = (orderId: OrderId, refundId: RefundId): string => `saga-refund-${orderId}/${refundId}`;

export const refundCommandIds = {
  refund: (orderId: OrderId, refundId: RefundId, attempt: number): string =>
    `${refundSagaId(orderId, refundId)}:refund:${attempt}`,
  restock: (orderId: OrderId, refundId: RefundId, sku: string): string =>
    `${refundSagaId(orderId, refundId)}:restock:${sku}`,
  returnPurchase: (orderId: OrderId, refundId: RefundId, sku: string): string =>
    `${refundSagaId(orderId, refundId)}:return:${sku}`,
  complete: (orderId: OrderId, refundId: RefundId): string => `${refundSagaId(orderId, refundId)}:complete`,
  fail: (orderId: OrderId, refundId: RefundId): string => `${refundSagaId(orderId, refundId)}:fail`,
} as const;

export const refundDeadlineId = (attempt: number): string => `refund-retry-${attempt}`;

interface RefundData {
  readonly orderId: OrderId;
  readonly refundId: RefundId;
  readonly amount: Money;
  /** units to restock after the refund; empty when the customer keeps them or the refund is by amount */
  readonly restock: readonly RefundLine[];
  /** units that stop counting towards purchase limits once the refund is paid; null when none */
  readonly returns: ReturnedPurchases | null;
  readonly reason: Reason;
  readonly requestedAt: Timestamp;
  /** provider calls made so far */
  readonly attempt: number;
  readonly deadlines: readonly RefundDeadline[];
  readonly rejectedCommands: readonly string[];
  readonly lastError: string | null;
}

export interface RefundSagaNotStarted {
  readonly status: 'NotStarted';
}
/** Refund attempt `attempt` is with the provider. */
export interface RefundSagaRefunding extends RefundData {
  readonly status: 'Refunding';
}
export interface RefundSagaAwaitingRetry extends RefundData {
  readonly status: 'AwaitingRetry';
}
/** Refunded: restock (if any) and CompleteRefund are sent. */
export interface RefundSagaCompleted extends RefundData {
  readonly status: 'Completed';
  readonly providerRefundId: string;
  readonly completedAt: Timestamp;
}
/** Given up: FailRefund is sent with the reason. */
export interface RefundSagaFailed extends RefundData {
  readonly status: 'Failed';
  readonly failureReason: Reason;
  readonly failedAt: Timestamp;
}

export type StartedRefundSaga = RefundSagaRefunding | RefundSagaAwaitingRetry | RefundSagaCompleted | RefundSagaFailed;
export type RefundSagaState = RefundSagaNotStarted | StartedRefundSaga;

export const refundStep = (state: RefundSagaState): string => {
  switch (state.status) {
    case 'NotStarted':
      return 'waiting for the refund request';
    case 'Refunding':
      return `refunding the payment (attempt ${state.attempt})`;
    case 'AwaitingRetry':
      return `waiting to retry the refund (attempt ${state.attempt} failed)`;
    case 'Completed':
      return state.restock.length > 0 ? 'refunded and restocked' : 'refunded';
    case 'Failed':
      return `failed: ${state.failureReason}`;
    default:
      return absurd(state);
  }
};

type Events = readonly RefundSagaEvent[];
const none: Events = [];

/** Reasons are at most 500 characters; the provider's message is cut rather than lost. */
const failureReason = (attempts: number, message: string): Reason =>
  reason(`payment refund failed after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${message}`.slice(0, 500));

const attemptFailed = (state: StartedRefundSaga, message: string, at: Timestamp, config: RefundConfig): Events => {
  const { orderId, refundId, attempt } = state;
  if (attempt - 1 < config.maxProviderRetries) {
    const retry: RefundDeadline = {
      deadlineId: refundDeadlineId(attempt),
      dueAt: plusMs(at, backoffFor(config.retryBackoffMs, attempt)),
      kind: 'RefundRetry',
    };
    return [{ type: 'RefundAttemptFailed', orderId, refundId, attempt, message, retry, at }];
  }
  return [
    { type: 'RefundAttemptFailed', orderId, refundId, attempt, message, retry: null, at },
    { type: 'RefundAbandoned', orderId, refundId, reason: failureReason(attempt, message), at },
  ];
};

const isOurs = (state: StartedRefundSaga, fact: { readonly orderId: OrderId; readonly refundId: RefundId }): boolean =>
  fact.orderId === state.orderId && fact.refundId === state.refundId;

const onRejected = (input: CommandRejected, state: StartedRefundSaga, config: RefundConfig): Events => {
  if (state.rejectedCommands.includes(input.commandId)) return none;
  const recorded: RefundSagaEvent = {
    type: 'RefundCommandRejected',
    orderId: state.orderId,
    refundId: state.refundId,
    commandId: input.commandId,
    code: input.code,
    at: input.at,
  };
  const current = refundCommandIds.refund(state.orderId, state.refundId, state.attempt);
  // a refund refused before the provider was asked may be transient (the capture is still on its way): retry it
  return state.status === 'Refunding' && input.commandId === current
    ? [recorded, ...attemptFailed(state, input.code, input.at, config)]
    : [recorded];
};

const react =
  (config: RefundConfig) =>
  (input: RefundInput, state: RefundSagaState): Events => {
    if (state.status === 'NotStarted') {
      if (input.type !== 'RefundRequested') return none;
      // Units stop counting towards the customer's purchase limits once the money is back (RefundPaid), not when the
      // refund is asked for: a refund that fails leaves the customer with what they paid for, and freeing the units
      // early would let them buy past the limit. Until it is paid the limit errs on the strict side.
      const { customerId } = input;
      return [
        {
          type: 'RefundStarted',
          orderId: input.orderId,
          refundId: input.refundId,
          amount: input.amount,
          restock: input.restock ? input.lines : [],
          reason: input.reason,
          ...(customerId === undefined || input.lines.length === 0
            ? {}
            : { returns: { customerId, lines: input.lines } }),
          at: input.at,
        },
      ];
    }
    switch (input.type) {
      case 'RefundRequested':
        return none;
      case 'PaymentRefunded':
        return isOurs(state, input) && (state.status === 'Refunding' || state.status === 'AwaitingRetry')
          ? [
              {
                type: 'RefundPaid',
                orderId: state.orderId,
                refundId: state.refundId,
                providerRefundId: input.providerRefundId,
                restock: state.restock,
                ...(state.returns === null ? {} : { returns: state.returns }),
                at: input.at,
              },
            ]
          : none;
      case 'PaymentRefundFailed':
        // an older attempt's failure redelivered carries a lower attempt number than the one in flight
        return isOurs(state, input) && state.status === 'Refunding' && input.attempt >= state.attempt
          ? attemptFailed(state, input.message, input.at, config)
          : none;
      case 'DeadlineReached': {
        const deadline = dueDeadline(state.deadlines, input);
        return deadline !== undefined && state.status === 'AwaitingRetry'
          ? [
              {
                type: 'RefundRetried',
                orderId: state.orderId,
                refundId: state.refundId,
                amount: state.amount,
                attempt: state.attempt + 1,
                at: input.now,
              },
            ]
          : none;
      }
      case 'CommandRejected':
        return onRejected(input, state, config);
      default:
        return absurd(input);
    }
  };

const evolveStarted = (state: StartedRefundSaga, event: RefundSagaEvent): StartedRefundSaga => {
  switch (event.type) {
    case 'RefundStarted':
      return state;
    case 'RefundAttemptFailed': {
      const next = {
        ...state,
        deadlines: event.retry === null ? state.deadlines : [...state.deadlines, event.retry],
        lastError: `refund attempt ${event.attempt} failed: ${event.message}`,
      };
      return next.status === 'Refunding' && event.retry !== null ? { ...next, status: 'AwaitingRetry' } : next;
    }
    case 'RefundRetried': {
      const next = {
        ...state,
        attempt: event.attempt,
        deadlines: state.deadlines.filter((d) => d.deadlineId !== refundDeadlineId(event.attempt - 1)),
      };
      return next.status === 'AwaitingRetry' ? { ...next, status: 'Refunding' } : next;
    }
    case 'RefundPaid':
      return state.status === 'Refunding' || state.status === 'AwaitingRetry'
        ? {
            ...state,
            status: 'Completed',
            providerRefundId: event.providerRefundId,
            completedAt: event.at,
            deadlines: [],
          }
        : state;
    case 'RefundAbandoned':
      return state.status === 'Refunding' || state.status === 'AwaitingRetry'
        ? { ...state, status: 'Failed', failureReason: event.reason, failedAt: event.at, deadlines: [] }
        : state;
    case 'RefundCommandRejected':
      return withRejection(state, event);
    default:
      return absurd(event);
  }
};

const evolve = (state: RefundSagaState, event: RefundSagaEvent): RefundSagaState => {
  if (state.status !== 'NotStarted') return evolveStarted(state, event);
  if (event.type !== 'RefundStarted') return state;
  return {
    status: 'Refunding',
    orderId: event.orderId,
    refundId: event.refundId,
    amount: event.amount,
    restock: event.restock,
    returns: event.returns ?? null,
    reason: event.reason,
    requestedAt: event.at,
    attempt: 1,
    deadlines: [],
    rejectedCommands: [],
    lastError: null,
  };
};

const refundRequest = (
  orderId: OrderId,
  refundId: RefundId,
  amount: Money,
  attempt: number,
  at: Timestamp,
): OutgoingCommand => ({
  target: 'payment',
  commandId: refundCommandIds.refund(orderId, refundId, attempt),
  command: { type: 'RefundPaymentRequest', orderId, refundId, amount, at },
});

const outbox = (event: RefundSagaEvent): SagaEffects => {
  const { orderId, refundId, at } = event;
  switch (event.type) {
    case 'RefundStarted':
      return effects({ commands: [refundRequest(orderId, refundId, event.amount, 1, at)] });
    case 'RefundAttemptFailed':
      return effects({ schedule: event.retry === null ? [] : [event.retry] });
    case 'RefundRetried':
      return effects({
        commands: [refundRequest(orderId, refundId, event.amount, event.attempt, at)],
        cancel: [refundDeadlineId(event.attempt - 1)],
      });
    case 'RefundPaid': {
      const why = reason(`returned with refund ${refundId}`);
      const returns = event.returns;
      return effects({
        commands: [
          ...event.restock.map((line): OutgoingCommand => ({
            target: 'inventory',
            commandId: refundCommandIds.restock(orderId, refundId, line.sku),
            command: { type: 'RestockSku', sku: line.sku, quantity: line.quantity, orderId, reason: why, at },
          })),
          ...(returns === undefined
            ? []
            : returns.lines.map((line): OutgoingCommand => ({
                target: 'inventory',
                commandId: refundCommandIds.returnPurchase(orderId, refundId, line.sku),
                command: {
                  type: 'ReturnPurchase',
                  sku: line.sku,
                  orderId,
                  customerId: returns.customerId,
                  quantity: line.quantity,
                  at,
                },
              }))),
          {
            target: 'order',
            commandId: refundCommandIds.complete(orderId, refundId),
            command: { type: 'CompleteRefund', orderId, refundId, at },
          },
        ],
      });
    }
    case 'RefundAbandoned':
      return effects({
        commands: [
          {
            target: 'order',
            commandId: refundCommandIds.fail(orderId, refundId),
            command: { type: 'FailRefund', orderId, refundId, reason: event.reason, at },
          },
        ],
      });
    case 'RefundCommandRejected':
      return noEffects;
    default:
      return absurd(event);
  }
};

export type RefundSaga = SagaDecider<RefundInput, RefundSagaState, RefundSagaEvent>;

/** The refund saga, one instance per refund (stream `saga-refund-<orderId>/<refundId>`). */
export const refundSaga = (config: RefundConfig = defaultRefundConfig): RefundSaga => {
  checkRetryPolicy(config);
  return {
    initialState: { status: 'NotStarted' },
    evolve,
    react: react(config),
    outbox,
    deadlines: (state) => (state.status === 'NotStarted' ? [] : state.deadlines),
  };
};
