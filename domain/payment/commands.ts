import * as t from 'io-ts';
import { OrderId, Reason, RefundId, Timestamp } from '../shared';
import { PositiveMoney, ProviderText, withPart } from './values';

/**
 * The provider is called outside the domain (a handler, through the payment-provider port); its answer comes in
 * with the command so `decide` stays pure and replaying the command never charges twice.
 */
export const AuthorizationOutcome = t.union(
  [
    t.readonly(t.strict({ result: t.literal('approved'), authorizationId: ProviderText })),
    t.readonly(t.strict({ result: t.literal('declined'), declineCode: ProviderText })),
    t.readonly(t.strict({ result: t.literal('provider_error'), message: ProviderText })),
  ],
  'AuthorizationOutcome',
);
export type AuthorizationOutcome = t.TypeOf<typeof AuthorizationOutcome>;

export const RefundOutcome = t.union(
  [
    t.readonly(t.strict({ result: t.literal('refunded'), providerRefundId: ProviderText })),
    t.readonly(t.strict({ result: t.literal('failed'), message: ProviderText })),
    /** a cash payment is paid back by hand (the courier or the shop): nobody else is asked */
    t.readonly(t.strict({ result: t.literal('refunded_in_cash') })),
  ],
  'RefundOutcome',
);
export type RefundOutcome = t.TypeOf<typeof RefundOutcome>;

/** `part`: the deposit or the balance of a pre-sale (absent: the order's single charge). */
export const AuthorizePayment = t.intersection(
  [
    t.readonly(
      t.strict({
        type: t.literal('AuthorizePayment'),
        orderId: OrderId,
        amount: PositiveMoney,
        token: ProviderText,
        outcome: AuthorizationOutcome,
        at: Timestamp,
      }),
    ),
    withPart,
  ],
  'AuthorizePayment',
);
export type AuthorizePayment = t.TypeOf<typeof AuthorizePayment>;

export const CapturePayment = t.intersection(
  [
    t.readonly(t.strict({ type: t.literal('CapturePayment'), orderId: OrderId, amount: PositiveMoney, at: Timestamp })),
    withPart,
  ],
  'CapturePayment',
);
export type CapturePayment = t.TypeOf<typeof CapturePayment>;

/** `part: 'balance'` voids only a pre-sale's balance authorization; the captured deposit stays. */
export const VoidPayment = t.intersection(
  [t.readonly(t.strict({ type: t.literal('VoidPayment'), orderId: OrderId, reason: Reason, at: Timestamp })), withPart],
  'VoidPayment',
);
export type VoidPayment = t.TypeOf<typeof VoidPayment>;

export const RefundPayment = t.readonly(
  t.strict({
    type: t.literal('RefundPayment'),
    orderId: OrderId,
    refundId: RefundId,
    amount: PositiveMoney,
    outcome: RefundOutcome,
    at: Timestamp,
  }),
  'RefundPayment',
);
export type RefundPayment = t.TypeOf<typeof RefundPayment>;

/** Cash handed over on delivery (cash on delivery): recorded as captured at once, no provider involved. */
export const RecordCashPayment = t.readonly(
  t.strict({ type: t.literal('RecordCashPayment'), orderId: OrderId, amount: PositiveMoney, at: Timestamp }),
  'RecordCashPayment',
);
export type RecordCashPayment = t.TypeOf<typeof RecordCashPayment>;

export const PaymentCommand = t.union(
  [AuthorizePayment, CapturePayment, VoidPayment, RefundPayment, RecordCashPayment],
  'PaymentCommand',
);
export type PaymentCommand = t.TypeOf<typeof PaymentCommand>;
