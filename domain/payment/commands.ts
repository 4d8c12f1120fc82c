import * as t from 'io-ts';
import { OrderId, Reason, RefundId, Timestamp } from '../shared';
import { PositiveMoney, ProviderText } from './values';

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
  ],
  'RefundOutcome',
);
export type RefundOutcome = t.TypeOf<typeof RefundOutcome>;

export const AuthorizePayment = t.readonly(
  t.strict({
    type: t.literal('AuthorizePayment'),
    orderId: OrderId,
    amount: PositiveMoney,
    token: ProviderText,
    outcome: AuthorizationOutcome,
    at: Timestamp,
  }),
  'AuthorizePayment',
);
export type AuthorizePayment = t.TypeOf<typeof AuthorizePayment>;

export const CapturePayment = t.readonly(
  t.strict({ type: t.literal('CapturePayment'), orderId: OrderId, amount: PositiveMoney, at: Timestamp }),
  'CapturePayment',
);
export type CapturePayment = t.TypeOf<typeof CapturePayment>;

export const VoidPayment = t.readonly(
  t.strict({ type: t.literal('VoidPayment'), orderId: OrderId, reason: Reason, at: Timestamp }),
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

export const PaymentCommand = t.union([AuthorizePayment, CapturePayment, VoidPayment, RefundPayment], 'PaymentCommand');
export type PaymentCommand = t.TypeOf<typeof PaymentCommand>;
