import * as t from 'io-ts';
import { Money, OrderId, Reason, RefundId, Timestamp, eventRegistry } from '../shared';
import { RefundLine } from '../order';
import { Attempt, ProviderText } from '../payment';
import { deadlineCodec } from './saga';

export const RefundDeadlineKind = t.literal('RefundRetry', 'RefundDeadlineKind');
export type RefundDeadlineKind = t.TypeOf<typeof RefundDeadlineKind>;

export const RefundDeadline = deadlineCodec(RefundDeadlineKind, 'RefundDeadline');
export type RefundDeadline = t.TypeOf<typeof RefundDeadline>;

/** `restock` lists the units to put back once the money is refunded; empty when nothing goes back on the shelf. */
export const RefundStarted = t.readonly(
  t.strict({
    type: t.literal('RefundStarted'),
    orderId: OrderId,
    refundId: RefundId,
    amount: Money,
    restock: t.readonlyArray(RefundLine),
    reason: Reason,
    at: Timestamp,
  }),
  'RefundStarted',
);
export type RefundStarted = t.TypeOf<typeof RefundStarted>;

/** A provider failure or a rejected refund command; `retry` is the next attempt's deadline, null when given up. */
export const RefundAttemptFailed = t.readonly(
  t.strict({
    type: t.literal('RefundAttemptFailed'),
    orderId: OrderId,
    refundId: RefundId,
    attempt: Attempt,
    message: ProviderText,
    retry: t.union([RefundDeadline, t.null]),
    at: Timestamp,
  }),
  'RefundAttemptFailed',
);
export type RefundAttemptFailed = t.TypeOf<typeof RefundAttemptFailed>;

export const RefundRetried = t.readonly(
  t.strict({
    type: t.literal('RefundRetried'),
    orderId: OrderId,
    refundId: RefundId,
    amount: Money,
    attempt: Attempt,
    at: Timestamp,
  }),
  'RefundRetried',
);
export type RefundRetried = t.TypeOf<typeof RefundRetried>;

/** The money is back with the customer: restock the returned units and complete the refund on the order. */
export const RefundPaid = t.readonly(
  t.strict({
    type: t.literal('RefundPaid'),
    orderId: OrderId,
    refundId: RefundId,
    providerRefundId: ProviderText,
    restock: t.readonlyArray(RefundLine),
    at: Timestamp,
  }),
  'RefundPaid',
);
export type RefundPaid = t.TypeOf<typeof RefundPaid>;

/** Retries are used up: the refund is recorded as failed on the order, with the reason. */
export const RefundAbandoned = t.readonly(
  t.strict({
    type: t.literal('RefundAbandoned'),
    orderId: OrderId,
    refundId: RefundId,
    reason: Reason,
    at: Timestamp,
  }),
  'RefundAbandoned',
);
export type RefundAbandoned = t.TypeOf<typeof RefundAbandoned>;

export const RefundCommandRejected = t.readonly(
  t.strict({
    type: t.literal('RefundCommandRejected'),
    orderId: OrderId,
    refundId: RefundId,
    commandId: t.string,
    code: t.string,
    at: Timestamp,
  }),
  'RefundCommandRejected',
);
export type RefundCommandRejected = t.TypeOf<typeof RefundCommandRejected>;

export const RefundSagaEvent = t.union(
  [RefundStarted, RefundAttemptFailed, RefundRetried, RefundPaid, RefundAbandoned, RefundCommandRejected],
  'RefundSagaEvent',
);
export type RefundSagaEvent = t.TypeOf<typeof RefundSagaEvent>;

export const refundSagaEvents = eventRegistry<RefundSagaEvent>(
  {
    RefundStarted: { version: 1, codec: RefundStarted },
    RefundAttemptFailed: { version: 1, codec: RefundAttemptFailed },
    RefundRetried: { version: 1, codec: RefundRetried },
    RefundPaid: { version: 1, codec: RefundPaid },
    RefundAbandoned: { version: 1, codec: RefundAbandoned },
    RefundCommandRejected: { version: 1, codec: RefundCommandRejected },
  },
  [],
);
