import * as t from 'io-ts';
import { Money, OrderId, Reason, RefundId, Timestamp, eventRegistry } from '../shared';
import { Attempt, ProviderText, withPart } from './values';

/** The card token never enters an event: streams are kept forever and replicated to read models. */
export const PaymentAuthorized = t.intersection(
  [
    t.readonly(
      t.strict({
        type: t.literal('PaymentAuthorized'),
        orderId: OrderId,
        amount: Money,
        authorizationId: ProviderText,
        at: Timestamp,
      }),
    ),
    withPart,
  ],
  'PaymentAuthorized',
);
export type PaymentAuthorized = t.TypeOf<typeof PaymentAuthorized>;

export const PaymentDeclined = t.intersection(
  [
    t.readonly(
      t.strict({
        type: t.literal('PaymentDeclined'),
        orderId: OrderId,
        amount: Money,
        declineCode: ProviderText,
        at: Timestamp,
      }),
    ),
    withPart,
  ],
  'PaymentDeclined',
);
export type PaymentDeclined = t.TypeOf<typeof PaymentDeclined>;

export const PaymentAuthorizationFailed = t.intersection(
  [
    t.readonly(
      t.strict({
        type: t.literal('PaymentAuthorizationFailed'),
        orderId: OrderId,
        amount: Money,
        message: ProviderText,
        attempt: Attempt,
        at: Timestamp,
      }),
    ),
    withPart,
  ],
  'PaymentAuthorizationFailed',
);
export type PaymentAuthorizationFailed = t.TypeOf<typeof PaymentAuthorizationFailed>;

export const PaymentCaptured = t.intersection(
  [
    t.readonly(t.strict({ type: t.literal('PaymentCaptured'), orderId: OrderId, amount: Money, at: Timestamp })),
    withPart,
  ],
  'PaymentCaptured',
);
export type PaymentCaptured = t.TypeOf<typeof PaymentCaptured>;

export const PaymentVoided = t.intersection(
  [
    t.readonly(t.strict({ type: t.literal('PaymentVoided'), orderId: OrderId, reason: Reason, at: Timestamp })),
    withPart,
  ],
  'PaymentVoided',
);
export type PaymentVoided = t.TypeOf<typeof PaymentVoided>;

export const PaymentRefunded = t.readonly(
  t.strict({
    type: t.literal('PaymentRefunded'),
    orderId: OrderId,
    refundId: RefundId,
    amount: Money,
    providerRefundId: ProviderText,
    at: Timestamp,
  }),
  'PaymentRefunded',
);
export type PaymentRefunded = t.TypeOf<typeof PaymentRefunded>;

export const PaymentRefundFailed = t.readonly(
  t.strict({
    type: t.literal('PaymentRefundFailed'),
    orderId: OrderId,
    refundId: RefundId,
    amount: Money,
    message: ProviderText,
    attempt: Attempt,
    at: Timestamp,
  }),
  'PaymentRefundFailed',
);
export type PaymentRefundFailed = t.TypeOf<typeof PaymentRefundFailed>;

/** Cash collected on delivery: the payment is captured at once (nothing was authorized before). */
export const CashCollected = t.readonly(
  t.strict({ type: t.literal('CashCollected'), orderId: OrderId, amount: Money, at: Timestamp }),
  'CashCollected',
);
export type CashCollected = t.TypeOf<typeof CashCollected>;

export const PaymentEvent = t.union(
  [
    PaymentAuthorized,
    PaymentDeclined,
    PaymentAuthorizationFailed,
    PaymentCaptured,
    PaymentVoided,
    PaymentRefunded,
    PaymentRefundFailed,
    CashCollected,
  ],
  'PaymentEvent',
);
export type PaymentEvent = t.TypeOf<typeof PaymentEvent>;

export const paymentEvents = eventRegistry<PaymentEvent>(
  {
    PaymentAuthorized: { version: 1, codec: PaymentAuthorized },
    PaymentDeclined: { version: 1, codec: PaymentDeclined },
    PaymentAuthorizationFailed: { version: 1, codec: PaymentAuthorizationFailed },
    PaymentCaptured: { version: 1, codec: PaymentCaptured },
    PaymentVoided: { version: 1, codec: PaymentVoided },
    PaymentRefunded: { version: 1, codec: PaymentRefunded },
    PaymentRefundFailed: { version: 1, codec: PaymentRefundFailed },
    CashCollected: { version: 1, codec: CashCollected },
  },
  [],
);
