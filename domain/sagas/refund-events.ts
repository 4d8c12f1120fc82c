import * as t from 'io-ts';
import { CustomerId, Money, OrderId, Reason, RefundId, Timestamp, eventRegistry } from '../shared';
import { RefundLine } from '../order';
import { Attempt, ProviderText } from '../payment';
import { deadlineCodec } from './saga';

export const RefundDeadlineKind = t.literal('RefundRetry', 'RefundDeadlineKind');
export type RefundDeadlineKind = t.TypeOf<typeof RefundDeadlineKind>;

export const RefundDeadline = deadlineCodec(RefundDeadlineKind, 'RefundDeadline');
export type RefundDeadline = t.TypeOf<typeof RefundDeadline>;

/**
 * The customer's units a completed refund gives back: they stop counting towards the SKUs' purchase limits
 * (`ReturnPurchase`). Recorded only for refunds that name units and a customer.
 */
export const ReturnedPurchases = t.readonly(
  t.strict({ customerId: CustomerId, lines: t.readonlyArray(RefundLine) }),
  'ReturnedPurchases',
);
export type ReturnedPurchases = t.TypeOf<typeof ReturnedPurchases>;

/**
 * `restock` lists the units to put back once the money is refunded; empty when nothing goes back on the shelf.
 * `returns`: the units that stop counting towards purchase limits once the refund is paid (absent: none).
 */
export const RefundStarted = t.intersection(
  [
    t.readonly(
      t.strict({
        type: t.literal('RefundStarted'),
        orderId: OrderId,
        refundId: RefundId,
        amount: Money,
        restock: t.readonlyArray(RefundLine),
        reason: Reason,
        at: Timestamp,
      }),
    ),
    t.readonly(t.exact(t.partial({ returns: ReturnedPurchases }))),
  ],
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

/**
 * The money is back with the customer: restock the returned units, free them from the customer's purchase limits
 * (`returns`) and complete the refund on the order.
 */
export const RefundPaid = t.intersection(
  [
    t.readonly(
      t.strict({
        type: t.literal('RefundPaid'),
        orderId: OrderId,
        refundId: RefundId,
        providerRefundId: ProviderText,
        restock: t.readonlyArray(RefundLine),
        at: Timestamp,
      }),
    ),
    t.readonly(t.exact(t.partial({ returns: ReturnedPurchases }))),
  ],
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
